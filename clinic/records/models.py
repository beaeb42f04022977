from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic.accounts.models import User
from clinic.bookings.models import Booking, Document
from clinic.database import EnumString, UTCDateTime, one_of, utcnow
from clinic.extensions import Model
from clinic.organisations.models import Department


class ConsultationRecord(Model):
    """What was discussed in a session. Its content lives in revisions: at most one draft at a time,
    and a published revision is never changed; a correction is a new revision."""

    __tablename__ = "consultation_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), unique=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    booking: Mapped[Booking] = relationship()
    revisions: Mapped[list["RecordRevision"]] = relationship(
        back_populates="record", order_by="RecordRevision.number"
    )
    action_items: Mapped[list["ActionItem"]] = relationship(
        back_populates="record", order_by="ActionItem.id"
    )
    feedback: Mapped["SessionFeedback | None"] = relationship(back_populates="record", uselist=False)

    @property
    def draft(self) -> "RecordRevision | None":
        return next((r for r in self.revisions if r.published_at is None), None)

    @property
    def published(self) -> "RecordRevision | None":
        """The latest published revision: what the department reads."""
        return next((r for r in reversed(self.revisions) if r.published_at is not None), None)


class RecordRevision(Model):
    __tablename__ = "record_revisions"
    __table_args__ = (
        UniqueConstraint("record_id", "number"),
        CheckConstraint("number >= 1", name="number_positive"),
        Index(
            "uq_record_revisions_one_draft",
            "record_id",
            unique=True,
            sqlite_where=text("published_at IS NULL"),
            postgresql_where=text("published_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("consultation_records.id"))
    number: Mapped[int] = mapped_column(Integer)
    attendance: Mapped[str] = mapped_column(Text, default="")
    issues_raised: Mapped[str] = mapped_column(Text, default="")
    guidance: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    record: Mapped[ConsultationRecord] = relationship(back_populates="revisions")
    author: Mapped[User] = relationship(foreign_keys=[author_id])
    acknowledgements: Mapped[list["Acknowledgement"]] = relationship(back_populates="revision")


class Acknowledgement(Model):
    """A department's acknowledgement that it received one revision of the guidance."""

    __tablename__ = "acknowledgements"
    __table_args__ = (UniqueConstraint("revision_id", "department_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("record_revisions.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    acknowledged_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    revision: Mapped[RecordRevision] = relationship(back_populates="acknowledgements")
    user: Mapped[User] = relationship()


class ActionOwner(StrEnum):
    DEPARTMENT = "department"
    OPDC = "opdc"


class ActionStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    DROPPED = "dropped"  # no longer to be done (the advisor's decision, with a note)


CLOSED_STATUSES = (ActionStatus.DONE, ActionStatus.DROPPED)


class ActionItem(Model):
    """A next step agreed in a session, owned by the department or by OPDC, followed up to done."""

    __tablename__ = "action_items"
    __table_args__ = (
        CheckConstraint(one_of("owner", ActionOwner), name="owner_known"),
        CheckConstraint(one_of("status", ActionStatus), name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("consultation_records.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    description: Mapped[str] = mapped_column(Text)
    owner: Mapped[ActionOwner] = mapped_column(EnumString(ActionOwner, 12))
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[ActionStatus] = mapped_column(EnumString(ActionStatus, 12), default=ActionStatus.OPEN)
    progress_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Set when the record is published with this step in it: until then it is part of a draft, which the
    # department neither sees nor updates.
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    record: Mapped[ConsultationRecord] = relationship(back_populates="action_items")
    department: Mapped[Department] = relationship()
    updated_by: Mapped[User | None] = relationship()
    updates: Mapped[list["ActionItemUpdate"]] = relationship(
        back_populates="item", order_by="ActionItemUpdate.id", cascade="all, delete-orphan"
    )
    evidence: Mapped[list[Document]] = relationship(order_by=Document.id, viewonly=True)

    def is_overdue(self, today: date) -> bool:
        return self.status not in CLOSED_STATUSES and self.due_on < today


class ActionItemUpdate(Model):
    """One report on a next step: who, when, the status it was given and the note on the progress; the step's
    history, oldest first. Evidence files are documents (clinic.bookings.models.Document) with the step's id."""

    __tablename__ = "action_item_updates"
    __table_args__ = (CheckConstraint(one_of("status", ActionStatus), name="status_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    action_item_id: Mapped[int] = mapped_column(ForeignKey("action_items.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[ActionStatus] = mapped_column(EnumString(ActionStatus, 12))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    item: Mapped[ActionItem] = relationship(back_populates="updates")
    author: Mapped[User] = relationship()


class InternalNote(Model):
    """An advisor's note on a case that only OPDC staff may read."""

    __tablename__ = "internal_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User] = relationship()


class SessionFeedback(Model):
    """The department's rating (1 to 5) of a session it held, and its comment: once per session, given once the
    record is published."""

    __tablename__ = "session_feedback"
    __table_args__ = (CheckConstraint("rating BETWEEN 1 AND 5", name="rating_1_to_5"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("consultation_records.id"), unique=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    given_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    rating: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    record: Mapped[ConsultationRecord] = relationship(back_populates="feedback")
    department: Mapped[Department] = relationship()
    given_by: Mapped[User] = relationship()
from clinic.records import search_index  # noqa: E402,F401  (the search index is part of the schema)
