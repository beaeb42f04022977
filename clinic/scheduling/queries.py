"""The advisor's calendar: upcoming sessions and a week of slots, each in a fixed number of queries."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import contains_eager, joinedload

from clinic.accounts.models import User
from clinic.bookings.models import Booking
from clinic.extensions import db
from clinic.i18n import BANGKOK, to_bangkok
from clinic.organisations.models import Department
from clinic.scheduling.models import Slot


def upcoming_bookings(advisor: User, now: datetime, limit: int = 200) -> list[Booking]:
    """Bookings on the advisor's slots that have not ended, pending and confirmed first by time."""
    return list(
        db.session.scalars(
            select(Booking)
            .join(Booking.slot)
            .where(Slot.advisor_id == advisor.id, Slot.ends_at > now, Booking.status.in_(("pending", "confirmed")))
            .options(
                contains_eager(Booking.slot),
                joinedload(Booking.department).joinedload(Department.ministry),
                joinedload(Booking.topic),
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
                Booking.status == "confirmed",
            )
            .options(contains_eager(Booking.slot), joinedload(Booking.department), joinedload(Booking.topic))
            .order_by(Slot.starts_at.desc())
        )
    )


@dataclass
class DayColumn:
    day: date
    slots: list[Slot] = field(default_factory=list)
    bookings: dict[int, list[Booking]] = field(default_factory=dict)


def week_of(advisor: User, monday: date) -> list[DayColumn]:
    start = datetime.combine(monday, datetime.min.time(), BANGKOK)
    end = start + timedelta(days=7)
    slots = db.session.scalars(
        select(Slot)
        .where(Slot.advisor_id == advisor.id, Slot.starts_at >= start, Slot.starts_at < end)
        .order_by(Slot.starts_at)
    ).all()
    bookings = db.session.scalars(
        select(Booking)
        .join(Booking.slot)
        .where(Slot.advisor_id == advisor.id, Slot.starts_at >= start, Slot.starts_at < end)
        .options(joinedload(Booking.department))
        .order_by(Booking.id)
    ).all()
    columns = [DayColumn(monday + timedelta(days=i)) for i in range(7)]
    by_day = {c.day: c for c in columns}
    for slot in slots:
        by_day[to_bangkok(slot.starts_at).date()].slots.append(slot)
    for booking in bookings:
        column = by_day[to_bangkok(booking.slot.starts_at).date()]
        column.bookings.setdefault(booking.slot_id, []).append(booking)
    return columns
