"""Reads of bookings: loaders that check access, seat counts and the open-slot search, and the advisor's
calendar (sessions and a week of slots). Each issues a fixed number of queries whatever the rows it returns."""

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import abort
from sqlalchemy import ColumnElement, ScalarSelect, and_, case, exists, func, not_, or_, select
from sqlalchemy.orm import aliased, contains_eager, joinedload, selectinload

from clinic.accounts.models import User
from clinic.accounts.policies import can_view_department, department_scope
from clinic.bookings.models import (
    ACTIVE_STATUSES,
    LIVE_WAITLIST_STATUSES,
    Booking,
    BookingMove,
    BookingStatus,
    Document,
    WaitlistEntry,
)
from clinic.bookings.policies import can_view_booking
from clinic.bookings.rules import DEFAULT_RULES, BookingRules
from clinic.extensions import db
from clinic.i18n import BANGKOK, bangkok_today, to_bangkok
from clinic.organisations.models import Department, Topic, advisor_topics
from clinic.scheduling.models import AdvisorLeave, ClinicDay, Slot, SlotSource, SlotStatus, clinic_day_topics
from clinic.scheduling.policies import may_book_at
from clinic.scheduling.queries import closed_days
from clinic.scheduling.services import BOOKING_LEAD_TIME


def booking_options() -> tuple[Any, ...]:
    return (
        joinedload(Booking.slot).joinedload(Slot.advisor),
        joinedload(Booking.department).joinedload(Department.ministry),
        joinedload(Booking.topic),
        selectinload(Booking.attendees),
        selectinload(Booking.documents),
    )


def get_booking_or_404(booking_id: int, user: User) -> Booking:
    """The one loader every booking route uses: someone outside the case file gets 404, not a hint."""
    moves = selectinload(Booking.moves).options(
        joinedload(BookingMove.from_slot), joinedload(BookingMove.to_slot), joinedload(BookingMove.moved_by)
    )
    booking = db.session.scalar(select(Booking).where(Booking.id == booking_id).options(*booking_options(), moves))
    if booking is None or not can_view_booking(user, booking):
        abort(404)
    return booking


def get_document_or_404(document_id: int, user: User) -> Document:
    document = db.session.get(Document, document_id)
    if document is None or not can_view_booking(user, document.booking):
        abort(404)
    return document


def departments_in_scope(user: User) -> list[Department]:
    return list(
        db.session.scalars(
            select(Department)
            .where(department_scope(user, Department.id), Department.retired_at.is_(None))  # merged: not bookable
            .order_by(Department.ministry_id, Department.id)
        )
    )


def active_bookings_count() -> ScalarSelect[int]:
    """Correlated count of a slot's active bookings."""
    return (
        select(func.count(Booking.id))
        .where(Booking.slot_id == Slot.id, Booking.status.in_(ACTIVE_STATUSES))
        .correlate(Slot)
        .scalar_subquery()
    )


@dataclass(frozen=True)
class OpenSlot:
    slot: Slot
    seats_left: int


def booking_window(now: datetime, rules: BookingRules) -> tuple[datetime, datetime]:
    """The first and the last start a slot may have to be booked at `now`: after the lead time and the minimum
    notice in working days, no later than the furthest day ahead."""
    earliest = datetime.combine(rules.earliest_day(bangkok_today(now)), time(), tzinfo=BANGKOK)
    return max(now + BOOKING_LEAD_TIME, earliest), rules.latest_start(now)


def on_topic(topic: Topic) -> ColumnElement[bool]:
    """A slot on `topic`: of an advisor expert in it, or a session of a clinic day on it."""
    return or_(
        and_(
            Slot.clinic_day_id.is_(None),
            exists().where(and_(advisor_topics.c.advisor_id == Slot.advisor_id, advisor_topics.c.topic_id == topic.id)),
        ),
        exists().where(
            and_(clinic_day_topics.c.clinic_day_id == Slot.clinic_day_id, clinic_day_topics.c.topic_id == topic.id)
        ),
    )


