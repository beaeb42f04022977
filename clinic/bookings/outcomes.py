"""What became of a session, as everyone is shown it: a confirmed booking whose attendance the advisor recorded
(`Attendee.attended`, set by the record editor for every attendee) is "held" when at least one attendee came and
"no-show" when none did; otherwise its status. One rule, in Python (`shown_status`, for a booking in hand) and its
SQL twin (`shown_status_column`, for lists and the report), side by side and tested to agree; the case file, the
report (its rows, filter and exports) and the advisor's lists all use them."""

from enum import StrEnum

from sqlalchemy import ColumnElement, and_, case, exists

from clinic.bookings.models import Attendee, Booking, BookingStatus


class SessionOutcome(StrEnum):
    HELD = "held"  # confirmed, attendance recorded, at least one attendee came
    NO_SHOW = "no_show"  # confirmed, attendance recorded, nobody came


SHOWN_STATUSES = (*[s.value for s in BookingStatus], *[o.value for o in SessionOutcome])


def shown_status(booking: Booking) -> str:
    """The booking's status, or what became of its session once attendance was recorded (needs its attendees)."""
    if booking.status == BookingStatus.CONFIRMED:
        marks = [a.attended for a in booking.attendees if a.attended is not None]
        if marks:
            return SessionOutcome.HELD if any(marks) else SessionOutcome.NO_SHOW
    return booking.status


def shown_status_column() -> ColumnElement[str]:
    """`shown_status` in SQL, correlated to `Booking`."""
    came = exists().where(Attendee.booking_id == Booking.id, Attendee.attended.is_(True))
    recorded = exists().where(Attendee.booking_id == Booking.id, Attendee.attended.is_not(None))
    confirmed = Booking.status == BookingStatus.CONFIRMED.value
    return case(
        (and_(confirmed, came), SessionOutcome.HELD.value),
        (and_(confirmed, recorded), SessionOutcome.NO_SHOW.value),
        else_=Booking.status,
    )
