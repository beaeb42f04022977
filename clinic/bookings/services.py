"""Booking a seat, cancelling it, and the advisor's decision on it."""

import secrets
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from clinic.accounts.models import User
from clinic.accounts.policies import is_admin
from clinic.audit.services import record_event
from clinic.bookings import documents
from clinic.bookings.clinic_days import refuse_unless_may_book
from clinic.bookings.models import ACTIVE_STATUSES, Attendee, Booking, BookingStatus, Document
from clinic.bookings.policies import can_book_for, can_cancel_booking, can_decide_booking, is_slot_advisor
from clinic.bookings.rules import DEFAULT_RULES, BookingRules
from clinic.errors import Conflict, DomainError, NotAllowed
from clinic.extensions import db
from clinic.i18n import as_utc, bangkok_today, fiscal_year, format_date, format_datetime
from clinic.notifications.services import notify
from clinic.organisations.models import Department, Topic
from clinic.scheduling.models import Slot, SlotStatus
from clinic.scheduling.queries import closed_day_name, leave_on
from clinic.scheduling.services import slot_is_bookable

MAX_ATTENDEES = 10
MAX_DETAILS = 4000
MAX_REASON = 1000
REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

SLOT_TAKEN = _l("ช่วงเวลานี้เพิ่งถูกจองไป กรุณาเลือกช่วงเวลาอื่น")
ONE_SEAT_PER_DEPARTMENT = _l("ส่วนราชการนี้จองที่นั่งในช่วงเวลานี้แล้ว ส่วนราชการหนึ่งจองได้ 1 ที่นั่งต่อช่วงเวลา")


@dataclass(frozen=True)
class AttendeeInput:
    name: str
    position: str


@dataclass(frozen=True)
class BookingRequest:
    slot: Slot
    department: Department
    topic: Topic
    request_details: str
    attendees: list[AttendeeInput]
    document: documents.Upload | None = None
    # The booking form's one-time key: the same form sent twice makes one booking (see `book_slot`).
    submission_key: str | None = None


def new_reference(now: datetime) -> str:
    """'OPDC-2569-7KQ4M2': the BE fiscal year and a random code a person can read out on the phone."""
    code = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))
    return f"OPDC-{fiscal_year(bangkok_today(now))}-{code}"


