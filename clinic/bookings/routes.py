import calendar
from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_from_directory, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from clinic.accounts.policies import is_department_user, is_opdc
from clinic.audit.routes import record_access
from clinic.bookings import documents
from clinic.bookings.forms import BookingForm, ReasonForm
from clinic.bookings.models import Booking
from clinic.bookings.queries import (
    OpenSlot,
    booking_window,
    departments_in_scope,
    first_available,
    get_booking_or_404,
    get_document_or_404,
    least_loaded_slot,
    open_days_for_topic,
    open_slots_for_topic,
)
from clinic.bookings.rules import BookingRules
from clinic.bookings.services import book_slot, cancel_booking, cancel_deadline, confirm_booking, decline_booking
from clinic.extensions import db
from clinic.i18n import BANGKOK, as_utc, bangkok_today
from clinic.organisations.models import Topic
from clinic.records.policies import can_browse_all_case_files, can_open_case_files, can_read_internal_notes
from clinic.records.queries import case_file as load_case_file
from clinic.records.queries import internal_notes, record_for
from clinic.scheduling.models import Slot
from clinic.scheduling.services import slot_is_bookable
from clinic.web import acting_user, form_status, request_now, require, unit_of_work

bp = Blueprint("bookings", __name__)


def booking_rules() -> BookingRules:
    return BookingRules.from_config(current_app.config)


def get_topic_or_404(topic_id: int) -> Topic:
    topic = db.session.get(Topic, topic_id)
    if topic is None or not topic.is_active:
        abort(404)
    return topic


@bp.get("/book")
@require(is_department_user)
def choose_topic() -> str:
    topics = db.session.scalars(select(Topic).where(Topic.is_active).order_by(Topic.id)).all()
    return render_template("bookings/choose_topic.html", topics=topics)


def month_arg(value: str | None, first: date, last: date) -> date:
    """?month=2026-12 as the first of that month, kept between the months of `first` and `last`."""
    lowest, highest = first.replace(day=1), last.replace(day=1)
    try:
        chosen = datetime.strptime(value or "", "%Y-%m").date()
    except ValueError:
        return lowest
    return min(max(chosen, lowest), highest)


def day_arg(value: str | None, first: date, last: date) -> date | None:
    try:
        chosen = date.fromisoformat(value or "")
    except ValueError:
        return None
    return chosen if first <= chosen <= last else None


def month_weeks(month: date) -> list[list[date | None]]:
    """The month's days in weeks from Monday; None before the first and after the last."""
    weeks = []
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(month.year, month.month):
        weeks.append([d if d.month == month.month else None for d in week])
    return weeks


@bp.get("/book/<int:topic_id>")
@require(is_department_user)
def open_slots(topic_id: int) -> str:
    """The slots of a topic: the first one available, a month of days with free slots, and the slots themselves
    (of one chosen day, grouped by time for "any advisor", or the coming ones)."""
    topic = get_topic_or_404(topic_id)
    now, rules = request_now(), booking_rules()
    departments = departments_in_scope(acting_user())
    earliest, latest = booking_window(now, rules)
    first_day, last_day = bangkok_today(earliest), bangkok_today(latest)
    first = first_available(topic, now, rules, departments)
    default_month = bangkok_today(first.slot.starts_at).strftime("%Y-%m") if first else None
    month = month_arg(request.args.get("month", default_month), first_day, last_day)
    month_end = (month + timedelta(days=31)).replace(day=1) - timedelta(days=1)
    day = day_arg(request.args.get("day"), first_day, last_day)
    if day is not None:
        start = datetime.combine(day, time(), BANGKOK)
        slots = open_slots_for_topic(topic, now, rules, first=start, until=start + timedelta(days=1))
    else:
        slots = open_slots_for_topic(topic, now, rules)
    times: dict[tuple[datetime, int | None], list[OpenSlot]] = {}
    for item in slots:
        times.setdefault((as_utc(item.slot.starts_at), item.slot.clinic_day_id), []).append(item)
    return render_template(
        "bookings/open_slots.html", topic=topic, departments=departments, open_slots=slots, day=day,
        times=times if day is not None else {}, first=first,
        month=month, weeks=month_weeks(month), counts=open_days_for_topic(topic, now, rules, month, month_end),
        previous_month=(month - timedelta(days=1)).replace(day=1) if month > first_day.replace(day=1) else None,
        next_month=month_end + timedelta(days=1) if month_end < last_day else None, first_day=first_day,
        last_day=last_day,
    )


@bp.get("/book/<int:topic_id>/any")
@require(is_department_user)
def any_advisor(topic_id: int) -> Response:
    """"Any advisor" at a chosen time: the booking form of the least-loaded advisor's slot then."""
    topic = get_topic_or_404(topic_id)
    try:
        starts_at = as_utc(datetime.fromisoformat(request.args.get("at", "")))
    except (ValueError, TypeError, OverflowError):
        abort(404)
    clinic_day_id = request.args.get("clinic_day", type=int)
    slot = least_loaded_slot(topic, request_now(), booking_rules(), starts_at, clinic_day_id,
                             departments_in_scope(acting_user()))
    if slot is None:
        flash(_("เวลานี้ไม่มีที่ปรึกษาว่างแล้ว กรุณาเลือกเวลาอื่น"), "warning")
        return redirect(url_for("bookings.open_slots", topic_id=topic.id))
    return redirect(url_for("bookings.book", topic_id=topic.id, slot_id=slot.id))


