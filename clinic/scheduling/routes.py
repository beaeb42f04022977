from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from clinic.accounts.models import User
from clinic.bookings.queries import (
    active_bookings_of,
    bookings_during_leave,
    calendar_days,
    recent_bookings_to_record,
    slots_holding_bookings,
    upcoming_bookings,
    week_of,
)
from clinic.i18n import bangkok_today, week_start
from clinic.main.queries import record_states
from clinic.scheduling.forms import AvailabilityForm, DateOverrideForm, LeaveForm, SlotForm
from clinic.scheduling.generation import Closed, Reconciliation, horizon_end
from clinic.scheduling.models import DateOverrideKind
from clinic.scheduling.policies import can_manage_any_calendar, has_calendar
from clinic.scheduling.queries import (
    advisors_with_availability,
    advisors_with_calendars,
    availability_of,
    generated_slot_count,
    get_advisor_or_404,
    get_date_override_or_404,
    get_leave_or_404,
    upcoming_date_overrides,
    upcoming_leave,
)
from clinic.scheduling.services import (
    Regeneration,
    add_date_override,
    add_leave,
    create_slots,
    plan_slots,
    remove_date_override,
    remove_leave,
    save_availability,
)
from clinic.web import acting_user, form_status, guard_blueprint, request_now, unit_of_work

bp = Blueprint("scheduling", __name__, url_prefix="/advisor")
guard_blueprint(bp, has_calendar)
# An administrator's way to any advisor's availability and leave: the same pages, under /admin/advisors/<id>.
admin_bp = Blueprint("scheduling_admin", __name__, url_prefix="/admin/advisors")
guard_blueprint(admin_bp, can_manage_any_calendar)

CALENDAR_FIRST_DAY = date(2000, 1, 1)
CALENDAR_LAST_DAY = date(2199, 12, 31)


@bp.get("/sessions")
def sessions() -> str:
    now = request_now()
    to_record = recent_bookings_to_record(acting_user(), now)
    return render_template(
        "scheduling/sessions.html",
        upcoming=upcoming_bookings(acting_user(), now),
        to_record=to_record,
        record_states=record_states([b.id for b in to_record]),
    )


def chosen_day(argument: str = "start") -> date:
    """The day a calendar page shows, from the query string: today (Bangkok) when missing or not a date."""
    today = bangkok_today(request_now())
    try:
        chosen = date.fromisoformat(request.args[argument]) if argument in request.args else today
    except ValueError:
        return today
    return chosen if CALENDAR_FIRST_DAY <= chosen <= CALENDAR_LAST_DAY else today


@bp.get("/week")
def week() -> str:
    monday = week_start(chosen_day())
    return render_template(
        "scheduling/week.html",
        columns=week_of(acting_user(), monday),
        monday=monday,
        previous=monday - timedelta(days=7),
        following=monday + timedelta(days=7),
        today=bangkok_today(request_now()),
    )


@bp.get("/day")
def day() -> str:
    """The advisor's agenda of one day: every session with its department, topic, place and attendees; printable."""
    shown = chosen_day("date")
    [column] = calendar_days([acting_user().id], shown, shown, with_attendees=True)[acting_user().id]
    return render_template("scheduling/day.html", column=column, advisor=acting_user(), shown=shown,
                           previous=shown - timedelta(days=1), following=shown + timedelta(days=1),
                           endpoint="scheduling.day", values={})


@bp.get("/month")
def month() -> str:
    """The advisor's month: sessions, free slots, leave and clinic days, a week per row."""
    first = chosen_day("month").replace(day=1)
    following = (first + timedelta(days=31)).replace(day=1)
    grid_start = week_start(first)
    grid_end = week_start(following - timedelta(days=1)) + timedelta(days=6)
    columns = calendar_days([acting_user().id], grid_start, grid_end)[acting_user().id]
    return render_template(
        "scheduling/month.html", weeks=[columns[i:i + 7] for i in range(0, len(columns), 7)], first=first,
        previous=(first - timedelta(days=1)).replace(day=1), following=following,
        today=bangkok_today(request_now()),
    )


@admin_bp.get("/calendar")
def all_advisors_day() -> str:
    """Every advisor's day side by side, for the clinic office; printable as the day's agenda."""
    shown = chosen_day("date")
    advisors = advisors_with_calendars()
    calendars = calendar_days([a.id for a in advisors], shown, shown)
    return render_template("scheduling/all_advisors_day.html", advisors=advisors, calendars=calendars, shown=shown,
                           previous=shown - timedelta(days=1), following=shown + timedelta(days=1))


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


