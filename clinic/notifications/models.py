from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from clinic.database import EnumString, UTCDateTime, one_of, utcnow
from clinic.extensions import Model


class NotificationKind(StrEnum):
    """What a person may choose to get or not. E-mails about their own account (an invitation, a password reset or
    change) are not optional and have no kind."""

    BOOKINGS = "bookings"  # a booking made, confirmed, declined, cancelled, moved or expired
    REMINDERS = "reminders"  # the working day before a session
    RECORDS = "records"  # a record published
    FOLLOW_UP = "follow_up"  # a next step due in three days, or overdue
    DEPARTMENT_COPIES = "department_copies"  # opt-in: copies about every booking of one's department or ministry


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # gave up after MAX_ATTEMPTS


class OutboxMessage(Model):
    """An e-mail written in the transaction that caused it; a worker delivers it and retries failures.

    A worker takes a message by claiming it (`claim_token`, `claimed_until`) in a short transaction, sends it
    outside any transaction, and records the outcome in another. A claim that is never recorded (the worker was
    killed between sending and recording) lapses at `claimed_until`, and the message is sent again."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint(one_of("status", OutboxStatus), name="status_known"),
        Index("ix_outbox_messages_due", "status", "next_attempt_at"),
        Index("uq_outbox_messages_key", "key", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[OutboxStatus] = mapped_column(EnumString(OutboxStatus, 10), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    # The recipient's language (the HTML part is laid out for it) and, for an e-mail about a session, the
    # iCalendar invitation (METHOD:REQUEST or CANCEL) sent with it.
    language: Mapped[str] = mapped_column(String(5), default="th", server_default="th")
    calendar: Mapped[str | None] = mapped_column(Text)
    # Set on a message that must be queued once however often its cause runs (a reminder): unique, and the handle
    # by which an unsent message is withdrawn when its cause goes away (the session is cancelled).
    key: Mapped[str | None] = mapped_column(String(200))
    # When retention blanked the body (and the recipient's address) of this delivered or failed message.
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
