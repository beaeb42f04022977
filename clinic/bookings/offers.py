"""What happens to a seat when it is freed (a cancellation, a refusal, a reschedule away, an expiry): the departments
waiting for its slot are offered it in the order they joined, one offer per free seat, each for a limited time
(`BookingRules.waitlist_offer_hours`). An offer is not a reservation: the first to book gets the seat, as the issue
asks ("the waiting departments are told in order and the first to book gets it"), and the database never lets a slot
hold more bookings than seats. An offer that passes unclaimed goes to the next in line (`expire_offers`, from cron).

Beneath the booking services, which call `offer_freed_seats` in the transaction that frees the seat."""

from datetime import datetime, timedelta

from sqlalchemy import func, select

from clinic.audit.services import record_event
from clinic.bookings.models import (
    ACTIVE_STATUSES,
    LIVE_WAITLIST_STATUSES,
    Booking,
    WaitlistEntry,
    WaitlistStatus,
)
from clinic.bookings.rules import BookingRules
from clinic.extensions import db
from clinic.i18n import as_utc
from clinic.notifications.services import notify
from clinic.scheduling.models import Slot, SlotStatus
from clinic.scheduling.services import BOOKING_LEAD_TIME


def offer_freed_seats(slot: Slot, now: datetime, rules: BookingRules) -> list[WaitlistEntry]:
    """Offer the free seats of `slot` not yet offered to the first departments waiting for it; returns the new
    offers. A slot no longer bookable closes its waitlist instead. Waiting rows are locked as they are read, so two
    transactions freeing seats of one slot at once do not offer one seat twice."""
    if slot.status != SlotStatus.OPEN or as_utc(slot.starts_at) < now + BOOKING_LEAD_TIME:
        close_waitlist(slot, now)
        return []
    taken = db.session.scalar(
        select(func.count(Booking.id)).where(Booking.slot_id == slot.id, Booking.status.in_(ACTIVE_STATUSES))
    ) or 0
    live = list(db.session.scalars(
        select(WaitlistEntry)
        .where(WaitlistEntry.slot_id == slot.id, WaitlistEntry.status.in_(LIVE_WAITLIST_STATUSES))
        .order_by(WaitlistEntry.joined_at, WaitlistEntry.id)
        .with_for_update()
    ))
    outstanding = sum(1 for e in live if e.status == WaitlistStatus.OFFERED)
    seats = slot.capacity - taken - outstanding
    if seats <= 0:
        return []
    held = set(db.session.scalars(
        select(Booking.department_id).where(Booking.slot_id == slot.id, Booking.status.in_(ACTIVE_STATUSES))
    ))
    expires = min(now + timedelta(hours=rules.waitlist_offer_hours), as_utc(slot.starts_at) - BOOKING_LEAD_TIME)
    offers: list[WaitlistEntry] = []
    for entry in live:
        if len(offers) == seats:
            break
        if entry.status != WaitlistStatus.WAITING:
            continue
        if entry.department_id in held:  # it has a seat already (booked the ordinary way): it waits no more
            entry.status, entry.ended_at = WaitlistStatus.CLOSED, now
            continue
        entry.status, entry.offered_at, entry.offer_expires_at = WaitlistStatus.OFFERED, now, expires
        record_event(None, "waitlist.offered", entry, now, department_id=entry.department_id, slot_id=slot.id,
                     expires_at=expires.isoformat())
        notify([entry.joined_by], "waitlist_offer", now, entry=entry, slot=slot)
        offers.append(entry)
    return offers


def close_waitlist(slot: Slot, now: datetime) -> None:
    """The slot began or was withdrawn: nobody waits for it any more."""
    for entry in db.session.scalars(
        select(WaitlistEntry).where(WaitlistEntry.slot_id == slot.id,
                                    WaitlistEntry.status.in_(LIVE_WAITLIST_STATUSES))
    ):
        entry.status, entry.ended_at = WaitlistStatus.CLOSED, now


def expire_offers(now: datetime, rules: BookingRules) -> list[WaitlistEntry]:
    """Offers whose time passed unclaimed lapse and their seats go to the next in line; the waitlists of slots that
    began close. For cron (`flask bookings expire`): running it again changes nothing."""
    lapsed = list(db.session.scalars(
        select(WaitlistEntry)
        .where(WaitlistEntry.status == WaitlistStatus.OFFERED, WaitlistEntry.offer_expires_at <= now)
        .order_by(WaitlistEntry.id)
        .with_for_update(skip_locked=True)
    ))
    for entry in lapsed:
        entry.status, entry.ended_at = WaitlistStatus.LAPSED, now
        record_event(None, "waitlist.lapsed", entry, now, department_id=entry.department_id, slot_id=entry.slot_id)
    db.session.flush()
    slots = {entry.slot_id for entry in lapsed}
    slots |= set(db.session.scalars(
        select(WaitlistEntry.slot_id).join(Slot, WaitlistEntry.slot_id == Slot.id)
        .where(WaitlistEntry.status.in_(LIVE_WAITLIST_STATUSES), Slot.starts_at < now + BOOKING_LEAD_TIME)
    ))
    for slot in db.session.scalars(select(Slot).where(Slot.id.in_(slots)).order_by(Slot.id)):
        offer_freed_seats(slot, now, rules)
    return lapsed