@bp.route("/book/<int:topic_id>/slots/<int:slot_id>", methods=["GET", "POST"])
@require(is_department_user)
def book(topic_id: int, slot_id: int) -> Response | tuple[str, int]:
    topic = get_topic_or_404(topic_id)
    slot = db.session.get(Slot, slot_id)
    if slot is None:
        abort(404)
    departments = departments_in_scope(acting_user())
    if not departments:
        abort(404)
    form = BookingForm()
    form.offer_departments(departments, acting_user().department_id)
    if request.method == "GET" and not slot_is_bookable(slot, topic, request_now()):
        flash(_("ช่วงเวลานี้ไม่เปิดให้จองแล้ว"), "warning")
        return redirect(url_for("bookings.open_slots", topic_id=topic.id))
    work = None
    if form.validate_on_submit():
        config = current_app.config
        with unit_of_work(form) as work:
            booking = book_slot(acting_user(), form.booking_request(slot, topic, config["MAX_UPLOAD_BYTES"]),
                                request_now(), config["UPLOAD_FOLDER"], config["MAX_UPLOAD_BYTES"], booking_rules())
        if work.ok:
            flash(_("ส่งคำขอจองแล้ว"), "success")
            return redirect(url_for("bookings.detail", booking_id=booking.id))
    rules = booking_rules()
    return render_template(
        "bookings/book.html", form=form, topic=topic, slot=slot, rules=rules,
        earliest_day=rules.earliest_day(bangkok_today(request_now())),
    ), form_status(form, work=work)


def render_detail(booking: Booking, cancel_form: ReasonForm, decline_form: ReasonForm,
                  status: int = 200) -> tuple[str, int]:
    notes = internal_notes(booking) if can_read_internal_notes(acting_user()) else []
    return render_template(
        "bookings/detail.html", booking=booking, record=record_for(booking), notes=notes, cancel_form=cancel_form,
        decline_form=decline_form, now=request_now(), cancel_deadline=cancel_deadline(booking, booking_rules()),
    ), status


@bp.get("/bookings/<int:booking_id>")
def detail(booking_id: int) -> tuple[str, int]:
    booking = get_booking_or_404(booking_id, acting_user())
    page = render_detail(booking, ReasonForm(prefix="cancel"), ReasonForm(prefix="decline"))
    if is_opdc(acting_user()):  # OPDC reading a department's booking is logged; the department's own reading is not
        record_access("booking.viewed", "bookings", booking.id, booking.department_id)
    return page


def decide(booking_id: int, act: Callable[[Booking, str], object], reason_form: str, done: str) -> Response | tuple[str, int]:
    """Load, act, commit; a refusal re-renders the booking with the message next to the reason it concerns."""
    booking = get_booking_or_404(booking_id, acting_user())
    forms = {"cancel": ReasonForm(prefix="cancel"), "decline": ReasonForm(prefix="decline")}
    with unit_of_work(forms[reason_form]) as work:
        act(booking, forms[reason_form].reason.data or "")
    if not work.ok:
        return render_detail(booking, forms["cancel"], forms["decline"], work.status)
    flash(done, "success")
    return redirect(url_for("bookings.detail", booking_id=booking.id))


@bp.post("/bookings/<int:booking_id>/cancel")
def cancel(booking_id: int) -> Response | tuple[str, int]:
    return decide(booking_id, lambda booking, reason: cancel_booking(acting_user(), booking, reason, request_now(),
                                                                     booking_rules()),
                  "cancel", _("ยกเลิกการจองแล้ว"))


@bp.post("/bookings/<int:booking_id>/confirm")
def confirm(booking_id: int) -> Response | tuple[str, int]:
    return decide(booking_id, lambda booking, _reason: confirm_booking(acting_user(), booking, request_now()),
                  "decline", _("ยืนยันนัดหมายแล้ว"))


@bp.post("/bookings/<int:booking_id>/decline")
def decline(booking_id: int) -> Response | tuple[str, int]:
    return decide(booking_id, lambda booking, reason: decline_booking(acting_user(), booking, reason, request_now()),
                  "decline", _("ปฏิเสธคำขอแล้ว"))


@bp.get("/documents/<int:document_id>")
def document(document_id: int) -> Response:
    doc = get_document_or_404(document_id, acting_user())
    response = send_from_directory(  # a file missing from the disk is a 404, not a 500 (and no download to log)
        current_app.config["UPLOAD_FOLDER"], doc.stored_name, mimetype=documents.MIME_TYPES[doc.kind],
        as_attachment=True, download_name=doc.filename,
    )
    record_access("document.downloaded", "documents", doc.id, doc.booking.department_id,  # before any byte leaves
                  booking_id=doc.booking_id, filename=doc.filename)
    return response


@bp.get("/casefile")
@require(can_open_case_files)
def case_file() -> Response | str:
    chosen = request.args.get("department", type=int)
    if chosen is None and can_browse_all_case_files(acting_user()):
        return redirect(url_for("records.cases"))  # OPDC chooses among every department first
    departments = departments_in_scope(acting_user())
    if not departments:
        abort(404)
    if chosen is None:
        chosen = acting_user().department_id or departments[0].id
    department = next((d for d in departments if d.id == chosen), None)
    if department is None:
        abort(404)
    page = render_template(
        "bookings/case_file.html", case=load_case_file(department), departments=departments, now=request_now()
    )
    if is_opdc(acting_user()):  # OPDC reading a department's case file is logged; the department's own is not
        record_access("case_file.viewed", "departments", department.id, department.id)
    return page
