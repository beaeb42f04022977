import calendar
from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_from_directory, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from clinic.accounts.policies import is_department_user, is_opdc
from clinic.audit.routes import record_access
from clinic.bookings import documents, held_uploads
from clinic.bookings.forms import BookingForm, ReasonForm, RescheduleForm, WaitlistForm
from clinic.bookings.models import Booking
from clinic.bookings.policies import can_reschedule_booking
from clinic.bookings.queries import (
    OpenSlot,
    booking_window,
    departments_in_scope,
    first_available,
    get_booking_or_404,
    get_document_or_404,
    get_waitlist_entry_or_404,
    least_loaded_slot,
    live_waitlist_entry,
    open_days_for_topic,
    open_slots_for_topic,
    waitlist_of,
)
from clinic.bookings.rescheduling import reschedule_booking
from clinic.bookings.rules import BookingRules
from clinic.bookings.services import (
    book_slot,
    booking_scene,
    cancel_booking,
    cancel_deadline,
    confirm_booking,
    decline_booking,
)
from clinic.bookings.waitlist import claim_offer, join_waitlist, leave_waitlist, seats_taken
from clinic.errors import DomainError
from clinic.extensions import db
from clinic.i18n import BANGKOK, as_utc, bangkok_today
from clinic.organisations.models import Topic
from clinic.records.policies import can_browse_all_case_files, can_open_case_files, can_read_internal_notes
from clinic.records.queries import case_file as load_case_file
from clinic.records.queries import internal_notes, record_for
from clinic.records.services import follow_up_target, link_follow_up
from clinic.scheduling.models import Slot, SlotStatus
from clinic.scheduling.services import BOOKING_LEAD_TIME
from clinic.web import acting_user, form_status, page_number, request_now, require, unit_of_work

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
        last_day=last_day, follows=request.args.get("follows", type=int),
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
    if clinic_day_id is not None and not 0 < clinic_day_id < 2**31:
        clinic_day_id = -1  # no such clinic day: the times of none, not a database error on an out-of-range id
    slot = least_loaded_slot(topic, request_now(), booking_rules(), starts_at, clinic_day_id,
                             departments_in_scope(acting_user()))
    if slot is None:
        flash(_("เวลานี้ไม่มีที่ปรึกษาว่างแล้ว กรุณาเลือกเวลาอื่น"), "warning")
        return redirect(url_for("bookings.open_slots", topic_id=topic.id))
    return redirect(url_for("bookings.book", topic_id=topic.id, slot_id=slot.id))


@bp.route("/book/<int:topic_id>/slots/<int:slot_id>", methods=["GET", "POST"])
@require(is_department_user)
def book(topic_id: int, slot_id: int) -> Response | tuple[str, int]:
    # One query for the topic, the slot, the departments and what the rules need; on a POST it also locks.
    posted = request.method == "POST"
    scene = booking_scene(acting_user(), topic_id, slot_id, request.form.get("submission_key") if posted else None,
                          lock=posted)
    if scene is None:
        abort(404)
    topic, slot = scene.topic, scene.slot
    form = BookingForm()
    form.offer_departments(scene.departments, acting_user().department_id)
    if not posted and not (slot.status == SlotStatus.OPEN and as_utc(slot.starts_at) >= request_now() + BOOKING_LEAD_TIME
                           and scene.facts.advisor_teaches_topic):
        flash(_("ช่วงเวลานี้ไม่เปิดให้จองแล้ว"), "warning")
        return redirect(url_for("bookings.open_slots", topic_id=topic.id))
    if request.method == "GET" and seats_taken(slot) >= slot.capacity:  # full: the waitlist, not a form to fill in
        return render_full(topic, slot, scene.departments, WaitlistForm(), 200)
    work = None
    if request.method == "GET":
        form.follows.data = request.args.get("follows", "")[:20]
    held = None
    if request.method == "POST":
        valid = form.validate_on_submit()
        config = current_app.config
        folder, max_bytes = config["UPLOAD_FOLDER"], config["MAX_UPLOAD_BYTES"]
        user_id = acting_user().id  # read now: after the commit the user's row is expired, and reading it is a query
        held = keep_document(form, folder, user_id, max_bytes)
        if valid and not form.document.errors:
            document = held.upload(folder, user_id) if held else None
            with unit_of_work(form) as work:
                booking = book_slot(acting_user(), form.booking_request(slot, topic, document), request_now(),
                                    folder, max_bytes, booking_rules(), facts=scene.facts)
                if form.follows.data:
                    link_follow_up(acting_user(), booking, form.follows.data, request_now())
                booking_id = booking.id  # taken before the commit: nothing is read again after it
            if work.ok:
                held_uploads.release(held.token if held else None, folder, user_id)
                flash(_("ส่งคำขอจองแล้ว"), "success")
                return redirect(url_for("bookings.detail", booking_id=booking_id))
    rules = booking_rules()
    return render_template(
        "bookings/book.html", form=form, topic=topic, slot=slot, rules=rules, held=held,
        max_upload=current_app.config["MAX_UPLOAD_BYTES"],
        earliest_day=rules.earliest_day(bangkok_today(request_now())),
        follows=follow_up_target(acting_user(), form.follows.data),
    ), form_status(form, work=work)


