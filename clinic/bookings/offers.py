"""What happens to a seat when it is freed (a cancellation, a refusal, a reschedule away, an expiry): the waitlist of
its slot is offered it. Beneath the booking services, which call it in the transaction that frees the seat."""

from datetime import datetime

from clinic.bookings.rules import BookingRules
from clinic.scheduling.models import Slot


def offer_freed_seats(slot: Slot, now: datetime, rules: BookingRules) -> None:
    """Offer the free seats of `slot` to the departments waiting for it, in order."""
