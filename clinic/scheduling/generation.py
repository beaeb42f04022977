"""Which slots an advisor's availability asks for, and how to get there from the slots that exist.

Pure functions of their arguments (no database, no clock): `wanted_slots` turns the weekly hours, the dated
exceptions, leave, days off and Thai public holidays into the sessions of the coming weeks; `plan_reconciliation`
compares those with the advisor's open slots and says what to create, what to withdraw, and what to report
instead of touching: a slot that holds bookings is never withdrawn, and a wanted session that would overlap a
slot that stays is skipped."""

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from clinic.i18n import BANGKOK, bangkok_today
from clinic.scheduling.models import SlotMode, SlotSource


@dataclass(frozen=True, order=True)
class Hours:
    """A range of hours on one day, Bangkok time; `end` is after `start`."""

    start: time
    end: time

    def length(self) -> timedelta:
        return datetime.combine(date.min, self.end) - datetime.combine(date.min, self.start)

    def overlaps(self, other: "Hours") -> bool:
        return self.start < other.end and other.start < self.end

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True)
class Rules:
    """An advisor's availability as the generator reads it."""

    weekly: Mapping[int, Sequence[Hours]]  # weekday (0 Monday ... 6 Sunday) → its ranges
    session: timedelta
    buffer: timedelta
    valid_from: date
    valid_until: date | None
    mode: SlotMode
    location: str = ""
    meeting_url: str = ""
    capacity: int = 1

    def applies_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)


@dataclass(frozen=True)
class Exceptions:
    """What departs from the weekly hours: extra hours on dates, days off, and leave (first and last day)."""

    extra: Mapping[date, Sequence[Hours]] = field(default_factory=dict)
    days_off: frozenset[date] = frozenset()
    leave: Sequence[tuple[date, date]] = ()

    def on_leave(self, day: date) -> bool:
        return any(first <= day <= last for first, last in self.leave)


class Closed(StrEnum):
    """Why a day has no sessions, or why a booked slot no longer fits the availability."""

    HOLIDAY = "holiday"
    LEAVE = "leave"
    DAY_OFF = "day_off"
    OUTSIDE_PERIOD = "outside_period"
    OUTSIDE_HOURS = "outside_hours"
    DETAILS_CHANGED = "details_changed"


HolidayName = Callable[[date], str | None]


def closed_reason(day: date, exceptions: Exceptions, holiday: HolidayName) -> Closed | None:
    """Why nothing is generated on `day`: a Thai public holiday (substitute days included), leave, a day off."""
    if holiday(day):
        return Closed.HOLIDAY
    if exceptions.on_leave(day):
        return Closed.LEAVE
    if day in exceptions.days_off:
        return Closed.DAY_OFF
    return None


@dataclass(frozen=True, order=True)
class WantedSlot:
    """A session the availability asks for, in UTC, with where it is held and how many it takes."""

    starts_at: datetime
    ends_at: datetime
    mode: SlotMode
    location: str
    meeting_url: str
    capacity: int


def merged(ranges: Iterable[Hours]) -> list[Hours]:
    """The ranges in order, those that overlap or touch joined into one: weekly hours and a date's extra hours
    (09:00-12:00 and 11:00-14:00) make one stretch of sessions (09:00-14:00)."""
    result: list[Hours] = []
    for hours in sorted(ranges):
        if result and hours.start <= result[-1].end:
            result[-1] = Hours(result[-1].start, max(result[-1].end, hours.end))
        else:
            result.append(hours)
    return result


def sessions_in(hours: Hours, session: timedelta, buffer: timedelta) -> list[Hours]:
    """Whole sessions from the start of `hours`, each followed by `buffer`; a session that would end after
    the range is left out (09:00-12:00, 50 min, 10 min buffer: 09:00, 10:00, 11:00)."""
    if session <= timedelta(0):
        return []
    day = date(2000, 1, 3)  # any date: the arithmetic stays within the day
    start = datetime.combine(day, hours.start)
    end = datetime.combine(day, hours.end)
    found = []
    while start + session <= end:
        found.append(Hours(start.time(), (start + session).time()))
        start += session + buffer
    return found


def hours_on(day: date, rules: Rules, exceptions: Exceptions) -> list[Hours]:
    """The ranges of `day` before closures: its weekday's hours within the period, and its extra hours."""
    weekly = list(rules.weekly.get(day.weekday(), ())) if rules.applies_on(day) else []
    return merged([*weekly, *exceptions.extra.get(day, ())])


def horizon_days(now: datetime, weeks: int) -> list[date]:
    """The days slots are generated for: today (Bangkok) and the following `weeks` weeks less a day."""
    today = bangkok_today(now)
    return [today + timedelta(days=i) for i in range(weeks * 7)]


def horizon_end(now: datetime, weeks: int) -> datetime:
    """Midnight (Bangkok) after the last day of the horizon, in UTC."""
    last = bangkok_today(now) + timedelta(days=weeks * 7)
    return datetime.combine(last, time(0), BANGKOK).astimezone(UTC)


