"""The dashboard at /dashboard: charts and the same figures as tables, cut like the sessions report."""

from dataclasses import replace

from flask import Blueprint, render_template, request

from clinic.i18n import bangkok_today, current_language, fiscal_year
from clinic.reports.dashboard import dashboard
from clinic.reports.forms import SessionReportForm
from clinic.reports.policies import can_export_reports, can_read_dashboard
from clinic.reports.services import filter_options
from clinic.web import acting_user, guard_blueprint, request_now, unit_of_work

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
guard_blueprint(bp, can_read_dashboard)


@bp.get("")
def index() -> tuple[str, int]:
    form = SessionReportForm(request.args)
    form.set_options(filter_options(current_language()))
    figures, status, query = None, 422, {}
    if form.validate():
        filters = form.filters()
        today = bangkok_today(request_now())
        if filters.fiscal_year is None and filters.date_from is None and filters.date_to is None:
            filters = replace(filters, fiscal_year=fiscal_year(today))  # this fiscal year unless told otherwise
            form.fiscal_year.data = filters.fiscal_year
        with unit_of_work(form, reads_only=True) as work:
            figures = dashboard(acting_user(), filters, today, request_now(), current_language())
        status, query = work.status, filters.query_args()
    return render_template("reports/dashboard.html", form=form, figures=figures, query=query,
                           can_open_report=can_export_reports(acting_user())), status
