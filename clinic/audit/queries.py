"""What the administrator's audit log reads: events newest first, one page at a time, by keyset (the last
(occurred_at, id) seen), so a page late in a year of events costs what the first one does."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, Select, literal, select, tuple_
from sqlalchemy.orm import joinedload

from clinic.audit.models import AuditEvent
from clinic.database import UTCDateTime
from clinic.extensions import db

PAGE_SIZE = 50


@dataclass(frozen=True)
class AuditFilters:
    actor_id: int | None = None
    actor_email: str | None = None
    object_type: str | None = None
    object_id: int | None = None
    action: str | None = None
    since: datetime | None = None  # inclusive, UTC
    until: datetime | None = None  # exclusive, UTC


@dataclass(frozen=True)
class Cursor:
    """The last row of a page: the next page starts strictly after it."""

    occurred_at: datetime
    id: int


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditEvent]
    older: Cursor | None  # where the next (older) page starts, if there is one


def filtered(filters: AuditFilters) -> Select[AuditEvent]:
    query = select(AuditEvent)
    if filters.actor_id is not None:
        query = query.where(AuditEvent.actor_id == filters.actor_id)
    if filters.actor_email:
        # The User model lives above this area: reach it through the relationship (an EXISTS on users.email).
        email = filters.actor_email.strip().lower()
        query = query.where(AuditEvent.actor.has(email=email))
    if filters.object_type:
        query = query.where(AuditEvent.object_type == filters.object_type)
    if filters.object_id is not None:
        query = query.where(AuditEvent.object_id == filters.object_id)
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    if filters.since is not None:
        query = query.where(AuditEvent.occurred_at >= filters.since)
    if filters.until is not None:
        query = query.where(AuditEvent.occurred_at < filters.until)
    return query


def audit_page(filters: AuditFilters, after: Cursor | None = None, per_page: int = PAGE_SIZE) -> AuditPage:
    """One page of events, newest first, with each event's actor and department: one query, whatever the
    page or the size of the table (served by the index on (occurred_at, id))."""
    query = filtered(filters)
    if after is not None:
        query = query.where(tuple_(AuditEvent.occurred_at, AuditEvent.id)
                            < tuple_(literal(after.occurred_at, UTCDateTime()), literal(after.id, Integer())))
    rows = list(db.session.scalars(
        query.options(joinedload(AuditEvent.actor), joinedload(AuditEvent.department))
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(per_page + 1)
    ).unique())
    more = len(rows) > per_page
    rows = rows[:per_page]
    older = Cursor(rows[-1].occurred_at, rows[-1].id) if more else None
    return AuditPage(rows=rows, older=older)
