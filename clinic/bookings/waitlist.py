"""The waitlist of a full slot: a department joins it with the request it would book (details and attendees), may
leave it, and, offered a freed seat (`clinic.bookings.offers`), claims it with one click through `book_slot`, under
the same rules as any booking. The database keeps one live entry per department and slot, and never more bookings
than seats: of several departments offered seats, the first to claim wins each."""

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from clinic.accounts.models import User
from clinic.audit.services import record_event
from clinic.bookings.models import ACTIVE_STATUSES, Booking, WaitlistEntry, WaitlistStatus
from clinic.bookings.offers import offer_freed_seats
from clinic.bookings.policies import can_act_on_waitlist_entry, can_book_for, can_claim_offer
from clinic.bookings.rules import DEFAULT_RULES, BookingRules
from clinic.bookings.services import (
    MAX_ATTENDEES,
    MAX_DETAILS,
    AttendeeInput,
    BookingRequest,
    book_slot,
    check_booking_window,
    department_holds_seat,
)
from clinic.errors import Conflict, DomainError, NotAllowed
from clinic.extensions import db
from clinic.organisations.models import Department, Topic
from clinic.scheduling.models import Slot
from clinic.scheduling.services import slot_is_bookable

ALREADY_WAITING = _l("ส่วนราชการนี้อยู่ในรายการรอของช่วงเวลานี้แล้ว")


@dataclass(frozen=True)
class WaitlistRequest:
    slot: Slot
    department: Department
    topic: Topic
    request_details: str
    attendees: list[AttendeeInput]


def seats_taken(slot: Slot) -> int:
    return db.session.scalar(
        select(func.count(Booking.id)).where(Booking.slot_id == slot.id, Booking.status.in_(ACTIVE_STATUSES))
    ) or 0


def join_waitlist(actor: User, request: WaitlistRequest, now: datetime,
                  rules: BookingRules = DEFAULT_RULES) -> WaitlistEntry:
    """Put the department in line for a seat of a full slot it could otherwise book."""
    slot, department, topic = request.slot, request.department, request.topic
    if not can_book_for(actor, department):
        raise NotAllowed(_l("คุณจองให้ส่วนราชการนี้ไม่ได้"), field="department")
    if not slot_is_bookable(slot, topic, now):
        raise DomainError(_l("ช่วงเวลานี้ไม่เปิดให้จองแล้ว"), field="department")
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
    if department_holds_seat(department, slot):
        raise Conflict(_l("ส่วนราชการนี้จองที่นั่งในช่วงเวลานี้แล้ว"), field="department")
    if seats_taken(slot) < slot.capacity:
        raise Conflict(_l("ช่วงเวลานี้ยังมีที่ว่าง จองได้เลย"), field="department")
    entry = WaitlistEntry(
        slot_id=slot.id, department_id=department.id, topic_id=topic.id, joined_by_id=actor.id, joined_at=now,
        status=WaitlistStatus.WAITING, request_details=details,
        attendees=[[a.name.strip()[:200], a.position.strip()[:200]] for a in attendees],
    )
    try:
        with db.session.begin_nested():
            db.session.add(entry)
            db.session.flush()
    except IntegrityError:
        raise Conflict(ALREADY_WAITING, field="department") from None
    record_event(actor, "waitlist.joined", entry, now, department_id=department.id, slot_id=slot.id)
    return entry


def leave_waitlist(actor: User, entry: WaitlistEntry, now: datetime, rules: BookingRules = DEFAULT_RULES) -> None:
    """The department leaves the line; a seat it was offered goes to the next."""
    if not can_act_on_waitlist_entry(actor, entry):
        raise NotAllowed(_l("คุณจัดการรายการรอนี้ไม่ได้"))
    if not entry.is_live:
        raise Conflict(_l("รายการรอนี้สิ้นสุดแล้ว"))
    was_offered = entry.status == WaitlistStatus.OFFERED
    entry.status, entry.ended_at = WaitlistStatus.LEFT, now
    record_event(actor, "waitlist.left", entry, now, department_id=entry.department_id, slot_id=entry.slot_id)
    if was_offered:
        db.session.flush()
        offer_freed_seats(entry.slot, now, rules)


def claim_offer(actor: User, entry: WaitlistEntry, now: datetime, upload_folder: str, max_upload: int,
                rules: BookingRules = DEFAULT_RULES) -> Booking:
    """Book the offered seat with the request kept on the entry, under the booking rules. Of several departments
    offered seats, the first to claim wins; the others read "this slot was just taken" and stay offered until their
    offer lapses. The same offer claimed twice (a double click) makes one booking (its submission key)."""
    locked = db.session.scalar(select(WaitlistEntry.status).where(WaitlistEntry.id == entry.id).with_for_update())
    if locked != entry.status:
        db.session.refresh(entry)
    if entry.status == WaitlistStatus.CLAIMED and entry.booking is not None and can_act_on_waitlist_entry(actor, entry):
        return entry.booking  # claimed already, by this click's twin
    if not can_claim_offer(actor, entry, now):
        if not can_act_on_waitlist_entry(actor, entry):
            raise NotAllowed(_l("คุณจัดการรายการรอนี้ไม่ได้"))
        raise Conflict(_l("ข้อเสนอที่นั่งนี้หมดเวลาหรือสิ้นสุดแล้ว"))
    request = BookingRequest(
        slot=entry.slot, department=entry.department, topic=entry.topic, request_details=entry.request_details,
        attendees=[AttendeeInput(name, position) for name, position in entry.attendees],
        submission_key=f"waitlist-{entry.id}",
    )
    booking = book_slot(actor, request, now, upload_folder, max_upload, rules)
    entry.status, entry.booking_id, entry.ended_at = WaitlistStatus.CLAIMED, booking.id, now
    record_event(actor, "waitlist.claimed", entry, now, department_id=entry.department_id, slot_id=entry.slot_id,
                 booking_id=booking.id, reference=booking.reference)
    return booking
