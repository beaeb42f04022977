"""Public holidays and extra days off, for administrators: /admin/holidays."""

from datetime import date, timedelta

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from clinic.bookings.holiday_forms import HolidayForm
from clinic.bookings.holidays import DayAction, bookings_on, decide_day
from clinic.bookings.queries import slots_holding_bookings
from clinic.i18n import bangkok_today
from clinic.scheduling.models import DayStatus
from clinic.scheduling.policies import can_manage_holidays
from clinic.scheduling.queries import holiday_overrides_from, thai_holidays
from clinic.scheduling.services import Regeneration
from clinic.web import acting_user, form_status, guard_blueprint, request_now, unit_of_work

bp = Blueprint("holidays", __name__, url_prefix="/admin/holidays")
guard_blueprint(bp, can_manage_holidays)


def year_ahead(today: date) -> list[dict]:
    """Each public holiday of the coming year and each decision from today on, by date: what the calendar says
    and what the administrators decided. One query (the decisions)."""
    last = today + timedelta(days=366)
    days: dict[date, dict] = {}
    for year in range(today.year, last.year + 1):
        for day, name in sorted(thai_holidays(year).items()):
            if today <= day <= last:
                days[day] = {"day": day, "holiday": name, "override": None}
    for override in holiday_overrides_from(today):
        days.setdefault(override.day, {"day": override.day, "holiday": None, "override": None})["override"] = override
    return [days[d] for d in sorted(days)]


def render(form: HolidayForm, status: int = 200) -> tuple[str, int]:
    today = bangkok_today(request_now())
    held = []
    if form.errors.get("cancel_bookings") and form.day.data:
        held = bookings_on(form.day.data)
    return render_template("bookings/holidays.html", form=form, days=year_ahead(today), held=held,
                           DayStatus=DayStatus), status


@bp.route("", methods=["GET", "POST"])
def index() -> Response | tuple[str, int]:
    form = HolidayForm()
    work = None
    if form.validate_on_submit():
        regeneration = Regeneration(current_app.config["SLOT_HORIZON_WEEKS"], slots_holding_bookings)
        with unit_of_work(form) as work:
            outcome = decide_day(acting_user(), form.decision(), request_now(), regeneration)
        if work.ok:
            done = _("เปิดทำการวันนี้แล้ว") if form.action.data == DayAction.OPEN else _("ปิดวันนี้แล้ว")
            flash(_("%(done)s · เปิดช่วงเวลาใหม่ %(created)s ช่วง ถอน %(withdrawn)s ช่วง ยกเลิกการจอง %(cancelled)s รายการ",
                    done=done, created=outcome.created, withdrawn=outcome.withdrawn,
                    cancelled=len(outcome.cancelled)), "success")
            return redirect(url_for("holidays.index"))
    return render(form, form_status(form, work=work))
