"""Moving a booking to another slot of its topic in one step: the new seat is claimed and the old one freed by one
UPDATE of the booking's row, so the database decides races exactly as for a new booking (the partial unique indexes
on seats and on departments), and either everything changes or nothing does.

A confirmed booking stays confirmed when it stays with the advisor who confirmed it (they published the new time
and already accepted the request), or when the new slot's advisor moves it themself; moved to another advisor by
anyone else, it goes back to pending, because that advisor has not read the request yet."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from clinic.accounts.models import User
from clinic.accounts.policies import is_admin
from clinic.accounts.queries import department_watchers
from clinic.audit.services import record_event
from clinic.bookings.ics import invitations
from clinic.bookings.models import ACTIVE_STATUSES, Booking, BookingMove, BookingStatus
from clinic.bookings.offers import offer_freed_seats
from clinic.bookings.policies import can_reschedule_booking, is_slot_advisor
from clinic.bookings.rules import DEFAULT_RULES, BookingRules
from clinic.bookings.services import (
    MAX_REASON,
    ONE_SEAT_PER_DEPARTMENT,
    SLOT_TAKEN,
    cancel_deadline,
    check_booking_window,
    checked_reason,
    department_holds_seat,
    lock_department,
    reminder_key,
)
from clinic.errors import Conflict, DomainError, NotAllowed
from clinic.extensions import db
from clinic.i18n import bangkok_today, format_datetime
from clinic.notifications.services import notify, withdraw_unsent
from clinic.scheduling.models import Slot, SlotStatus
from clinic.scheduling.queries import holiday_name, leave_on
from clinic.scheduling.services import slot_is_bookable

BOOKING_CHANGED = _l("การจองนี้เพิ่งถูกเปลี่ยนแปลง กรุณาโหลดหน้าใหม่แล้วลองอีกครั้ง")


def status_after_move(actor: User, booking: Booking, new_slot: Slot) -> BookingStatus:
    """Pending stays pending; confirmed stays confirmed with the same advisor, or when the new slot's advisor moves it."""
    if booking.status != BookingStatus.CONFIRMED:
        return booking.status
    if new_slot.advisor_id == booking.slot.advisor_id or actor.id == new_slot.advisor_id:
        return BookingStatus.CONFIRMED
    return BookingStatus.PENDING


def reschedule_booking(
    actor: User, booking: Booking, new_slot: Slot, reason: str, now: datetime, rules: BookingRules = DEFAULT_RULES,
) -> BookingMove:
    """Move `booking` to a seat of `new_slot` (same topic), keeping its id, reference, details, attendees and
    documents, under the booking rules: notice and horizon for the new slot, the department's allowance counting
    this booking once, one seat per department in a slot. The department may move it until the cancel cut-off;
    after it only the slot's advisor or an administrator, with their reason. Raises `Conflict` when the new slot
    filled meanwhile or the booking changed meanwhile; nothing is changed then."""
    if not can_reschedule_booking(actor, booking, now):
        raise NotAllowed(_l("เลื่อนการจองนี้ไม่ได้"))
    reason = reason.strip()
    if now > cancel_deadline(booking, rules):
        if not (is_slot_advisor(actor, booking) or is_admin(actor)):
            raise DomainError(
                _l("เลื่อนนัดได้ถึง %(when)s (%(n)s ชั่วโมงก่อนเริ่ม) หากจำเป็นต้องเลื่อน กรุณาติดต่อที่ปรึกษา",
                   when=format_datetime(cancel_deadline(booking, rules)), n=rules.cancel_cutoff_hours),
                field="slot",
            )
        reason = checked_reason(reason, _l("ระบุเหตุผลที่เลื่อนนัดหลังกำหนด"))
    elif len(reason) > MAX_REASON:
        raise DomainError(_l("เหตุผลยาวเกิน %(n)s ตัวอักษร", n=MAX_REASON), field="reason")
    old_slot = booking.slot
    if new_slot.id == old_slot.id:
        raise DomainError(_l("เลือกช่วงเวลาอื่นที่ไม่ใช่ช่วงเวลาเดิม"), field="slot")
    if not slot_is_bookable(new_slot, booking.topic, now):
        raise DomainError(_l("ช่วงเวลานี้ไม่เปิดให้จองแล้ว"), field="slot")
    day = bangkok_today(new_slot.starts_at)
    if not new_slot.opened_on_closed_day and (holiday_name(day) or leave_on(new_slot.advisor_id, day)):
        raise DomainError(_l("ช่วงเวลานี้ตรงกับวันหยุดหรือวันลาของที่ปรึกษา"), field="slot")
    check_booking_window(new_slot, now, rules)

    lock_department(booking.department)
    # Read the booking again under the lock: another reschedule, a cancellation or a decision may have won.
    current = db.session.execute(
        select(Booking.status, Booking.slot_id).where(Booking.id == booking.id).with_for_update()
    ).one()
    if current.status not in ACTIVE_STATUSES or current.slot_id != old_slot.id:
        raise Conflict(BOOKING_CHANGED, field="slot")
    check_allowance_counting_once(booking, new_slot, now, rules)

    before, after = booking.status, status_after_move(actor, booking, new_slot)
    claim_seat(booking, old_slot, new_slot, after)
    if after != before:
        booking.decided_at = None
        booking.decided_by_id = None
    move = BookingMove(booking_id=booking.id, from_slot_id=old_slot.id, to_slot_id=new_slot.id, moved_at=now,
                       moved_by_id=actor.id, reason=reason, status_before=before, status_after=after)
    db.session.add(move)
    db.session.flush()
    record_event(actor, "booking.rescheduled", booking, now, department_id=booking.department_id,
                 reference=booking.reference, from_slot_id=old_slot.id, to_slot_id=new_slot.id,
                 seat=booking.seat_number, status_before=before, status_after=after, reason=reason)
    withdraw_unsent(reminder_key(booking))  # a reminder queued for the old time; the new one is queued in its turn
    # Calendars follow: a confirmed session is updated in place (same UID, a higher SEQUENCE); one that went back
    # to pending is taken out until it is confirmed again.
    method = "REQUEST" if after == BookingStatus.CONFIRMED else "CANCEL" if before == BookingStatus.CONFIRMED else None
    notify([booking.booked_by, old_slot.advisor, new_slot.advisor, *department_watchers(booking.department)],
           "booking_rescheduled", now, booking=booking, old_slot=old_slot, new_slot=new_slot, reason=reason,
           back_to_pending=after != before, calendar=invitations(booking, method, now) if method else None)
    offer_freed_seats(old_slot, now, rules)  # the seat left behind goes to the old slot's waitlist
    return move