def book_slot(
    actor: User, request: BookingRequest, now: datetime, upload_folder: str, max_upload: int,
    rules: BookingRules = DEFAULT_RULES,
) -> Booking:
    """Book a seat in a slot for a department, within `rules`. The database decides races: of two requests for the
    last seat, one wins and the other gets `Conflict` ("this slot was just taken"); of many requests of one
    department, no more than the department's allowance of active bookings succeed."""
    slot, department, topic = request.slot, request.department, request.topic
    if not can_book_for(actor, department):
        raise NotAllowed(_l("คุณจองให้ส่วนราชการนี้ไม่ได้"), field="department")
    refuse_unless_may_book(slot, department)
    earlier = booking_made_by(actor, request.submission_key)
    if earlier is not None:
        return earlier  # the same form again: a retry after a lost answer, a double click, Back and send
    if not slot_is_bookable(slot, topic, now):
        raise DomainError(_l("ช่วงเวลานี้ไม่เปิดให้จองแล้ว"), field="slot")
    day = bangkok_today(slot.starts_at)
    if not slot.opened_on_closed_day and (closed_day_name(day) or leave_on(slot.advisor_id, day)):
        raise DomainError(_l("ช่วงเวลานี้ตรงกับวันหยุดหรือวันลาของที่ปรึกษา"), field="slot")
    check_booking_window(slot, now, rules)
    details = request.request_details.strip()
    if not details:
        raise DomainError(_l("ระบุเรื่องที่ต้องการรับคำปรึกษา"), field="request_details")
    if len(details) > MAX_DETAILS:
        raise DomainError(_l("เรื่องที่ขอรับคำปรึกษายาวเกิน %(n)s ตัวอักษร", n=MAX_DETAILS), field="request_details")
    attendees = [a for a in request.attendees if a.name.strip() or a.position.strip()]
    if not attendees:
        raise DomainError(_l("ระบุผู้เข้าร่วมอย่างน้อย 1 คน"), field="attendees")
    if len(attendees) > MAX_ATTENDEES:
        raise DomainError(_l("ผู้เข้าร่วมได้ไม่เกิน %(n)s คน", n=MAX_ATTENDEES), field="attendees")
    if any(not a.name.strip() or not a.position.strip() for a in attendees):
        raise DomainError(_l("ระบุทั้งชื่อและตำแหน่งของผู้เข้าร่วมทุกคน"), field="attendees")
    checked = documents.check_upload(request.document, max_upload) if request.document else None
    lock_department(department)
    earlier = booking_made_by(actor, request.submission_key)
    if earlier is not None:
        return earlier  # its twin, sent at the same moment, made it while this one waited for the lock
    check_department_allowance(department, slot, now, rules)

    booking, made_now = insert_booking(actor, request, details, attendees, now)
    if not made_now:
        return booking
    if checked:
        stored_name = documents.store(checked, upload_folder, db.session())
        db.session.add(
            Document(
                booking=booking, filename=checked.filename, stored_name=stored_name, kind=checked.kind,
                size=len(checked.data), sha256=checked.sha256, uploaded_by_id=actor.id, uploaded_at=now,
            )
        )
    record_event(actor, "booking.created", booking, now, department_id=department.id,
                 reference=booking.reference, slot_id=slot.id, seat=booking.seat_number)
    notify([slot.advisor, actor], "booking_created", now, booking=booking, slot=slot, department=department,
           topic=topic)
    return booking


def check_booking_window(slot: Slot, now: datetime, rules: BookingRules) -> None:
    """Minimum notice in working days, and no further ahead than the rules allow."""
    earliest = rules.earliest_day(bangkok_today(now))
    if bangkok_today(slot.starts_at) < earliest:
        raise DomainError(
            _l("ต้องจองล่วงหน้าอย่างน้อย %(n)s วันทำการ (ไม่นับวันหยุดราชการ) ช่วงเวลาที่เร็วที่สุดที่จองได้คือวันที่ %(day)s",
               n=rules.min_notice_working_days, day=format_date(earliest)),
            field="slot",
        )
    if as_utc(slot.starts_at) > rules.latest_start(now):
        raise DomainError(_l("จองล่วงหน้าได้ไม่เกิน %(n)s วัน", n=rules.max_days_ahead), field="slot")


def lock_department(department: Department) -> None:
    """Make simultaneous bookings of one department wait for each other until the first commits, so each counts
    the others' bookings (PostgreSQL: FOR NO KEY UPDATE of the department's row, which does not block foreign-key
    checks of other writers; SQLite runs writers one at a time from BEGIN IMMEDIATE already)."""
    db.session.execute(select(Department.id).where(Department.id == department.id).with_for_update(key_share=True))


def check_department_allowance(department: Department, slot: Slot, now: datetime, rules: BookingRules) -> None:
    """One active seat per department in a slot, and at most `max_active_per_department` active bookings of
    sessions still to come; call under `lock_department`, so the count holds whatever the concurrency."""
    mine = select(Booking).where(Booking.department_id == department.id, Booking.status.in_(ACTIVE_STATUSES))
    if db.session.scalar(select(mine.where(Booking.slot_id == slot.id).exists())):
        raise Conflict(ONE_SEAT_PER_DEPARTMENT, field="slot")
    active = db.session.scalar(
        select(func.count(Booking.id))
        .join(Slot, Booking.slot_id == Slot.id)
        .where(Booking.department_id == department.id, Booking.status.in_(ACTIVE_STATUSES), Slot.starts_at > now)
    ) or 0
    if active >= rules.max_active_per_department:
        raise Conflict(
            _l("ส่วนราชการนี้มีการจองที่ยังไม่ถึงวันนัดครบ %(n)s รายการแล้ว ยกเลิกรายการเดิมหรือรอให้ผ่านวันนัดก่อนจึงจองเพิ่มได้",
               n=rules.max_active_per_department),
            field="department",
        )