def at(day: date, moment: time) -> datetime:
    return datetime.combine(day, moment, BANGKOK).astimezone(UTC)


def wanted_slots(
    rules: Rules | None, exceptions: Exceptions, now: datetime, weeks: int, holiday: HolidayName
) -> list[WantedSlot]:
    """Every session the availability asks for from `now` to the end of the horizon, in order. Nothing on a
    public holiday, a day of leave or a day off; nothing that has already started."""
    if rules is None:
        return []
    wanted = []
    for day in horizon_days(now, weeks):
        if closed_reason(day, exceptions, holiday):
            continue
        for hours in hours_on(day, rules, exceptions):
            for session in sessions_in(hours, rules.session, rules.buffer):
                starts_at = at(day, session.start)
                if starts_at <= now:
                    continue
                wanted.append(
                    WantedSlot(
                        starts_at, at(day, session.end), rules.mode, rules.location, rules.meeting_url, rules.capacity
                    )
                )
    return wanted


@dataclass(frozen=True)
class ExistingSlot:
    """An open slot of the advisor, as reconciliation sees it; `held` when it has active bookings."""

    id: int
    starts_at: datetime
    ends_at: datetime
    source: SlotSource
    mode: SlotMode
    location: str
    meeting_url: str
    capacity: int
    held: bool = False

    def overlaps(self, starts_at: datetime, ends_at: datetime) -> bool:
        return self.starts_at < ends_at and starts_at < self.ends_at


@dataclass(frozen=True)
class SlotConflict:
    """A slot holding bookings that no longer fits the availability: kept, and shown to the advisor."""

    slot_id: int
    starts_at: datetime
    ends_at: datetime
    reason: Closed


@dataclass(frozen=True)
class SkippedSlot:
    """A wanted session not created because it would overlap a slot that stays (`blocker`)."""

    wanted: WantedSlot
    blocker_id: int
    blocker_source: SlotSource


@dataclass
class Reconciliation:
    """What regeneration does: slots to create and to withdraw, and what it reports instead of doing."""

    create: list[WantedSlot] = field(default_factory=list)
    withdraw: list[int] = field(default_factory=list)
    conflicts: list[SlotConflict] = field(default_factory=list)
    skipped: list[SkippedSlot] = field(default_factory=list)

    @property
    def changes(self) -> bool:
        return bool(self.create or self.withdraw)


def same_details(wanted: WantedSlot, slot: ExistingSlot) -> bool:
    return (wanted.mode, wanted.location, wanted.meeting_url, wanted.capacity) == (
        slot.mode, slot.location, slot.meeting_url, slot.capacity
    )


def unwanted_reason(
    slot: ExistingSlot, rules: Rules | None, exceptions: Exceptions, holiday: HolidayName
) -> Closed:
    """Why a generated slot is no longer asked for, for the advisor to read."""
    day = bangkok_today(slot.starts_at)
    closed = closed_reason(day, exceptions, holiday)
    if closed:
        return closed
    if rules is None or (not rules.applies_on(day) and day not in exceptions.extra):
        return Closed.OUTSIDE_PERIOD
    return Closed.OUTSIDE_HOURS


def plan_reconciliation(
    wanted: Sequence[WantedSlot],
    existing: Sequence[ExistingSlot],
    now: datetime,
    reason: Callable[[ExistingSlot], Closed],
) -> Reconciliation:
    """Compare the wanted sessions with the advisor's open slots of the horizon.

    Only generated slots that have not started are candidates for change. One at a wanted time with the wanted
    details stays; one without bookings that is not wanted (or whose details changed) is withdrawn; one with
    bookings stays whatever the rules say, and is reported as a conflict. A wanted session no slot satisfies is
    created, unless it overlaps a slot that stays (a manual one, or a booked one): then it is skipped and reported."""
    by_time = {(w.starts_at, w.ends_at): w for w in wanted}
    plan = Reconciliation()
    staying: list[ExistingSlot] = []
    satisfied: set[tuple[datetime, datetime]] = set()
    for slot in sorted(existing, key=lambda s: (s.starts_at, s.id)):
        if slot.source != SlotSource.GENERATED or slot.starts_at <= now:
            staying.append(slot)
            continue
        key = (slot.starts_at, slot.ends_at)
        match = by_time.get(key)
        if match is not None and same_details(match, slot):
            staying.append(slot)
            satisfied.add(key)
        elif slot.held:
            staying.append(slot)
            why = Closed.DETAILS_CHANGED if match is not None else reason(slot)
            plan.conflicts.append(SlotConflict(slot.id, slot.starts_at, slot.ends_at, why))
            if match is not None:
                satisfied.add(key)
        else:
            plan.withdraw.append(slot.id)
    for session in sorted(wanted):
        if (session.starts_at, session.ends_at) in satisfied:
            continue
        blocker = next((s for s in staying if s.overlaps(session.starts_at, session.ends_at)), None)
        if blocker is not None:
            plan.skipped.append(SkippedSlot(session, blocker.id, blocker.source))
        else:
            plan.create.append(session)
    return plan