def bookable(topic: Topic, now: datetime, rules: BookingRules, first: datetime | None = None,
             until: datetime | None = None) -> list[ColumnElement[bool]]:
    """The conditions of a slot one may book on `topic` at `now` (but closed days, read apart), within
    [`first`, `until`) when given."""
    earliest, latest = booking_window(now, rules)
    conditions = [
        Slot.status == SlotStatus.OPEN,
        Slot.starts_at >= max(earliest, first) if first else Slot.starts_at >= earliest,
        Slot.starts_at <= latest,
        on_topic(topic),
        active_bookings_count() < Slot.capacity,
    ]
    if until is not None:
        conditions.append(Slot.starts_at < until)
    return conditions


def open_slots_for_topic(
    topic: Topic, now: datetime, rules: BookingRules = DEFAULT_RULES, limit: int = 200,
    first: datetime | None = None, until: datetime | None = None,
) -> list[OpenSlot]:
    """Slots with a free seat on `topic` (of advisors expert in it, or sessions of a clinic day on it) that the
    booking rules let one book at `now` (from the first day after the minimum notice, up to the furthest day ahead),
    within [`first`, `until`) when given. Three queries (the slots, closed days, leave), whatever the number of slots."""
    taken = active_bookings_count().label("taken")
    rows = db.session.execute(
        select(Slot, taken)
        .options(joinedload(Slot.advisor), joinedload(Slot.clinic_day).joinedload(ClinicDay.ministry))
        .where(*bookable(topic, now, rules, first, until))
        .order_by(Slot.starts_at, Slot.id)
        .limit(limit)
    ).all()
    closed = closed_days([slot for slot, _count in rows])
    return [
        OpenSlot(slot, slot.capacity - count)
        for slot, count in rows
        if slot.opened_on_closed_day or (slot.advisor_id, bangkok_today(slot.starts_at)) not in closed
    ]


def open_days_for_topic(topic: Topic, now: datetime, rules: BookingRules, first_day: date, last_day: date,
                        limit: int = 5000) -> dict[date, int]:
    """How many bookable slots on `topic` each day from `first_day` to `last_day` (Bangkok) has, for the month
    view: three queries, reading only the slots' advisor, start and opening (at most `limit` of them)."""
    rows = db.session.execute(
        select(Slot.advisor_id, Slot.starts_at, Slot.opened_on_closed_day)
        .where(*bookable(topic, now, rules, datetime.combine(first_day, time(), BANGKOK),
                         datetime.combine(last_day + timedelta(days=1), time(), BANGKOK)))
        .order_by(Slot.starts_at)
        .limit(limit)
    ).all()
    closed = closed_days(rows)  # type: ignore[arg-type]  # rows carry the two attributes it reads
    counts: dict[date, int] = {}
    for advisor_id, starts_at, opened in rows:
        day = bangkok_today(starts_at)
        if opened or (advisor_id, day) not in closed:
            counts[day] = counts.get(day, 0) + 1
    return counts


def first_available(topic: Topic, now: datetime, rules: BookingRules, departments: Sequence[Department],
                    look_at: int = 50) -> OpenSlot | None:
    """The earliest slot on `topic` that one of `departments` may book, across advisors (among the first
    `look_at` bookable ones: a clinic day for another ministry is passed over); four queries."""
    for item in open_slots_for_topic(topic, now, rules, limit=look_at):
        day = item.slot.clinic_day
        if day is None or any(may_book_at(d, day) for d in departments):
            return item
    return None


def least_loaded_slot(topic: Topic, now: datetime, rules: BookingRules, starts_at: datetime,
                      clinic_day_id: int | None, departments: Sequence[Department]) -> Slot | None:
    """"Any advisor": of the bookable slots on `topic` starting at `starts_at` (at OPDC, or of one clinic day), the
    one whose advisor has the fewest active bookings of sessions to come (then by name). Four queries, whatever
    the number of advisors."""
    held = aliased(Slot)
    load = (
        select(func.count(Booking.id))
        .join(held, Booking.slot_id == held.id)
        .where(held.advisor_id == Slot.advisor_id, held.starts_at > now, Booking.status.in_(ACTIVE_STATUSES))
        .correlate(Slot)
        .scalar_subquery()
    )
    same_place = Slot.clinic_day_id.is_(None) if clinic_day_id is None else Slot.clinic_day_id == clinic_day_id
    candidates = list(
        db.session.scalars(
            select(Slot)
            .join(User, User.id == Slot.advisor_id)
            .options(joinedload(Slot.clinic_day))
            .where(*bookable(topic, now, rules), Slot.starts_at == starts_at, same_place)
            .order_by(load, User.name, Slot.id)
        )
    )
    closed = closed_days(candidates)
    for slot in candidates:
        if not slot.opened_on_closed_day and (slot.advisor_id, bangkok_today(slot.starts_at)) in closed:
            continue
        if slot.clinic_day is None or any(may_book_at(d, slot.clinic_day) for d in departments):
            return slot
    return None