def booking_made_by(actor: User, submission_key: str | None) -> Booking | None:
    if not submission_key:
        return None
    return db.session.scalar(
        select(Booking).where(Booking.booked_by_id == actor.id, Booking.submission_key == submission_key)
    )


def insert_booking(
    actor: User, request: BookingRequest, details: str, attendees: list[AttendeeInput], now: datetime
) -> tuple[Booking, bool]:
    """Claim a free seat. Returns the booking and whether it was made now: when the same submission raced
    this one and won, its booking is returned instead of a refusal."""
    slot = request.slot
    # Regeneration may be withdrawing this very slot: read its status again under a lock that waits for the
    # withdrawal to commit (PostgreSQL; SQLite runs writers one at a time), so no booking lands on a withdrawn slot.
    status = db.session.scalar(select(Slot.status).where(Slot.id == slot.id).with_for_update(read=True, key_share=True))
    if status != SlotStatus.OPEN:
        raise Conflict(_l("ช่วงเวลานี้ไม่เปิดให้จองแล้ว"), field="slot")
    for _attempt in range(slot.capacity):
        taken = set(
            db.session.scalars(
                select(Booking.seat_number).where(Booking.slot_id == slot.id, Booking.status.in_(ACTIVE_STATUSES))
            )
        )
        free = [seat for seat in range(1, slot.capacity + 1) if seat not in taken]
        if not free:
            # The seat that filled the slot may be this very submission's, committed by its twin since
            # `book_slot` looked (PostgreSQL's READ COMMITTED shows it now): that booking, not a refusal.
            earlier = booking_made_by(actor, request.submission_key)
            if earlier is not None:
                return earlier, False
            raise Conflict(SLOT_TAKEN, field="slot")
        booking = Booking(
            reference=new_reference(now),
            slot_id=slot.id,
            slot_capacity=slot.capacity,
            seat_number=free[0],
            department_id=request.department.id,
            topic_id=request.topic.id,
            booked_by_id=actor.id,
            status=BookingStatus.PENDING,
            request_details=details,
            submission_key=request.submission_key or None,
            created_at=now,
            attendees=[Attendee(name=a.name.strip()[:200], position=a.position.strip()[:200]) for a in attendees],
        )
        try:
            with db.session.begin_nested():
                db.session.add(booking)
                db.session.flush()
        except IntegrityError:
            earlier = booking_made_by(actor, request.submission_key)
            if earlier is not None:
                return earlier, False
            if department_holds_seat(request.department, slot):
                raise Conflict(ONE_SEAT_PER_DEPARTMENT, field="slot") from None
            continue  # someone took that seat between our read and our insert: look again
        return booking, True
    raise Conflict(SLOT_TAKEN, field="slot")


def department_holds_seat(department: Department, slot: Slot) -> bool:
    return bool(db.session.scalar(select(
        select(Booking.id).where(Booking.slot_id == slot.id, Booking.department_id == department.id,
                                 Booking.status.in_(ACTIVE_STATUSES)).exists()
    )))


def checked_reason(reason: str, missing: str) -> str:
    """A cancellation's or a refusal's reason: required, and of a sensible length."""
    reason = reason.strip()
    if not reason:
        raise DomainError(missing, field="reason")
    if len(reason) > MAX_REASON:
        raise DomainError(_l("เหตุผลยาวเกิน %(n)s ตัวอักษร", n=MAX_REASON), field="reason")
    return reason


