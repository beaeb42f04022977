"""Reminders of sessions, queued by `flask reminders queue` (cron): on the working day before a session, the
department's officer who booked it and the advisor are reminded, once however often the command runs."""

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import contains_eager, joinedload

from clinic.bookings.models import Booking, BookingStatus
from clinic.bookings.rules import is_working_day
from clinic.bookings.services import reminder_key
from clinic.extensions import db
from clinic.i18n import bangkok_to_utc, bangkok_today
from clinic.notifications.services import notify
from clinic.scheduling.models import Slot
from clinic.scheduling.queries import closed_calendar

MAX_DAYS_AHEAD = 14  # a bound on the look-ahead, far beyond any run of holidays


def next_working_day(day: date) -> date:
    """The next day the clinic works: weekends, Thai public holidays (unless opened) and days an administrator
    closed are skipped (one query)."""
    closed = closed_calendar(day, day + timedelta(days=MAX_DAYS_AHEAD))
    following = day + timedelta(days=1)
    for _ in range(MAX_DAYS_AHEAD):
        if is_working_day(following, closed):
            return following
        following += timedelta(days=1)
    return following


def sessions_to_remind(now: datetime) -> list[Booking]:
    """Confirmed sessions after today (Bangkok) up to and including the next working day: run on a Friday, the
    sessions of Monday (and of a weekend clinic day) are reminded; run on the eve of a holiday, those after it."""
    today = bangkok_today(now)
    start = bangkok_to_utc(today + timedelta(days=1), 0, 0)
    end = bangkok_to_utc(next_working_day(today) + timedelta(days=1), 0, 0)
    return list(
        db.session.scalars(
            select(Booking)
            .join(Booking.slot)
            .where(Booking.status == BookingStatus.CONFIRMED, Slot.starts_at >= start, Slot.starts_at < end,
                   Slot.starts_at > now)
            .options(contains_eager(Booking.slot).joinedload(Slot.advisor), joinedload(Booking.booked_by),
                     joinedload(Booking.department), joinedload(Booking.topic))
            .order_by(Slot.starts_at, Booking.id)
        )
    )


def queue_session_reminders(now: datetime) -> int:
    """Queue the reminders due at `now` into the caller's transaction; returns how many e-mails were queued
    (0 when the command ran already today)."""
    queued = 0
    for booking in sessions_to_remind(now):
        queued += len(notify([booking.booked_by, booking.slot.advisor], "session_reminder", now,
                             key=reminder_key(booking), booking=booking, slot=booking.slot))
    return queued