# Availability and leave. Each page serves the advisor (/advisor/...) and an administrator acting for an advisor
# (/admin/advisors/<id>/...); `Owner` says whose calendar it is and builds the links of the right one.


@dataclass(frozen=True)
class Owner:
    advisor: User
    by_admin: bool

    def url(self, endpoint: str, **values: Any) -> str:
        if self.by_admin:
            return url_for(f"scheduling_admin.{endpoint}", advisor_id=self.advisor.id, **values)
        return url_for(f"scheduling.{endpoint}", **values)


def own() -> Owner:
    return Owner(acting_user(), by_admin=False)


def advisor_of(advisor_id: int) -> Owner:
    return Owner(get_advisor_or_404(advisor_id), by_admin=True)


def regeneration() -> Regeneration:
    return Regeneration(current_app.config["SLOT_HORIZON_WEEKS"], slots_holding_bookings)


CONFLICT_REASONS = {
    Closed.HOLIDAY: _l("ตรงกับวันหยุดราชการ"),
    Closed.LEAVE: _l("ตรงกับวันลา"),
    Closed.DAY_OFF: _l("ตรงกับวันที่กำหนดเป็นวันหยุด"),
    Closed.OUTSIDE_PERIOD: _l("อยู่นอกช่วงวันที่ใช้เวลาให้คำปรึกษา"),
    Closed.OUTSIDE_HOURS: _l("ไม่อยู่ในเวลาให้คำปรึกษาแล้ว"),
    Closed.DETAILS_CHANGED: _l("สถานที่ ลิงก์ หรือจำนวนที่รับต่างจากที่กำหนดใหม่"),
}


def flash_outcome(done: str, plan: Reconciliation) -> None:
    flash(
        _("%(done)s · เปิดช่วงเวลาใหม่ %(created)s ช่วง ถอน %(withdrawn)s ช่วงที่ยังไม่มีผู้จอง",
          done=done, created=len(plan.create), withdrawn=len(plan.withdraw)),
        "success",
    )
    if plan.conflicts:
        flash(_("มีนัดหมาย %(n)s ช่วงที่ไม่ตรงกับเวลาให้คำปรึกษาแล้ว ระบบไม่ได้ยกเลิก โปรดจัดการตามรายการในหน้านี้",
                n=len(plan.conflicts)), "warning")


def render_availability(owner: Owner, form: AvailabilityForm | None = None,
                        date_form: DateOverrideForm | None = None, status: int = 200) -> tuple[str, int]:
    now = request_now()
    today = bangkok_today(now)
    availability = availability_of(owner.advisor)
    planned = plan_slots(owner.advisor, now, regeneration())
    plan = planned.reconciliation
    weeks = current_app.config["SLOT_HORIZON_WEEKS"]
    return render_template(
        "scheduling/availability.html",
        owner=owner,
        availability=availability,
        form=form or AvailabilityForm.for_availability(availability, today),
        date_form=date_form or DateOverrideForm(prefix="date", data={"day": today + timedelta(days=1)}),
        overrides=upcoming_date_overrides(owner.advisor, today),
        conflicts=plan.conflicts,
        skipped=plan.skipped,
        slots=planned.slots,
        bookings=active_bookings_of([c.slot_id for c in plan.conflicts]),
        generated=generated_slot_count(owner.advisor, now, horizon_end(now, weeks)),
        weeks=weeks,
        DateOverrideKind=DateOverrideKind,
        reasons=CONFLICT_REASONS,
    ), status


def availability_page(owner: Owner) -> Response | tuple[str, int]:
    if request.method == "GET":
        return render_availability(owner)
    form = AvailabilityForm()
    work = None
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            _saved, plan = save_availability(acting_user(), owner.advisor, form.availability(), request_now(),
                                             regeneration())
        if work.ok:
            flash_outcome(_("บันทึกเวลาให้คำปรึกษาแล้ว"), plan)
            return redirect(owner.url("availability"))
    return render_availability(owner, form=form, status=form_status(form, work=work))


