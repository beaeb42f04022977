from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    DDL,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic.accounts.models import User
from clinic.database import EnumString, UTCDateTime, one_of, utcnow
from clinic.extensions import Model, db
from clinic.organisations.models import Ministry


class SlotMode(StrEnum):
    ONSITE = "onsite"  # a meeting in person: a room at OPDC, or a ministry's clinic day
    ONLINE = "online"  # a meeting link


class SlotStatus(StrEnum):
    OPEN = "open"
    CANCELLED = "cancelled"


MAX_CAPACITY = 20


class ClinicDay(Model):
    """A day OPDC advisors hold the clinic at a ministry; slots may belong to it."""

    __tablename__ = "clinic_days"
    __table_args__ = (UniqueConstraint("ministry_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ministry_id: Mapped[int] = mapped_column(ForeignKey("ministries.id"), index=True)
    day: Mapped[date] = mapped_column(Date)
    venue: Mapped[str] = mapped_column(String(300))
    note: Mapped[str] = mapped_column(Text, default="")

    ministry: Mapped[Ministry] = relationship()


class Slot(Model):
    """A period an advisor is available for sessions; `capacity` departments may book it.

    On PostgreSQL an exclusion constraint, on SQLite a trigger, forbid overlapping open slots of one
    advisor. The unique (id, capacity) key lets bookings check their seat number against the capacity."""

    __tablename__ = "slots"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint(f"capacity BETWEEN 1 AND {MAX_CAPACITY}", name="capacity_range"),
        CheckConstraint(one_of("mode", SlotMode), name="mode_known"),
        CheckConstraint(one_of("status", SlotStatus), name="status_known"),
        UniqueConstraint("id", "capacity", name="uq_slots_id_capacity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    advisor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int] = mapped_column(Integer, default=1)
    mode: Mapped[SlotMode] = mapped_column(EnumString(SlotMode, 10))
    location: Mapped[str] = mapped_column(String(300), default="")
    meeting_url: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[SlotStatus] = mapped_column(EnumString(SlotStatus, 10), default=SlotStatus.OPEN)
    clinic_day_id: Mapped[int | None] = mapped_column(ForeignKey("clinic_days.id"))
    opened_on_closed_day: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    advisor: Mapped[User] = relationship()
    clinic_day: Mapped[ClinicDay | None] = relationship()


db.Index("ix_slots_advisor_starts", Slot.advisor_id, Slot.starts_at)


class AdvisorLeave(Model):
    __tablename__ = "advisor_leaves"
    __table_args__ = (CheckConstraint("last_day >= first_day", name="last_after_first"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    advisor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")

    advisor: Mapped[User] = relationship()


SQLITE_NO_OVERLAP = """
CREATE TRIGGER {name} BEFORE {event} ON slots
WHEN NEW.status = '{open}' AND EXISTS (
    SELECT 1 FROM slots s WHERE s.advisor_id = NEW.advisor_id AND s.status = '{open}' AND s.id IS NOT NEW.id
    AND s.starts_at < NEW.ends_at AND s.ends_at > NEW.starts_at)
BEGIN SELECT RAISE(ABORT, 'slots_overlap'); END
"""
POSTGRES_NO_OVERLAP = f"""
ALTER TABLE slots ADD CONSTRAINT slots_no_overlap EXCLUDE USING gist (
    advisor_id WITH =, tstzrange(starts_at, ends_at) WITH &&) WHERE (status = '{SlotStatus.OPEN}')
"""

event.listen(
    Slot.__table__, "after_create",
    DDL(SQLITE_NO_OVERLAP.format(name="slots_no_overlap_insert", event="INSERT", open=SlotStatus.OPEN)).execute_if(dialect="sqlite"),
)
event.listen(
    Slot.__table__, "after_create",
    DDL(SQLITE_NO_OVERLAP.format(name="slots_no_overlap_update", event="UPDATE", open=SlotStatus.OPEN)).execute_if(dialect="sqlite"),
)
event.listen(
    Slot.__table__, "before_create",
    DDL("CREATE EXTENSION IF NOT EXISTS btree_gist").execute_if(dialect="postgresql"),
)
event.listen(Slot.__table__, "after_create", DDL(POSTGRES_NO_OVERLAP).execute_if(dialect="postgresql"))
