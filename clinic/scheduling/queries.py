"""Reads of advisors' availability that need nothing above scheduling: leave and closed days.
Calendar reads that show bookings live in `clinic.bookings.queries`."""

from datetime import date
from functools import lru_cache

import holidays
from sqlalchemy import select

from clinic.extensions import db
from clinic.i18n import bangkok_today
from clinic.scheduling.models import AdvisorLeave, Slot


@lru_cache(maxsize=32)
def thai_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("TH", years=year, language="th")


def holiday_name(day: date) -> str | None:
    """The Thai public holiday on `day` (substitute days included), or None."""
    return thai_holidays(day.year).get(day)


def leave_on(advisor_id: int, day: date) -> AdvisorLeave | None:
    return db.session.scalar(
        select(AdvisorLeave).where(
            AdvisorLeave.advisor_id == advisor_id, AdvisorLeave.first_day <= day, AdvisorLeave.last_day >= day
        )
    )


def closed_days(slots: list[Slot]) -> set[tuple[int, date]]:
    """(advisor id, day) pairs among these slots that fall on a public holiday or the advisor's leave; one query."""
    if not slots:
        return set()
    days = {(s.advisor_id, bangkok_today(s.starts_at)) for s in slots}
    closed = {(advisor_id, day) for advisor_id, day in days if holiday_name(day)}
    leaves = db.session.scalars(
        select(AdvisorLeave).where(
            AdvisorLeave.advisor_id.in_({a for a, _d in days}),
            AdvisorLeave.last_day >= min(d for _a, d in days),
            AdvisorLeave.first_day <= max(d for _a, d in days),
        )
    ).all()
    for leave in leaves:
        closed |= {(a, d) for a, d in days if a == leave.advisor_id and leave.first_day <= d <= leave.last_day}
    return closed