# Clinic days held at a ministry (administered in `clinic.bookings.clinic_days`).


@dataclass(frozen=True)
class ClinicDayRow:
    clinic_day: ClinicDay
    sessions: int
    booked: int


def clinic_days_from(first_day: date, limit: int = 200) -> list[ClinicDayRow]:
    """Clinic days from `first_day` on, soonest first, with their open sessions and active bookings; one query."""
    sessions = (
        select(func.count(Slot.id))
        .where(Slot.clinic_day_id == ClinicDay.id, Slot.status == SlotStatus.OPEN)
        .correlate(ClinicDay)
        .scalar_subquery()
    )
    booked = (
        select(func.count(Booking.id))
        .join(Slot, Booking.slot_id == Slot.id)
        .where(Slot.clinic_day_id == ClinicDay.id, Booking.status.in_(ACTIVE_STATUSES))
        .correlate(ClinicDay)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(ClinicDay, sessions, booked)
        .options(joinedload(ClinicDay.ministry), selectinload(ClinicDay.advisors))
        .where(ClinicDay.day >= first_day)
        .order_by(ClinicDay.day, ClinicDay.id)
        .limit(limit)
    ).all()
    return [ClinicDayRow(day, n_sessions or 0, n_booked or 0) for day, n_sessions, n_booked in rows]


def get_clinic_day_or_404(clinic_day_id: int) -> ClinicDay:
    clinic_day = db.session.scalar(
        select(ClinicDay)
        .where(ClinicDay.id == clinic_day_id)
        .options(joinedload(ClinicDay.ministry), selectinload(ClinicDay.advisors), selectinload(ClinicDay.topics))
    )
    if clinic_day is None:
        abort(404)
    return clinic_day


def clinic_day_sessions(clinic_day: ClinicDay) -> list[tuple[Slot, list[Booking]]]:
    """The clinic day's open sessions by time and advisor, each with its active bookings; two queries."""
    slots = list(
        db.session.scalars(
            select(Slot)
            .where(Slot.clinic_day_id == clinic_day.id, Slot.status == SlotStatus.OPEN)
            .options(joinedload(Slot.advisor))
            .order_by(Slot.starts_at, Slot.advisor_id)
        )
    )
    bookings = active_bookings_of([s.id for s in slots])
    return [(slot, bookings.get(slot.id, [])) for slot in slots]


def clinic_day_bookings(clinic_day: ClinicDay) -> list[Booking]:
    """The active bookings on a clinic day's sessions (what cancelling it would cancel); one query."""
    return list(
        db.session.scalars(
            select(Booking)
            .join(Booking.slot)
            .where(Slot.clinic_day_id == clinic_day.id, Slot.status == SlotStatus.OPEN,
                   Booking.status.in_(ACTIVE_STATUSES))
            .options(contains_eager(Booking.slot), joinedload(Booking.department))
            .order_by(Slot.starts_at, Booking.id)
        )
    )


def upcoming_bookings(advisor: User, now: datetime, limit: int = 200) -> list[Booking]:
    """Bookings on the advisor's slots that have not ended, pending and confirmed first by time."""
    return list(
        db.session.scalars(
            select(Booking)
            .join(Booking.slot)
            .where(Slot.advisor_id == advisor.id, Slot.ends_at > now, Booking.status.in_(ACTIVE_STATUSES))
            .options(
                contains_eager(Booking.slot),
                joinedload(Booking.department).joinedload(Department.ministry),
                joinedload(Booking.topic),
                selectinload(Booking.attendees),  # what became of the session (`shown_status`)
            )
            .order_by(Slot.starts_at, Booking.id)
            .limit(limit)
        )
    )