def add_date_page(owner: Owner) -> Response | tuple[str, int]:
    date_form = DateOverrideForm(prefix="date")
    work = None
    if date_form.validate_on_submit():
        with unit_of_work(date_form) as work:
            _added, plan = add_date_override(acting_user(), owner.advisor, date_form.override(), request_now(),
                                             regeneration())
        if work.ok:
            flash_outcome(_("บันทึกวันที่กำหนดเป็นพิเศษแล้ว"), plan)
            return redirect(owner.url("availability"))
    return render_availability(owner, date_form=date_form, status=form_status(date_form, work=work))


def remove_date_page(owner: Owner, override_id: int) -> Response:
    override = get_date_override_or_404(owner.advisor, override_id)
    with unit_of_work() as work:
        plan = remove_date_override(acting_user(), override, request_now(), regeneration())
    if work.ok:
        flash_outcome(_("ลบวันที่กำหนดเป็นพิเศษแล้ว"), plan)
    return redirect(owner.url("availability"))


def render_leave(owner: Owner, form: LeaveForm | None = None, status: int = 200) -> tuple[str, int]:
    now = request_now()
    today = bangkok_today(now)
    leaves = upcoming_leave(owner.advisor, today)
    return render_template(
        "scheduling/leave.html",
        owner=owner,
        form=form or LeaveForm(data={"first_day": today, "last_day": today}),
        leaves=leaves,
        conflicts=bookings_during_leave(owner.advisor, leaves, now),
        today=today,
    ), status


def leave_page(owner: Owner) -> Response | tuple[str, int]:
    if request.method == "GET":
        return render_leave(owner)
    form = LeaveForm()
    work = None
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            _leave, plan = add_leave(acting_user(), owner.advisor, form.leave(), request_now(), regeneration())
        if work.ok:
            flash_outcome(_("บันทึกวันลาแล้ว"), plan)
            return redirect(owner.url("leave"))
    return render_leave(owner, form=form, status=form_status(form, work=work))


def remove_leave_page(owner: Owner, leave_id: int) -> Response:
    leave = get_leave_or_404(owner.advisor, leave_id)
    with unit_of_work() as work:
        plan = remove_leave(acting_user(), leave, request_now(), regeneration())
    if work.ok:
        flash_outcome(_("ลบวันลาแล้ว"), plan)
    return redirect(owner.url("leave"))


@bp.route("/availability", methods=["GET", "POST"], endpoint="availability")
def own_availability() -> Response | tuple[str, int]:
    return availability_page(own())


@bp.post("/availability/dates", endpoint="add_date")
def own_add_date() -> Response | tuple[str, int]:
    return add_date_page(own())


@bp.post("/availability/dates/<int:override_id>/delete", endpoint="remove_date")
def own_remove_date(override_id: int) -> Response:
    return remove_date_page(own(), override_id)


@bp.route("/leave", methods=["GET", "POST"], endpoint="leave")
def own_leave() -> Response | tuple[str, int]:
    return leave_page(own())


@bp.post("/leave/<int:leave_id>/delete", endpoint="remove_leave")
def own_remove_leave(leave_id: int) -> Response:
    return remove_leave_page(own(), leave_id)


@admin_bp.get("", endpoint="advisors")
def advisors() -> str:
    return render_template("scheduling/advisors.html", advisors=advisors_with_availability())


@admin_bp.route("/<int:advisor_id>/availability", methods=["GET", "POST"], endpoint="availability")
def advisor_availability(advisor_id: int) -> Response | tuple[str, int]:
    return availability_page(advisor_of(advisor_id))


@admin_bp.post("/<int:advisor_id>/availability/dates", endpoint="add_date")
def advisor_add_date(advisor_id: int) -> Response | tuple[str, int]:
    return add_date_page(advisor_of(advisor_id))


@admin_bp.post("/<int:advisor_id>/availability/dates/<int:override_id>/delete", endpoint="remove_date")
def advisor_remove_date(advisor_id: int, override_id: int) -> Response:
    return remove_date_page(advisor_of(advisor_id), override_id)


@admin_bp.route("/<int:advisor_id>/leave", methods=["GET", "POST"], endpoint="leave")
def advisor_leave(advisor_id: int) -> Response | tuple[str, int]:
    return leave_page(advisor_of(advisor_id))


@admin_bp.post("/<int:advisor_id>/leave/<int:leave_id>/delete", endpoint="remove_leave")
def advisor_remove_leave(advisor_id: int, leave_id: int) -> Response:
    return remove_leave_page(advisor_of(advisor_id), leave_id)
