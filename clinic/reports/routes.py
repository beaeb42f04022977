from flask import Blueprint, Response, abort, render_template, request, stream_with_context
from flask_login import current_user

from clinic.accounts.models import User
from clinic.database import begin_read_only
from clinic.errors import DomainError
from clinic.extensions import db
from clinic.i18n import current_language
from clinic.reports import exports
from clinic.reports.forms import SessionReportForm
from clinic.reports.policies import can_export_reports
from clinic.reports.services import (
    SessionFilters,
    filter_options,
    iter_sessions,
    record_sessions_export,
    session_page,
)
from clinic.web import request_now, show_error, writes_on_get

bp = Blueprint("reports", __name__, url_prefix="/admin/reports")


@bp.before_request
def admins_only():
    if current_user.is_authenticated and not can_export_reports(current_user):
        abort(403)


def read_filters() -> tuple[SessionReportForm, SessionFilters | None]:
    """The filter form from the query string; the filters when it is valid, else None."""
    form = SessionReportForm(request.args)
    form.set_options(filter_options(current_language()))
    return form, form.filters() if form.validate() else None


def acting_user() -> User:
    """The signed-in user itself, not the proxy: services and the audit log need the model."""
    return current_user._get_current_object()


def page_number() -> int:
    try:
        return max(1, min(int(request.args.get("page", "1")), 1_000_000))
    except ValueError:
        return 1


def render_report(form: SessionReportForm, filters: SessionFilters | None, status: int = 422):
    """The page with one page of rows; without valid filters, the form with its messages and no rows."""
    report = None
    if filters is not None:
        try:
            report = session_page(acting_user(), filters, page_number(), language=current_language())
            status = 200
        except DomainError as error:
            db.session.rollback()
            status = show_error(error, form)
    return render_template(
        "reports/sessions.html",
        form=form,
        report=report,
        query=filters.query_args() if report is not None else {},
    ), status


@bp.get("/sessions")
def sessions():
    form, filters = read_filters()
    return render_report(form, filters)


@bp.get("/sessions.csv")
@writes_on_get
def sessions_csv():
    form, filters = read_filters()
    if filters is None:
        return render_report(form, None)
    now, language = request_now(), current_language()
    try:
        actor = acting_user()
        record_sessions_export(actor, filters, now)
        rows = iter_sessions(actor, filters, language=language)
    except DomainError as error:
        db.session.rollback()
        return render_report(form, None, show_error(error, form))
    db.session.commit()  # the audit event is saved before the first byte leaves
    begin_read_only(db.session)  # the export only reads from here on: on SQLite, writers go on meanwhile
    vocabulary = exports.vocabulary(language)

    def body():
        try:
            yield from exports.sessions_csv(rows, vocabulary)
        finally:
            db.session.rollback()  # the read-only transaction ends with the file

    response = Response(stream_with_context(body()), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{exports.export_filename(now)}"'
    response.headers["Cache-Control"] = "no-store"
    return response