def recent_bookings_to_record(advisor: User, now: datetime, days: int = 30) -> list[Booking]:
    """Confirmed sessions of the last `days` days, for writing their records."""
    return list(
        db.session.scalars(
            select(Booking)
            .join(Booking.slot)
            .where(
                Slot.advisor_id == advisor.id,
                Slot.starts_at <= now,
                Slot.starts_at > now - timedelta(days=days),
                Booking.status == BookingStatus.CONFIRMED,
            )
            .options(contains_eager(Booking.slot), joinedload(Booking.department), joinedload(Booking.topic),
                     selectinload(Booking.attendees))
            .order_by(Slot.starts_at.desc())
        )
    )


@dataclass
class DayColumn:
    """One advisor's day in a calendar: their slots (with the clinic day each belongs to), the bookings of each
    slot, and the leave that day falls in, if any."""

    day: date
    slots: list[Slot] = field(default_factory=list)
    bookings: dict[int, list[Booking]] = field(default_factory=dict)
    leave: AdvisorLeave | None = None


MAX_CALENDAR_DAYS = 42  # a month view: six weeks


def calendar_days(advisor_ids: Sequence[int], first: date, last: date,
                  with_attendees: bool = False) -> dict[int, list[DayColumn]]:
    """Each advisor's days from `first` to `last` (at most six weeks): slots, their bookings and leave; three
    queries whatever the number of advisors and days (a fourth for the attendees, for an agenda). Generated slots
    that regeneration withdrew are left out: nobody cancelled them, the hours changed. Bookings come with their
    department and topic."""
    last = min(last, first + timedelta(days=MAX_CALENDAR_DAYS - 1))
    start = datetime.combine(first, datetime.min.time(), BANGKOK)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), BANGKOK)
    ids = list(advisor_ids)
    withdrawn = and_(Slot.status == SlotStatus.CANCELLED, Slot.source == SlotSource.GENERATED)
    in_range = (Slot.advisor_id.in_(ids), Slot.starts_at >= start, Slot.starts_at < end, not_(withdrawn))
    slots = db.session.scalars(
        select(Slot).where(*in_range).options(joinedload(Slot.clinic_day)).order_by(Slot.starts_at, Slot.id)
    ).all()
    bookings = db.session.scalars(
        select(Booking)
        .join(Booking.slot)
        .where(*in_range)
        .options(joinedload(Booking.department), joinedload(Booking.topic),
                 *([selectinload(Booking.attendees)] if with_attendees else []))
        .order_by(Booking.id)
    ).all()
    leaves = db.session.scalars(
        select(AdvisorLeave).where(
            AdvisorLeave.advisor_id.in_(ids), AdvisorLeave.first_day <= last, AdvisorLeave.last_day >= first
        )
    ).all()
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    calendars = {advisor_id: [DayColumn(day) for day in days] for advisor_id in ids}
    by_day = {(advisor_id, c.day): c for advisor_id, columns in calendars.items() for c in columns}
    for slot in slots:
        by_day[slot.advisor_id, to_bangkok(slot.starts_at).date()].slots.append(slot)
    for booking in bookings:
        column = by_day[booking.slot.advisor_id, to_bangkok(booking.slot.starts_at).date()]
        column.bookings.setdefault(booking.slot_id, []).append(booking)
    for leave in leaves:
        for day in days:
            if leave.first_day <= day <= leave.last_day:
                by_day[leave.advisor_id, day].leave = leave
    return calendars


def week_of(advisor: User, monday: date) -> list[DayColumn]:
    """The advisor's week starting `monday`, a column per day (see `calendar_days`), attendees loaded: the week
    shows held and no-show (`shown_status`)."""
    return calendar_days([advisor.id], monday, monday + timedelta(days=6), with_attendees=True)[advisor.id]


def slots_holding_bookings(slot_ids: Collection[int]) -> set[int]:
    """Those of these slots that hold an active booking; one query. Regeneration never withdraws them
    (handed to `clinic.scheduling.services.Regeneration`)."""
    if not slot_ids:
        return set()
    return set(
        db.session.scalars(
            select(Booking.slot_id)
            .where(Booking.slot_id.in_(list(slot_ids)), Booking.status.in_(ACTIVE_STATUSES))
            .distinct()
        )
    )


