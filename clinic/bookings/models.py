from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic.accounts.models import User
from clinic.database import EnumString, UTCDateTime, one_of, utcnow
from clinic.extensions import Model
from clinic.organisations.models import Department, Topic
from clinic.scheduling.models import Slot


class BookingStatus(StrEnum):
    PENDING = "pending"  # asked for, waiting for the advisor
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    CANCELLED = "cancelled"
    EXPIRED = "expired"  # still pending when the session began: nobody decided in time (`expire_pending`)


ACTIVE_STATUSES = (BookingStatus.PENDING, BookingStatus.CONFIRMED)  # those that hold a seat
ACTIVE_SQL = one_of("status", ACTIVE_STATUSES)


class DocumentKind(StrEnum):
    PDF = "pdf"
    DOCX = "docx"
    XLSX = "xlsx"


class Booking(Model):
    """A department's request for a seat in a slot.

    Capacity is enforced by the database: an active booking holds a seat number between 1 and the
    slot's capacity (the composite foreign key copies the capacity in), and a partial unique index
    lets only one active booking hold each seat; another lets a department hold one active seat of a slot."""

    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint(one_of("status", BookingStatus), name="status_known"),
        CheckConstraint("seat_number BETWEEN 1 AND slot_capacity", name="seat_within_capacity"),
        ForeignKeyConstraint(
            ["slot_id", "slot_capacity"], ["slots.id", "slots.capacity"], name="fk_bookings_slot_capacity"
        ),
        Index(
            "uq_bookings_active_seat",
            "slot_id",
            "seat_number",
            unique=True,
            sqlite_where=text(ACTIVE_SQL),
            postgresql_where=text(ACTIVE_SQL),
        ),
        # One seat per department in a slot: a group slot is shared among departments, not taken by one.
        Index(
            "uq_bookings_active_department",
            "slot_id",
            "department_id",
            unique=True,
            sqlite_where=text(ACTIVE_SQL),
            postgresql_where=text(ACTIVE_SQL),
        ),
        Index("ix_bookings_department_created", "department_id", "created_at"),
        # A form sent twice (a retry after a lost answer, a double click, Back and send) carries the same key:
        # the second finds the booking the first made instead of making another.
        Index("uq_bookings_submission", "booked_by_id", "submission_key", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("slots.id"), index=True)
    slot_capacity: Mapped[int] = mapped_column(Integer)
    seat_number: Mapped[int] = mapped_column(Integer)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id"), index=True)
    booked_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[BookingStatus] = mapped_column(EnumString(BookingStatus, 10), default=BookingStatus.PENDING)
    request_details: Mapped[str] = mapped_column(Text)
    submission_key: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decline_reason: Mapped[str] = mapped_column(Text, default="")
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    # The earlier session of the same department this one follows up (an advisor's invitation to book one).
    follows_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id"), index=True)
    # When `flask retention apply` anonymised the request and its attendees (None: not yet).
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    slot: Mapped[Slot] = relationship(foreign_keys=[slot_id])
    department: Mapped[Department] = relationship()
    topic: Mapped[Topic] = relationship()
    booked_by: Mapped[User] = relationship(foreign_keys=[booked_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    cancelled_by: Mapped[User | None] = relationship(foreign_keys=[cancelled_by_id])
    follows: Mapped["Booking | None"] = relationship(remote_side=[id], foreign_keys=[follows_id],
                                                      back_populates="follow_ups")
    follow_ups: Mapped[list["Booking"]] = relationship(foreign_keys=[follows_id], back_populates="follows",
                                                       order_by="Booking.id")
    attendees: Mapped[list["Attendee"]] = relationship(
        back_populates="booking", order_by="Attendee.id", cascade="all, delete-orphan"
    )
    documents: Mapped[list["Document"]] = relationship(
        back_populates="booking", order_by="Document.id", cascade="all, delete-orphan"
    )
    moves: Mapped[list["BookingMove"]] = relationship(
        back_populates="booking", order_by="BookingMove.id", cascade="all, delete-orphan"
    )

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class BookingMove(Model):
    """One reschedule of a booking: from which slot to which, when, by whom, why (required when an advisor or an
    administrator moved it after the department's cut-off), and its status before and after. The booking keeps
    its id and reference; its history is these rows."""

    __tablename__ = "booking_moves"
    __table_args__ = (
        CheckConstraint("from_slot_id <> to_slot_id", name="moves_somewhere"),
        CheckConstraint(one_of("status_before", BookingStatus), name="status_before_known"),
        CheckConstraint(one_of("status_after", BookingStatus), name="status_after_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), index=True)
    from_slot_id: Mapped[int] = mapped_column(ForeignKey("slots.id"))
    to_slot_id: Mapped[int] = mapped_column(ForeignKey("slots.id"))
    moved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    moved_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    status_before: Mapped[BookingStatus] = mapped_column(EnumString(BookingStatus, 10))
    status_after: Mapped[BookingStatus] = mapped_column(EnumString(BookingStatus, 10))

    booking: Mapped[Booking] = relationship(back_populates="moves")
    from_slot: Mapped[Slot] = relationship(foreign_keys=[from_slot_id])
    to_slot: Mapped[Slot] = relationship(foreign_keys=[to_slot_id])
    moved_by: Mapped[User] = relationship()


class Attendee(Model):
    __tablename__ = "attendees"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[str] = mapped_column(String(200))
    attended: Mapped[bool | None] = mapped_column()

    booking: Mapped[Booking] = relationship(back_populates="attendees")



class Document(Model):
    """A document a department attached to a booking (background, or evidence for a next step); the file lives in
    instance/uploads."""

    __tablename__ = "documents"
    __table_args__ = (CheckConstraint(one_of("kind", DocumentKind), name="kind_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[DocumentKind] = mapped_column(EnumString(DocumentKind, 10))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A department's evidence for a next step (clinic.records.models.ActionItem) is a document of the booking
    # the step came from, with the step's id; a background document has none.
    action_item_id: Mapped[int | None] = mapped_column(ForeignKey("action_items.id"), index=True)
    # When retention deleted the file and renamed the document; its kind, size and checksum stay.
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    booking: Mapped[Booking] = relationship(back_populates="documents")
    uploaded_by: Mapped[User] = relationship()


class WaitlistStatus(StrEnum):
    WAITING = "waiting"  # in line for a seat of the slot
    OFFERED = "offered"  # a seat freed and this department was told; it may claim it until `offer_expires_at`
    CLAIMED = "claimed"  # it claimed the seat: `booking_id` is its booking
    LEFT = "left"  # the department left the waitlist
    LAPSED = "lapsed"  # the offer passed unclaimed; the next in line was offered the seat
    CLOSED = "closed"  # the slot began or was withdrawn while the department waited


LIVE_WAITLIST_STATUSES = (WaitlistStatus.WAITING, WaitlistStatus.OFFERED)
LIVE_WAITLIST_SQL = one_of("status", LIVE_WAITLIST_STATUSES)


class WaitlistEntry(Model):
    """A department waiting for a seat of a full slot, with the request it would book (details and attendees), so
    that an offered seat is claimed with one click. One live entry per department and slot (a partial unique index);
    the line is ordered by `joined_at`, then `id`."""

    __tablename__ = "waitlist_entries"
    __table_args__ = (
        CheckConstraint(one_of("status", WaitlistStatus), name="status_known"),
        CheckConstraint(
            "status <> 'offered' OR (offered_at IS NOT NULL AND offer_expires_at IS NOT NULL)", name="offer_has_times"
        ),
        Index(
            "uq_waitlist_entries_live_department",
            "slot_id",
            "department_id",
            unique=True,
            sqlite_where=text(LIVE_WAITLIST_SQL),
            postgresql_where=text(LIVE_WAITLIST_SQL),
        ),
        Index("ix_waitlist_entries_slot_line", "slot_id", "status", "joined_at", "id"),
        Index("ix_waitlist_entries_department", "department_id", "joined_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("slots.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id"))
    joined_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[WaitlistStatus] = mapped_column(EnumString(WaitlistStatus, 10), default=WaitlistStatus.WAITING)
    request_details: Mapped[str] = mapped_column(Text)
    attendees: Mapped[list[list[str]]] = mapped_column(JSON)  # [[name, position], ...]
    offered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    offer_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id"))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    slot: Mapped[Slot] = relationship()
    department: Mapped[Department] = relationship()
    topic: Mapped[Topic] = relationship()
    joined_by: Mapped[User] = relationship()
    booking: Mapped[Booking | None] = relationship()

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_WAITLIST_STATUSES
