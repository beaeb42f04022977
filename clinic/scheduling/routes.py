from datetime import date, timedelta

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from clinic.bookings.queries import recent_bookings_to_record, upcoming_bookings, week_of
from clinic.i18n import bangkok_today, week_start
from clinic.scheduling.forms import SlotForm
from clinic.scheduling.policies import has_calendar
from clinic.scheduling.services import create_slots
from clinic.web import acting_user, form_status, guard_blueprint, request_now, unit_of_work

bp = Blueprint("scheduling", __name__, url_prefix="/advisor")
guard_blueprint(bp, has_calendar)

CALENDAR_FIRST_DAY = date(2000, 1, 1)
CALENDAR_LAST_DAY = date(2199, 12, 31)


@bp.get("/sessions")
def sessions() -> str:
    now = request_now()
    return render_template(
        "scheduling/sessions.html",
        upcoming=upcoming_bookings(acting_user(), now),
        to_record=recent_bookings_to_record(acting_user(), now),
    )


@bp.get("/week")
def week() -> str:
    today = bangkok_today(request_now())
    try:
        chosen = date.fromisoformat(request.args["start"]) if "start" in request.args else today
    except ValueError:
        chosen = today
    if not CALENDAR_FIRST_DAY <= chosen <= CALENDAR_LAST_DAY:
        chosen = today
    monday = week_start(chosen)
    return render_template(
        "scheduling/week.html",
        columns=week_of(acting_user(), monday),
        monday=monday,
        previous=monday - timedelta(days=7),
        following=monday + timedelta(days=7),
        today=today,
    )


@bp.route("/slots/new", methods=["GET", "POST"])
def new_slots() -> Response | tuple[str, int]:
    form = SlotForm()
    work = None
    if form.validate_on_submit():
        plan = form.plan()
        with unit_of_work(form) as work:
            slots = create_slots(acting_user(), acting_user(), plan, request_now())
        if work.ok:
            flash(_("เพิ่มช่วงเวลาแล้ว %(n)s ช่วง", n=len(slots)), "success")
            return redirect(url_for("scheduling.week", start=plan.first_day.isoformat()))
    return render_template("scheduling/new_slots.html", form=form), form_status(form, work=work)
