"""Clinic days held at a ministry, for administrators: /admin/clinic-days."""

from datetime import timedelta

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.wrappers import Response

from clinic.accounts.models import Role, User
from clinic.bookings.clinic_day_forms import CancelClinicDayForm, ClinicDayForm
from clinic.bookings.clinic_days import (
    Clash,
    ClinicDayOutcome,
    cancel_clinic_day,
    create_clinic_day,
    plan_sessions,
    update_clinic_day,
)
from clinic.bookings.queries import clinic_day_bookings, clinic_day_sessions, clinic_days_from, get_clinic_day_or_404
from clinic.extensions import db
from clinic.i18n import bangkok_today
from clinic.organisations.models import Ministry, Topic
from clinic.scheduling.models import ClinicDay
from clinic.scheduling.policies import can_manage_clinic_days
from clinic.web import acting_user, form_status, guard_blueprint, request_now, unit_of_work

bp = Blueprint("clinic_days", __name__, url_prefix="/admin/clinic-days")
guard_blueprint(bp, can_manage_clinic_days)

CLASHES = {
    Clash.LEAVE: _l("ลาในวันนั้น"),
    Clash.BOOKED: _l("มีนัดหมายอื่นที่มีผู้จองแล้วในเวลานี้"),
    Clash.OTHER_SLOT: _l("มีช่วงเวลาอื่นในเวลานี้"),
}


def offered(form: ClinicDayForm) -> ClinicDayForm:
    """The form with the ministries, the active advisors and the open topics to choose from; three queries."""
    form.offer(
        list(db.session.scalars(select(Ministry).order_by(Ministry.id))),
        list(db.session.scalars(
            select(User).where(User.role == Role.ADVISOR, User.is_active_account.is_(True)).order_by(User.name)
        )),
        list(db.session.scalars(select(Topic).where(Topic.is_active).order_by(Topic.id))),
    )
    return form


def flash_outcome(done: str, outcome: ClinicDayOutcome) -> None:
    plan = outcome.plan
    flash(_("%(done)s · เปิดช่วงให้คำปรึกษา %(created)s ช่วง", done=done, created=len(outcome.created)), "success")
    if plan.conflicts or plan.kept:
        flash(_("ที่ปรึกษาบางคนไม่ว่างบางช่วง (%(n)s ช่วง) ดูรายการในหน้านี้", n=len(plan.conflicts) + len(plan.kept)),
              "warning")


@bp.get("")
def index() -> str:
    today = bangkok_today(request_now())
    return render_template("bookings/clinic_days.html", rows=clinic_days_from(today - timedelta(days=30)),
                           today=today)


@bp.route("/new", methods=["GET", "POST"])
def new() -> Response | tuple[str, int]:
    form = offered(ClinicDayForm())
    work = None
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            outcome = create_clinic_day(acting_user(), form.clinic_day(), request_now())
        if work.ok:
            flash_outcome(_("สร้างวันคลินิกแล้ว"), outcome)
            return redirect(url_for("clinic_days.edit", clinic_day_id=outcome.clinic_day.id))
    elif not form.is_submitted():
        form.day.data = bangkok_today(request_now()) + timedelta(days=14)
    return render_template("bookings/clinic_day_form.html", form=form, clinic_day=None), form_status(form, work=work)


def render_clinic_day(clinic_day: ClinicDay, form: ClinicDayForm, cancel_form: CancelClinicDayForm,
                      status: int = 200) -> tuple[str, int]:
    now = request_now()
    plan = plan_sessions(clinic_day, now) if clinic_day.is_open else None
    return render_template(
        "bookings/clinic_day_form.html", form=form, cancel_form=cancel_form, clinic_day=clinic_day,
        sessions=clinic_day_sessions(clinic_day), plan=plan, clashes=CLASHES,
        to_cancel=clinic_day_bookings(clinic_day) if clinic_day.is_open else [],
        editable=clinic_day.is_open and clinic_day.day > bangkok_today(now),
    ), status


@bp.route("/<int:clinic_day_id>", methods=["GET", "POST"])
def edit(clinic_day_id: int) -> Response | tuple[str, int]:
    clinic_day = get_clinic_day_or_404(clinic_day_id)
    form = offered(ClinicDayForm() if request.method == "POST" else ClinicDayForm.for_clinic_day(clinic_day))
    work = None
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            outcome = update_clinic_day(acting_user(), clinic_day, form.clinic_day(), request_now())
        if work.ok:
            flash_outcome(_("บันทึกวันคลินิกแล้ว"), outcome)
            return redirect(url_for("clinic_days.edit", clinic_day_id=clinic_day.id))
        clinic_day = get_clinic_day_or_404(clinic_day_id)  # rolled back: show it as it stays
    return render_clinic_day(clinic_day, form, CancelClinicDayForm(prefix="cancel"), form_status(form, work=work))


@bp.post("/<int:clinic_day_id>/cancel")
def cancel(clinic_day_id: int) -> Response | tuple[str, int]:
    clinic_day = get_clinic_day_or_404(clinic_day_id)
    cancel_form = CancelClinicDayForm(prefix="cancel")
    work = None
    if cancel_form.validate_on_submit():
        with unit_of_work(cancel_form) as work:
            cancelled = cancel_clinic_day(acting_user(), clinic_day, cancel_form.reason.data or "", request_now())
        if work.ok:
            flash(_("ยกเลิกวันคลินิกแล้ว · ยกเลิกการจอง %(n)s รายการและแจ้งส่วนราชการแล้ว", n=len(cancelled)),
                  "success")
            return redirect(url_for("clinic_days.edit", clinic_day_id=clinic_day.id))
        clinic_day = get_clinic_day_or_404(clinic_day_id)
    form = offered(ClinicDayForm.for_clinic_day(clinic_day))
    return render_clinic_day(clinic_day, form, cancel_form, form_status(cancel_form, work=work))
