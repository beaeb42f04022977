from datetime import date, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from clinic.errors import DomainError
from clinic.extensions import db
from clinic.i18n import bangkok_today, week_start
from clinic.scheduling.forms import SlotForm
from clinic.scheduling.queries import recent_bookings_to_record, upcoming_bookings, week_of
from clinic.scheduling.services import SlotPlan, create_slots
from clinic.web import request_now, show_error

bp = Blueprint("scheduling", __name__, url_prefix="/advisor")

CALENDAR_FIRST_DAY = date(2000, 1, 1)
CALENDAR_LAST_DAY = date(2199, 12, 31)


@bp.before_request
def advisors_only():
    if current_user.is_authenticated and current_user.role != "advisor":
        abort(403)


@bp.get("/sessions")
def sessions():
    now = request_now()
    return render_template(
        "scheduling/sessions.html",
        upcoming=upcoming_bookings(current_user, now),
        to_record=recent_bookings_to_record(current_user, now),
    )


@bp.get("/week")
def week():
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
        columns=week_of(current_user, monday),
        monday=monday,
        previous=monday - timedelta(days=7),
        following=monday + timedelta(days=7),
        today=today,
    )


@bp.route("/slots/new", methods=["GET", "POST"])
def new_slots():
    form = SlotForm()
    status = 200
    if form.validate_on_submit():
        plan = SlotPlan(
            first_day=form.first_day.data,
            start=form.start.data,
            end=form.end.data,
            mode=form.mode.data,
            location=form.location.data or "",
            meeting_url=form.meeting_url.data or "",
            capacity=form.capacity.data,
            weeks=form.weeks.data,
        )
        try:
            slots = create_slots(current_user, current_user, plan, request_now())
        except DomainError as error:
            db.session.rollback()
            status = show_error(error, form)
        else:
            db.session.commit()
            flash(_("เพิ่มช่วงเวลาแล้ว %(n)s ช่วง", n=len(slots)), "success")
            return redirect(url_for("scheduling.week", start=plan.first_day.isoformat()))
    elif request.method == "POST":
        status = 422
    return render_template("scheduling/new_slots.html", form=form), status
