from datetime import date, datetime, time
from enum import StrEnum

from sqlalchemy import (
    DDL,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    Time,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic.accounts.models import User
from clinic.database import EnumString, UTCDateTime, one_of, utcnow
from clinic.extensions import Model, db
from clinic.organisations.models import Ministry, Topic


class SlotMode(StrEnum):
    ONSITE = "onsite"  # a meeting in person: a room at OPDC, or a ministry's clinic day
    ONLINE = "online"  # a meeting link


class SlotStatus(StrEnum):
    OPEN = "open"
    CANCELLED = "cancelled"


class SlotSource(StrEnum):
    MANUAL = "manual"  # added one by one (or repeated weekly) on the slots page; regeneration never touches it
    GENERATED = "generated"  # made from the advisor's availability; regeneration creates and withdraws these


class DateOverrideKind(StrEnum):
    EXTRA = "extra"  # hours on this date besides the weekly hours
    DAY_OFF = "day_off"  # no sessions on this date


MAX_CAPACITY = 20
MIN_SESSION_MINUTES = 15
MAX_SESSION_MINUTES = 480
MAX_BUFFER_MINUTES = 120


class ClinicDayAccess(StrEnum):
    HOST_MINISTRY = "host_ministry"  # only departments of the host ministry may book its sessions
    ALL = "all"  # any department may book


class ClinicDayStatus(StrEnum):
    OPEN = "open"
    CANCELLED = "cancelled"


clinic_day_advisors = Table(
    "clinic_day_advisors",
    db.metadata,
    Column("clinic_day_id", Integer, ForeignKey("clinic_days.id", ondelete="CASCADE"), primary_key=True),
    Column("advisor_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)

clinic_day_topics = Table(
    "clinic_day_topics",
    db.metadata,
    Column("clinic_day_id", Integer, ForeignKey("clinic_days.id", ondelete="CASCADE"), primary_key=True),
    Column("topic_id", Integer, ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True),
)


class ClinicDay(Model):
    """A day OPDC advisors hold the clinic at a ministry (OPDC's clinic at the Ministry of Industry): where, from
    when to when, how long a session is and how many departments each takes, which advisors sit and on which
    topics, and who may book (the host ministry's departments, or all). Its sessions are slots (`Slot.clinic_day`),
    one per advisor and session, made by `clinic.bookings.clinic_days`. One per ministry and day: cancelled and
    created again, the same row opens again."""

    __tablename__ = "clinic_days"
    __table_args__ = (UniqueConstraint("ministry_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ministry_id: Mapped[int] = mapped_column(ForeignKey("ministries.id"), index=True)
    day: Mapped[date] = mapped_column(Date)
    venue: Mapped[str] = mapped_column(String(300))
    note: Mapped[str] = mapped_column(Text, default="")
    room: Mapped[str] = mapped_column(String(300), default="", server_default="")
    starts: Mapped[time] = mapped_column(Time, server_default="09:00:00")
    ends: Mapped[time] = mapped_column(Time, server_default="16:00:00")
    session_minutes: Mapped[int] = mapped_column(
        Integer,
        CheckConstraint(
            f"session_minutes BETWEEN {MIN_SESSION_MINUTES} AND {MAX_SESSION_MINUTES}", name="session_range"
        ),
        server_default="60",
    )
    capacity: Mapped[int] = mapped_column(
        Integer, CheckConstraint(f"capacity BETWEEN 1 AND {MAX_CAPACITY}", name="capacity_range"), server_default="1"
    )
    access: Mapped[ClinicDayAccess] = mapped_column(
        EnumString(ClinicDayAccess, 20),
        CheckConstraint(one_of("access", ClinicDayAccess), name="access_known"),
        default=ClinicDayAccess.HOST_MINISTRY,
        server_default=ClinicDayAccess.ALL.value,
    )
    status: Mapped[ClinicDayStatus] = mapped_column(
        EnumString(ClinicDayStatus, 10),
        CheckConstraint(one_of("status", ClinicDayStatus), name="status_known"),
        default=ClinicDayStatus.OPEN,
        server_default=ClinicDayStatus.OPEN.value,
    )
    cancel_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    ministry: Mapped[Ministry] = relationship()
    advisors: Mapped[list[User]] = relationship(secondary=clinic_day_advisors, order_by=lambda: User.name)
    topics: Mapped[list[Topic]] = relationship(secondary=clinic_day_topics, order_by=lambda: Topic.id)

    @property
    def is_open(self) -> bool:
        return self.status == ClinicDayStatus.OPEN

    @property
    def place(self) -> str:
        """Venue and room as one line: 'กระทรวงอุตสาหกรรม ถนนพระรามที่ 6 · ห้องประชุม 1'."""
        return " · ".join(part for part in (self.venue, self.room) if part)


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
    source: Mapped[SlotSource] = mapped_column(
        EnumString(SlotSource, 10),
        CheckConstraint(one_of("source", SlotSource), name="source_known"),
        default=SlotSource.MANUAL,
        server_default=SlotSource.MANUAL.value,
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    advisor: Mapped[User] = relationship()
    clinic_day: Mapped[ClinicDay | None] = relationship()


db.Index("ix_slots_advisor_starts", Slot.advisor_id, Slot.starts_at)
# The advisor's sessions list asks for the slots that have not ended yet.
db.Index("ix_slots_advisor_ends", Slot.advisor_id, Slot.ends_at)


class DayStatus(StrEnum):
    OPEN = "open"  # a Thai public holiday the clinic works on
    CLOSED = "closed"  # a day the clinic does not work although it is no public holiday (a Cabinet's special day off)


class HolidayOverride(Model):
    """An administrator's decision about one day against the Thai public holidays (the `holidays` library), which
    stay closed by default: open a given holiday, or close an extra day. One row per day, with the reason; slot
    generation, the booking rules' working days and the booking page read it (`scheduling.queries.closed_calendar`)."""

    __tablename__ = "holiday_overrides"
    __table_args__ = (CheckConstraint(one_of("status", DayStatus), name="status_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    status: Mapped[DayStatus] = mapped_column(EnumString(DayStatus, 10))
    reason: Mapped[str] = mapped_column(String(300))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    created_by: Mapped[User | None] = relationship()


class AdvisorLeave(Model):
    __tablename__ = "advisor_leaves"
    __table_args__ = (CheckConstraint("last_day >= first_day", name="last_after_first"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    advisor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")

    advisor: Mapped[User] = relationship()


class Availability(Model):
    """When an advisor takes sessions: weekly hours, the length of a session and the pause after it, where
    (a room at OPDC or a meeting link), how many departments a session takes, and the dates it applies
    between. One per advisor; the slots of the coming weeks are generated from it (see `generation`)."""

    __tablename__ = "availabilities"
    __table_args__ = (
        CheckConstraint(
            f"session_minutes BETWEEN {MIN_SESSION_MINUTES} AND {MAX_SESSION_MINUTES}", name="session_range"
        ),
        CheckConstraint(f"buffer_minutes BETWEEN 0 AND {MAX_BUFFER_MINUTES}", name="buffer_range"),
        CheckConstraint(f"capacity BETWEEN 1 AND {MAX_CAPACITY}", name="capacity_range"),
        CheckConstraint(one_of("mode", SlotMode), name="mode_known"),
        CheckConstraint("valid_until IS NULL OR valid_until >= valid_from", name="period_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    advisor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    session_minutes: Mapped[int] = mapped_column(Integer)
    buffer_minutes: Mapped[int] = mapped_column(Integer, default=0)
    mode: Mapped[SlotMode] = mapped_column(EnumString(SlotMode, 10))
    location: Mapped[str] = mapped_column(String(300), default="")
    meeting_url: Mapped[str] = mapped_column(String(500), default="")
    capacity: Mapped[int] = mapped_column(Integer, default=1)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    advisor: Mapped[User] = relationship()
    hours: Mapped[list["WeeklyHours"]] = relationship(
        back_populates="availability",
        order_by=lambda: [WeeklyHours.weekday, WeeklyHours.starts],
        cascade="all, delete-orphan",
    )


class WeeklyHours(Model):
    """One range of hours on one weekday (0 Monday ... 6 Sunday), Bangkok time; a weekday may have several."""

    __tablename__ = "weekly_hours"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("ends > starts", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    availability_id: Mapped[int] = mapped_column(ForeignKey("availabilities.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)
    starts: Mapped[time] = mapped_column(Time)
    ends: Mapped[time] = mapped_column(Time)

    availability: Mapped[Availability] = relationship(back_populates="hours")


DAY_OFF_SQL = one_of("kind", [DateOverrideKind.DAY_OFF])


class DateOverride(Model):
    """A date that differs from the weekly hours: extra hours on it, or a day off."""

    __tablename__ = "date_overrides"
    __table_args__ = (
        CheckConstraint(one_of("kind", DateOverrideKind), name="kind_known"),
        CheckConstraint(
            f"({DAY_OFF_SQL} AND starts IS NULL AND ends IS NULL)"
            f" OR (kind = '{DateOverrideKind.EXTRA}' AND starts IS NOT NULL AND ends > starts)",
            name="hours_fit_kind",
        ),
        Index("ix_date_overrides_advisor_day", "advisor_id", "day"),
        Index(
            "uq_date_overrides_day_off", "advisor_id", "day", unique=True,
            sqlite_where=text(DAY_OFF_SQL), postgresql_where=text(DAY_OFF_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    advisor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[DateOverrideKind] = mapped_column(EnumString(DateOverrideKind, 10))
    starts: Mapped[time | None] = mapped_column(Time)
    ends: Mapped[time | None] = mapped_column(Time)
    note: Mapped[str] = mapped_column(String(300), default="")

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


class CalendarFeed(Model):
    """An advisor's private calendar feed (`/calendar/<token>.ics`), which calendar programs subscribe to without
    signing in. Only the SHA-256 of the random token is kept: the address is shown once, when it is made; renewing
    it replaces the hash (the old address stops working), revoking it deletes the row."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    advisor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    advisor: Mapped[User] = relationship()
