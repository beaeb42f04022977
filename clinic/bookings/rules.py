"""The booking rules OPDC runs the clinic by: how much notice, how far ahead, until when a department may cancel,
and how many active bookings one department may hold. Settings with defaults (clinic/config.py), read once per
request by `BookingRules.from_config` and passed to the services, which enforce them; the booking page shows them."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from clinic.scheduling.queries import ClosedName, closed_calendar


@dataclass(frozen=True)
class BookingRules:
    min_notice_working_days: int = 2
    max_days_ahead: int = 90
    cancel_cutoff_hours: int = 24
    max_active_per_department: int = 3
    waitlist_offer_hours: int = 24  # how long a department offered a freed seat from the waitlist has to claim it

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "BookingRules":
        defaults = cls()
        return cls(
            min_notice_working_days=int(config.get("BOOKING_MIN_NOTICE_WORKING_DAYS", defaults.min_notice_working_days)),
            max_days_ahead=int(config.get("BOOKING_MAX_DAYS_AHEAD", defaults.max_days_ahead)),
            cancel_cutoff_hours=int(config.get("BOOKING_CANCEL_CUTOFF_HOURS", defaults.cancel_cutoff_hours)),
            max_active_per_department=int(
                config.get("BOOKING_MAX_ACTIVE_PER_DEPARTMENT", defaults.max_active_per_department)
            ),
            waitlist_offer_hours=int(config.get("WAITLIST_OFFER_HOURS", defaults.waitlist_offer_hours)),
        )

    @property
    def cancel_cutoff(self) -> timedelta:
        return timedelta(hours=self.cancel_cutoff_hours)

    @property
    def notice_span(self) -> timedelta:
        """Far enough ahead to hold the notice's working days whatever the weekends and holidays in between."""
        return timedelta(days=3 * self.min_notice_working_days + 14)

    def earliest_day(self, today: date, closed: ClosedName | None = None) -> date:
        """The first day a slot may be on when booked `today` (Bangkok): `min_notice_working_days` working days
        after today, counting neither weekends nor Thai public holidays (unless an administrator opened
        one), nor the extra days an administrator closed. With 2, a Friday books from Tuesday,
        or from Wednesday when that Monday is a holiday."""
        if closed is None:
            closed = closed_calendar(today, today + self.notice_span)  # one query
        day, counted = today, 0
        while counted < self.min_notice_working_days:
            day += timedelta(days=1)
            if is_working_day(day, closed):
                counted += 1
        return day

    def latest_start(self, now: datetime) -> datetime:
        """No slot starting after this may be booked at `now`."""
        return now + timedelta(days=self.max_days_ahead)


def is_working_day(day: date, closed: ClosedName) -> bool:
    """A weekday that is neither a public holiday (unless opened) nor a day an administrator closed."""
    return day.weekday() < 5 and closed(day) is None


DEFAULT_RULES = BookingRules()