def cancel_booking(
    actor: User, booking: Booking, reason: str, now: datetime, rules: BookingRules = DEFAULT_RULES
) -> Booking:
    """Cancel an active booking before its session. The department may until `rules.cancel_cutoff` before the
    start; after that only the slot's advisor or an administrator, with their reason."""
    if not can_cancel_booking(actor, booking, now):
        raise NotAllowed(_l("ยกเลิกการจองนี้ไม่ได้"))
    if not (is_slot_advisor(actor, booking) or is_admin(actor)) and now > cancel_deadline(booking, rules):
        raise DomainError(
            _l("ยกเลิกได้ถึง %(when)s (%(n)s ชั่วโมงก่อนเริ่ม) หากจำเป็นต้องยกเลิก กรุณาติดต่อที่ปรึกษา",
               when=format_datetime(cancel_deadline(booking, rules)), n=rules.cancel_cutoff_hours),
            field="reason",
        )
    reason = checked_reason(reason, _l("ระบุเหตุผลที่ยกเลิก"))
    previous = booking.status
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at = now
    booking.cancelled_by_id = actor.id
    booking.cancel_reason = reason
    record_event(actor, "booking.cancelled", booking, now, department_id=booking.department_id,
                 reason=reason, previous_status=previous)
    notify([booking.slot.advisor, booking.booked_by], "booking_cancelled", now, booking=booking, reason=reason)
    return booking


def cancel_deadline(booking: Booking, rules: BookingRules) -> datetime:
    """Until when the department itself may cancel."""
    return as_utc(booking.slot.starts_at) - rules.cancel_cutoff


def confirm_booking(actor: User, booking: Booking, now: datetime) -> Booking:
    if not can_decide_booking(actor, booking, now):
        raise NotAllowed(_l("ยืนยันการจองนี้ไม่ได้"))
    booking.status = BookingStatus.CONFIRMED
    booking.decided_at = now
    booking.decided_by_id = actor.id
    record_event(actor, "booking.confirmed", booking, now, department_id=booking.department_id)
    slot = booking.slot
    notify([booking.booked_by], "booking_confirmed", now, booking=booking, slot=slot)
    return booking


def decline_booking(actor: User, booking: Booking, reason: str, now: datetime) -> Booking:
    if not can_decide_booking(actor, booking, now):
        raise NotAllowed(_l("ปฏิเสธการจองนี้ไม่ได้"))
    reason = checked_reason(reason, _l("ระบุเหตุผลที่ปฏิเสธ"))
    booking.status = BookingStatus.DECLINED
    booking.decided_at = now
    booking.decided_by_id = actor.id
    booking.decline_reason = reason
    record_event(actor, "booking.declined", booking, now, department_id=booking.department_id, reason=reason)
    notify([booking.booked_by], "booking_declined", now, booking=booking, reason=reason)
    return booking


def expire_pending(now: datetime) -> list[Booking]:
    """Requests still pending when their session began become `expired`: the seat is freed, an audit event is
    written and the officer who asked is told by e-mail, all in the caller's transaction. Run again, it finds
    nothing more to do (only pending requests are touched), so a cron job may run it as often as it likes.
    Rows are locked as they are read, skipping those another run or an advisor's decision holds."""
    due = list(
        db.session.scalars(
            select(Booking)
            .join(Slot, Booking.slot_id == Slot.id)
            .where(Booking.status == BookingStatus.PENDING, Slot.starts_at <= now)
            .order_by(Booking.id)
            .with_for_update(of=Booking, skip_locked=True)
        )
    )
    for booking in due:
        booking.status = BookingStatus.EXPIRED
        booking.decided_at = now
        record_event(None, "booking.expired", booking, now, department_id=booking.department_id,
                     reference=booking.reference, slot_id=booking.slot_id)
        notify([booking.booked_by], "booking_expired", now, booking=booking, slot=booking.slot)
    return due