def active_bookings_of(slot_ids: Collection[int]) -> dict[int, list[Booking]]:
    """The active bookings of these slots with their departments, by slot; one query."""
    found: dict[int, list[Booking]] = {}
    if not slot_ids:
        return found
    for booking in db.session.scalars(
        select(Booking)
        .where(Booking.slot_id.in_(list(slot_ids)), Booking.status.in_(ACTIVE_STATUSES))
        .options(joinedload(Booking.department))
        .order_by(Booking.slot_id, Booking.id)
    ):
        found.setdefault(booking.slot_id, []).append(booking)
    return found


def bookings_during_leave(advisor: User, leaves: Sequence[AdvisorLeave], now: datetime) -> dict[int, list[Booking]]:
    """Active bookings of the advisor's slots that fall on their leave (not yet over), by leave id: sessions to
    resolve, since taking leave cancels nothing. One query, whatever the number of leaves."""
    found: dict[int, list[Booking]] = {}
    upcoming = [leave for leave in leaves if leave.last_day >= bangkok_today(now)]
    if not upcoming:
        return found
    start = datetime.combine(min(leave.first_day for leave in upcoming), datetime.min.time(), BANGKOK)
    end = datetime.combine(max(leave.last_day for leave in upcoming) + timedelta(days=1), datetime.min.time(), BANGKOK)
    bookings = db.session.scalars(
        select(Booking)
        .join(Booking.slot)
        .where(
            Slot.advisor_id == advisor.id,
            Slot.starts_at >= max(start, now),
            Slot.starts_at < end,
            Booking.status.in_(ACTIVE_STATUSES),
        )
        .options(contains_eager(Booking.slot), joinedload(Booking.department))
        .order_by(Slot.starts_at, Booking.id)
    )
    for booking in bookings:
        day = bangkok_today(booking.slot.starts_at)
        for leave in upcoming:
            if leave.first_day <= day <= leave.last_day:
                found.setdefault(leave.id, []).append(booking)
    return found


@dataclass(frozen=True)
class WaitlistLine:
    entry: WaitlistEntry
    position: int  # 1 for the first in line (live entries only; 0 once the entry ended)


def waitlist_of(user: User, limit: int = 100) -> list[WaitlistLine]:
    """The waitlist entries of the departments in the user's scope, live ones first, each with its place in its
    slot's line; one query."""
    earlier = aliased(WaitlistEntry)
    position = (
        select(func.count(earlier.id))
        .where(earlier.slot_id == WaitlistEntry.slot_id, earlier.status.in_(LIVE_WAITLIST_STATUSES),
               (earlier.joined_at < WaitlistEntry.joined_at)
               | ((earlier.joined_at == WaitlistEntry.joined_at) & (earlier.id <= WaitlistEntry.id)))
        .correlate(WaitlistEntry)
        .scalar_subquery()
    )
    live_first = case((WaitlistEntry.status.in_(LIVE_WAITLIST_STATUSES), 0), else_=1)
    rows = db.session.execute(
        select(WaitlistEntry, position)
        .join(Slot, WaitlistEntry.slot_id == Slot.id)
        .where(department_scope(user, WaitlistEntry.department_id))
        .options(contains_eager(WaitlistEntry.slot).joinedload(Slot.advisor), joinedload(WaitlistEntry.department),
                 joinedload(WaitlistEntry.topic))
        .order_by(live_first, Slot.starts_at, WaitlistEntry.id)
        .limit(limit)
    ).all()
    return [WaitlistLine(entry, count if entry.is_live else 0) for entry, count in rows]


def live_waitlist_entry(slot: Slot, department_ids: Collection[int]) -> WaitlistEntry | None:
    """A live entry of one of these departments for the slot, if any."""
    return db.session.scalar(
        select(WaitlistEntry).where(WaitlistEntry.slot_id == slot.id, WaitlistEntry.department_id.in_(list(department_ids)),
                                    WaitlistEntry.status.in_(LIVE_WAITLIST_STATUSES)).limit(1)
    )


def get_waitlist_entry_or_404(entry_id: int, user: User) -> WaitlistEntry:
    entry = db.session.get(WaitlistEntry, entry_id)
    if entry is None or not can_view_department(user, entry.department):
        abort(404)
    return entry