def keep_document(form: BookingForm, folder: str, user_id: int, max_bytes: int) -> held_uploads.HeldFile | None:
    """The document of this submission: a new file (checked, then held, so that a form that comes back with errors
    keeps it), else the one held from the previous submission unless the person removed it."""
    upload = form.new_upload(max_bytes)
    held = None
    if upload is not None:
        held_uploads.release(form.held_document.data, folder, user_id)
        try:
            held = held_uploads.check_and_hold(upload, folder, user_id, max_bytes)
        except DomainError as error:
            form.document.errors = [*form.document.errors, str(error.message)]
    elif form.remove_document.data:
        held_uploads.release(form.held_document.data, folder, user_id)
    else:
        held = held_uploads.find(form.held_document.data, folder, user_id)
    form.held_document.data = held.token if held else ""
    form.remove_document.data = False
    return held


def render_full(topic: Topic, slot: Slot, departments: list, form: WaitlistForm, status: int) -> tuple[str, int]:
    form.offer_departments(departments, acting_user().department_id)
    waiting = live_waitlist_entry(slot, [d.id for d in departments])
    others = [o for o in open_slots_for_topic(topic, request_now(), booking_rules(), limit=5) if o.slot.id != slot.id]
    return render_template("bookings/full.html", topic=topic, slot=slot, form=form, waiting=waiting,
                           others=others), status


@bp.post("/book/<int:topic_id>/slots/<int:slot_id>/waitlist")
@require(is_department_user)
def join(topic_id: int, slot_id: int) -> Response | tuple[str, int]:
    """Join the waitlist of a full slot with the request the department would book."""
    topic = get_topic_or_404(topic_id)
    slot = db.session.get(Slot, slot_id)
    if slot is None:
        abort(404)
    departments = departments_in_scope(acting_user())
    if not departments:
        abort(404)
    form = WaitlistForm()
    form.offer_departments(departments, acting_user().department_id)
    work = None
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            join_waitlist(acting_user(), form.waitlist_request(slot, topic), request_now(), booking_rules())
        if work.ok:
            flash(_("เข้ารายการรอแล้ว เมื่อมีที่ว่างจะแจ้งทางอีเมลและในหน้ารายการรอ"), "success")
            return redirect(url_for("bookings.waitlist"))
    return render_full(topic, slot, departments, form, form_status(form, work=work))


@bp.get("/waitlist")
@require(is_department_user)
def waitlist() -> str:
    return render_template("bookings/waitlist.html", lines=waitlist_of(acting_user()), now=request_now())


@bp.post("/waitlist/<int:entry_id>/claim")
@require(is_department_user)
def claim(entry_id: int) -> Response:
    """One click: book the offered seat with the request kept on the entry."""
    entry = get_waitlist_entry_or_404(entry_id, acting_user())
    config = current_app.config
    with unit_of_work() as work:
        booking = claim_offer(acting_user(), entry, request_now(), config["UPLOAD_FOLDER"], config["MAX_UPLOAD_BYTES"],
                              booking_rules())
    if not work.ok:
        return redirect(url_for("bookings.waitlist"))
    flash(_("รับที่นั่งแล้ว ส่งคำขอจองแล้ว"), "success")
    return redirect(url_for("bookings.detail", booking_id=booking.id))


@bp.post("/waitlist/<int:entry_id>/leave")
@require(is_department_user)
def leave(entry_id: int) -> Response:
    entry = get_waitlist_entry_or_404(entry_id, acting_user())
    with unit_of_work() as work:
        leave_waitlist(acting_user(), entry, request_now(), booking_rules())
    if work.ok:
        flash(_("ออกจากรายการรอแล้ว"), "success")
    return redirect(url_for("bookings.waitlist"))


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
    return decide(booking_id, lambda booking, reason: decline_booking(acting_user(), booking, reason, request_now(),
                                                                      booking_rules()),
                  "decline", _("ปฏิเสธคำขอแล้ว"))


@bp.route("/bookings/<int:booking_id>/reschedule", methods=["GET", "POST"])
def reschedule(booking_id: int) -> Response | tuple[str, int]:
    """Choose another open slot of the booking's topic and move the booking there in one step."""
    booking = get_booking_or_404(booking_id, acting_user())
    now, rules = request_now(), booking_rules()
    if not can_reschedule_booking(acting_user(), booking, now):
        abort(403)
    form = RescheduleForm()
    work = None
    if form.validate_on_submit():
        new_slot = db.session.get(Slot, form.slot.data)
        if new_slot is None:
            form.slot.errors = [_("เลือกช่วงเวลาใหม่จากรายการ")]
        else:
            with unit_of_work(form) as work:
                reschedule_booking(acting_user(), booking, new_slot, form.reason.data or "", now, rules)
            if work.ok:
                flash(_("เลื่อนนัดแล้ว เลขที่อ้างอิงเดิม"), "success")
                return redirect(url_for("bookings.detail", booking_id=booking.id))
            booking = get_booking_or_404(booking_id, acting_user())  # the refusal rolled back: load it again
    choices = [o for o in open_slots_for_topic(booking.topic, now, rules) if o.slot.id != booking.slot_id]
    return render_template(
        "bookings/reschedule.html", booking=booking, form=form, choices=choices, rules=rules, now=now,
        cancel_deadline=cancel_deadline(booking, rules), past_cutoff=now > cancel_deadline(booking, rules),
    ), form_status(form, work=work)


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
        "bookings/case_file.html", case=load_case_file(department, page_number()),
        departments=departments, now=request_now(),
        query={"department": department.id} if "department" in request.args else {},
    )
    if is_opdc(acting_user()):  # OPDC reading a department's case file is logged; the department's own is not
        record_access("case_file.viewed", "departments", department.id, department.id)
    return page
