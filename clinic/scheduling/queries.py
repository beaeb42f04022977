"""Reads of advisors' availability that need nothing above scheduling: leave and closed days.
Calendar reads that show bookings live in `clinic.bookings.queries`."""

from collections.abc import Callable
from datetime import date, datetime
from functools import lru_cache
from typing import Any

import holidays
from flask import abort
from sqlalchemy import Date, Exists, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import selectinload
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from clinic.accounts.models import Role, User
from clinic.extensions import db
from clinic.i18n import bangkok_today
from clinic.scheduling.models import (
    AdvisorLeave,
    Availability,
    DateOverride,
    DayStatus,
    HolidayOverride,
    Slot,
    SlotSource,
    SlotStatus,
)


@lru_cache(maxsize=32)
def thai_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("TH", years=year, language="th")


def holiday_name(day: date) -> str | None:
    """The Thai public holiday on `day` (substitute days included), or None."""
    return thai_holidays(day.year).get(day)


ClosedName = Callable[[date], str | None]


def closed_calendar(first: date, last: date) -> ClosedName:
    """Why each day is closed to the clinic, for days from `first` to `last` with one query: the name of its Thai
    public holiday unless an administrator opened it, or the reason an administrator closed it. A day outside
    the range is looked up on its own."""
    overrides = {
        o.day: o
        for o in db.session.scalars(
            select(HolidayOverride).where(HolidayOverride.day >= first, HolidayOverride.day <= last)
        )
    }

    def closed(day: date) -> str | None:
        if not first <= day <= last:
            return closed_day_name(day)
        override = overrides.get(day)
        if override is None:
            return holiday_name(day)
        return override.reason if override.status == DayStatus.CLOSED else None

    return closed


def closed_day_name(day: date) -> str | None:
    """Why `day` is closed to the clinic (see `closed_calendar`), or None when it is open."""
    return closed_calendar(day, day)(day)


def holiday_overrides_from(first: date) -> list[HolidayOverride]:
    return list(
        db.session.scalars(
            select(HolidayOverride).where(HolidayOverride.day >= first).order_by(HolidayOverride.day)
        )
    )


def leave_on(advisor_id: int, day: date) -> AdvisorLeave | None:
    return db.session.scalar(
        select(AdvisorLeave).where(
            AdvisorLeave.advisor_id == advisor_id, AdvisorLeave.first_day <= day, AdvisorLeave.last_day >= day
        )
    )


def closed_days(slots: list[Slot]) -> set[tuple[int, date]]:
    """(advisor id, day) pairs among these slots that fall on a closed day (see `closed_calendar`) or the advisor's
    leave; two queries."""
    if not slots:
        return set()
    days = {(s.advisor_id, bangkok_today(s.starts_at)) for s in slots}
    closed_name = closed_calendar(min(d for _a, d in days), max(d for _a, d in days))
    closed = {(advisor_id, day) for advisor_id, day in days if closed_name(day)}
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


def get_advisor_or_404(advisor_id: int) -> User:
    advisor = db.session.get(User, advisor_id)
    if advisor is None or advisor.role != Role.ADVISOR:
        abort(404)
    return advisor


def get_date_override_or_404(advisor: User, override_id: int) -> DateOverride:
    """A date of this advisor's availability; another advisor's is not found."""
    override = db.session.get(DateOverride, override_id)
    if override is None or override.advisor_id != advisor.id:
        abort(404)
    return override


def get_leave_or_404(advisor: User, leave_id: int) -> AdvisorLeave:
    leave = db.session.get(AdvisorLeave, leave_id)
    if leave is None or leave.advisor_id != advisor.id:
        abort(404)
    return leave


def availability_of(advisor: User) -> Availability | None:
    return db.session.scalar(
        select(Availability).where(Availability.advisor_id == advisor.id).options(selectinload(Availability.hours))
    )


def upcoming_date_overrides(advisor: User, today: date) -> list[DateOverride]:
    return list(
        db.session.scalars(
            select(DateOverride)
            .where(DateOverride.advisor_id == advisor.id, DateOverride.day >= today)
            .order_by(DateOverride.day, DateOverride.starts)
        )
    )


def upcoming_leave(advisor: User, today: date) -> list[AdvisorLeave]:
    return list(
        db.session.scalars(
            select(AdvisorLeave)
            .where(AdvisorLeave.advisor_id == advisor.id, AdvisorLeave.last_day >= today)
            .order_by(AdvisorLeave.first_day)
        )
    )


def generated_slot_count(advisor: User, now: datetime, until: datetime) -> int:
    """Open generated slots of the advisor from now until `until`."""
    return db.session.scalar(
        select(func.count(Slot.id)).where(
            Slot.advisor_id == advisor.id,
            Slot.source == SlotSource.GENERATED,
            Slot.status == SlotStatus.OPEN,
            Slot.starts_at > now,
            Slot.starts_at < until,
        )
    ) or 0


def advisors_with_availability() -> list[tuple[User, Availability | None]]:
    """Every active advisor and their availability (None before they set it), by name; one query."""
    rows = db.session.execute(
        select(User, Availability)
        .outerjoin(Availability, Availability.advisor_id == User.id)
        .where(User.role == Role.ADVISOR, User.is_active_account.is_(True))
        .order_by(User.name, User.id)
    ).all()
    return [(user, availability) for user, availability in rows]


MAX_ADVISORS_SIDE_BY_SIDE = 200


def advisors_with_calendars() -> list[User]:
    """Every active advisor, by name (at most MAX_ADVISORS_SIDE_BY_SIDE); one query."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.role == Role.ADVISOR, User.is_active_account.is_(True))
            .order_by(User.name, User.id)
            .limit(MAX_ADVISORS_SIDE_BY_SIDE)
        )
    )


class bangkok_date(FunctionElement[date]):
    """The Bangkok calendar day of a UTC timestamp column, in SQL (Bangkok keeps UTC+7 all year)."""

    type = Date()
    inherit_cache = True
    name = "bangkok_date"


@compiles(bangkok_date)
def _bangkok_date_sqlite(element: bangkok_date, compiler: SQLCompiler, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)}, '+7 hours')"


@compiles(bangkok_date, "postgresql")
def _bangkok_date_postgresql(element: bangkok_date, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(({compiler.process(element.clauses, **kw)} AT TIME ZONE 'Asia/Bangkok') AS DATE)"


def on_leave_that_day(advisor_id: Any, starts_at: Any) -> Exists:
    """SQL: the advisor is on leave on the Bangkok day of `starts_at` (for one query that reads a slot and its
    facts together; `leave_on` answers the same for one day in Python)."""
    day = bangkok_date(starts_at)
    return (
        select(AdvisorLeave.id)
        .where(AdvisorLeave.advisor_id == advisor_id, AdvisorLeave.first_day <= day, AdvisorLeave.last_day >= day)
        .exists()
    )