def check_allowance_counting_once(booking: Booking, new_slot: Slot, now: datetime, rules: BookingRules) -> None:
    """The department's other active bookings of sessions to come, plus this one, within the allowance; and no seat of
    its own in the new slot already. Call under `lock_department`."""
    if department_holds_seat(booking.department, new_slot):
        raise Conflict(ONE_SEAT_PER_DEPARTMENT, field="slot")
    others = db.session.scalar(
        select(func.count(Booking.id))
        .join(Slot, Booking.slot_id == Slot.id)
        .where(Booking.department_id == booking.department_id, Booking.status.in_(ACTIVE_STATUSES),
               Slot.starts_at > now, Booking.id != booking.id)
    ) or 0
    if others + 1 > rules.max_active_per_department:
        raise Conflict(
            _l("ส่วนราชการนี้มีการจองที่ยังไม่ถึงวันนัดครบ %(n)s รายการแล้ว ยกเลิกรายการเดิมหรือรอให้ผ่านวันนัดก่อนจึงจองเพิ่มได้",
               n=rules.max_active_per_department),
            field="slot",
        )


def claim_seat(booking: Booking, old_slot: Slot, new_slot: Slot, status: BookingStatus) -> None:
    """One UPDATE moves the booking onto a free seat of `new_slot`: the old seat is freed by the same statement.
    A seat taken between our read and our write fails the unique index; look again, up to the capacity."""
    slot_status = db.session.scalar(
        select(Slot.status).where(Slot.id == new_slot.id).with_for_update(read=True, key_share=True)
    )
    if slot_status != SlotStatus.OPEN:
        raise Conflict(_l("ช่วงเวลานี้ไม่เปิดให้จองแล้ว"), field="slot")
    for _attempt in range(new_slot.capacity):
        taken = set(db.session.scalars(
            select(Booking.seat_number).where(Booking.slot_id == new_slot.id, Booking.status.in_(ACTIVE_STATUSES))
        ))
        free = [seat for seat in range(1, new_slot.capacity + 1) if seat not in taken]
        if not free:
            raise Conflict(SLOT_TAKEN, field="slot")
        try:
            with db.session.begin_nested():
                moved = db.session.execute(
                    update(Booking)
                    .where(Booking.id == booking.id, Booking.slot_id == old_slot.id,
                           Booking.status.in_(ACTIVE_STATUSES))
                    .values(slot_id=new_slot.id, slot_capacity=new_slot.capacity, seat_number=free[0], status=status)
                    .execution_options(synchronize_session=False)
                )
        except IntegrityError:
            if department_holds_seat(booking.department, new_slot):
                raise Conflict(ONE_SEAT_PER_DEPARTMENT, field="slot") from None
            continue
        if moved.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict(BOOKING_CHANGED, field="slot")
        db.session.expire(booking, ["slot_id", "slot_capacity", "seat_number", "status", "slot"])
        return
    raise Conflict(SLOT_TAKEN, field="slot")
