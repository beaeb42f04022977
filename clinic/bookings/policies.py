from datetime import datetime

from clinic.accounts.models import User
from clinic.accounts.policies import can_view_department, is_admin, is_advisor, is_department_user
from clinic.bookings.models import Booking, BookingStatus, WaitlistEntry, WaitlistStatus
from clinic.i18n import as_utc
from clinic.organisations.models import Department

__all__ = [
    "can_book_for", "can_cancel_booking", "can_decide_booking", "can_reschedule_booking", "can_view_booking",
    "is_slot_advisor", "can_act_on_waitlist_entry", "can_claim_offer",
]


def can_view_booking(user: User, booking: Booking) -> bool:
    return can_view_department(user, booking.department)


def can_book_for(user: User, department: Department) -> bool:
    """Officers book for their department, coordinators for any department of their ministry."""
    return is_department_user(user) and can_view_department(user, department)


def is_slot_advisor(user: User, booking: Booking) -> bool:
    return is_advisor(user) and booking.slot.advisor_id == user.id


def can_cancel_booking(user: User, booking: Booking, now: datetime) -> bool:
    """The department cancels its own active booking before the session starts; so may the slot's advisor and
    administrators. (The department's own cut-off before the start is a booking rule, in `cancel_booking`.)"""
    if not booking.is_active or as_utc(booking.slot.starts_at) <= now:
        return False
    return can_book_for(user, booking.department) or is_slot_advisor(user, booking) or is_admin(user)


def can_decide_booking(user: User, booking: Booking, now: datetime) -> bool:
    """Only the advisor whose slot it is confirms or declines a pending request, before the session starts
    (a request still pending then expires: `expire_pending`)."""
    return (
        booking.status == BookingStatus.PENDING and is_slot_advisor(user, booking)
        and as_utc(booking.slot.starts_at) > now
    )


def can_reschedule_booking(user: User, booking: Booking, now: datetime) -> bool:
    """Who may move a booking to another slot: whoever may cancel it (the department before its cut-off, the
    slot's advisor and administrators after it too, with a reason: `clinic.bookings.rescheduling`)."""
    return can_cancel_booking(user, booking, now)


def can_act_on_waitlist_entry(user: User, entry: WaitlistEntry) -> bool:
    """The department's officers (and its ministry's coordinator) claim its offer or leave its waitlist."""
    return can_book_for(user, entry.department)


def can_claim_offer(user: User, entry: WaitlistEntry, now: datetime) -> bool:
    return (
        can_act_on_waitlist_entry(user, entry) and entry.status == WaitlistStatus.OFFERED
        and entry.offer_expires_at is not None and as_utc(entry.offer_expires_at) > now
    )
