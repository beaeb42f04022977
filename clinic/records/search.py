"""Search across requests, records and next steps, by substring (Thai has no spaces between words).

Each person finds what they may read: OPDC staff everything; a coordinator their ministry's departments; an officer
their own department's, and of records only published revisions (and the next steps of published records). The
matching uses the substring index of clinic/records/search_index.py: pg_trgm on PostgreSQL, FTS5 trigram on SQLite.
A page of results costs a fixed number of queries (count, the ranked page, then the page's rows by id)."""

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import Float, Integer, String, and_, exists, func, literal, or_, select, text, union_all
from sqlalchemy.orm import joinedload

from clinic.accounts.models import User
from clinic.accounts.policies import department_scope, is_opdc
from clinic.bookings.models import Booking
from clinic.errors import DomainError
from clinic.extensions import db
from clinic.records.models import ActionItem, ConsultationRecord, RecordRevision
from clinic.records.search_index import SEARCH_TABLE

MIN_LENGTH = 3  # a trigram: shorter strings cannot use either index
MAX_LENGTH = 100
PAGE_SIZE = 20
SNIPPET = 80  # characters shown either side of the first match

TOO_SHORT = _l("พิมพ์อย่างน้อย 3 ตัวอักษร เช่น ชื่อกอง หรือเลขที่คำขอ")
TOO_LONG = _l("คำค้นยาวได้ไม่เกิน 100 ตัวอักษร")


@dataclass(frozen=True)
class Hit:
    kind: str  # request, record, step
    booking: Booking
    text: str  # the matched text, whole
    snippet: Markup  # escaped, with the matches in <mark>
    when: datetime
    revision: int | None = None  # the record revision's number


@dataclass(frozen=True)
class SearchPage:
    query: str
    hits: list[Hit]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def clean_query(raw: str) -> str:
    """One line, spaces collapsed; refused when it is too short for the index or too long."""
    query = " ".join((raw or "").split())
    if len(query) < MIN_LENGTH:
        raise DomainError(TOO_SHORT, field="q")
    if len(query) > MAX_LENGTH:
        raise DomainError(TOO_LONG, field="q")
    return query


def _like_pattern(query: str) -> str:
    return "%" + re.sub(r"([\\%_])", r"\\\1", query) + "%"


def _fts_phrase(query: str) -> str:
    return '"' + query.replace('"', '""') + '"'


def _candidates(query: str, dialect: str) -> list[Any]:
    """(kind, object id, booking id, department id, published, rank, when) of every row that matches, one select
    per kind; rank: lower is better."""
    booking_when = Booking.created_at
    hits = (
        text(f"SELECT kind, CAST(object_id AS INTEGER) AS object_id, bm25({SEARCH_TABLE}) AS rank "
             f"FROM {SEARCH_TABLE} WHERE {SEARCH_TABLE} MATCH :phrase")
        .bindparams(phrase=_fts_phrase(query))
        .columns(kind=String, object_id=Integer, rank=Float)
        .cte("hits")
        .prefix_with("MATERIALIZED")  # the FTS query runs once, not once per kind
    )
    pattern = _like_pattern(query)

    def matching(kind: str, id_column: Any, columns: tuple[Any, ...]) -> tuple[Any, Any]:
        """The condition that picks the matching rows of a kind, and their rank."""
        if dialect == "sqlite":
            return and_(hits.c.kind == kind, hits.c.object_id == id_column), hits.c.rank
        # lower(column) LIKE: served by the trigram indexes on lower(column), and far cheaper per row than ILIKE on
        # Thai text. Rank: the share of the text the query makes up (an exact match first, a long text last).
        lowered = pattern.lower()
        return (or_(*(func.lower(column).like(lowered, escape="\\") for column in columns)),
                -(literal(float(len(query))) / (sum((func.char_length(c) for c in columns[1:]),
                                                    func.char_length(columns[0])) + 1)))

    published_record = exists().where(RecordRevision.record_id == ActionItem.record_id,
                                      RecordRevision.published_at.is_not(None))
    selects = []
    for kind, id_column, columns, statement in (
        ("request", Booking.id, (Booking.reference, Booking.request_details),
         lambda rank: select(literal("request").label("kind"), Booking.id.label("object_id"),
                             Booking.id.label("booking_id"), Booking.department_id.label("department_id"),
                             literal(True).label("published"), rank.label("rank"), booking_when.label("when_at"))),
        ("record", RecordRevision.id, (RecordRevision.issues_raised, RecordRevision.guidance),
         lambda rank: select(literal("record"), RecordRevision.id, ConsultationRecord.booking_id,
                             Booking.department_id, RecordRevision.published_at.is_not(None), rank,
                             RecordRevision.updated_at)
         .join(ConsultationRecord, RecordRevision.record_id == ConsultationRecord.id)
         .join(Booking, ConsultationRecord.booking_id == Booking.id)),
        ("step", ActionItem.id, (ActionItem.description, ActionItem.progress_note),
         lambda rank: select(literal("step"), ActionItem.id, ConsultationRecord.booking_id, ActionItem.department_id,
                             published_record, rank, ActionItem.updated_at)
         .join(ConsultationRecord, ActionItem.record_id == ConsultationRecord.id)),
    ):
        condition, rank = matching(kind, id_column, columns)
        chosen = statement(rank)
        selects.append(chosen.join(hits, condition) if dialect == "sqlite" else chosen.where(condition))
    return selects


def search(actor: User, raw_query: str, page: int = 1, per_page: int = PAGE_SIZE) -> SearchPage:
    """One page of what `actor` may read that contains the query, best matches first (then the newest)."""
    query = clean_query(raw_query)
    dialect = db.session.get_bind().dialect.name
    union = union_all(*_candidates(query, dialect)).subquery("found")
    visible = department_scope(actor, union.c.department_id)  # type: ignore[arg-type]
    if not is_opdc(actor):
        visible = and_(visible, union.c.published.is_(True))
    ranked = (
        select(union.c.kind, union.c.object_id, union.c.booking_id, func.count().over().label("total"))
        .where(visible)
        .order_by(union.c.rank, union.c.when_at.desc(), union.c.kind, union.c.object_id)
        .limit(per_page)
    )
    page = max(page, 1)
    rows = db.session.execute(ranked.offset((page - 1) * per_page)).all()  # the page and the total in one query
    total = rows[0].total if rows else 0
    if not rows and page > 1:  # past the last page: show the last one
        total = db.session.scalar(select(func.count()).select_from(union).where(visible)) or 0
        page = max(1, math.ceil(total / per_page))
        rows = db.session.execute(ranked.offset((page - 1) * per_page)).all()
    return SearchPage(query=query, hits=_load_hits([row[:3] for row in rows], query), total=total, page=page,
                      per_page=per_page)


def _load_hits(rows: Sequence[Any], query: str) -> list[Hit]:
    """The page's rows, three queries whatever their number."""
    ids: dict[str, list[int]] = {"request": [], "record": [], "step": []}
    for kind, object_id, _booking in rows:
        ids[kind].append(object_id)
    booking_ids = {booking for _kind, _id, booking in rows}
    bookings = {b.id: b for b in db.session.scalars(
        select(Booking).where(Booking.id.in_(booking_ids))
        .options(joinedload(Booking.department), joinedload(Booking.topic))
    )}
    revisions = {r.id: r for r in db.session.scalars(select(RecordRevision).where(RecordRevision.id.in_(ids["record"])))}
    items = {i.id: i for i in db.session.scalars(select(ActionItem).where(ActionItem.id.in_(ids["step"])))}
    hits = []
    for kind, object_id, booking_id in rows:
        booking = bookings[booking_id]
        if kind == "request":
            body, when, number = f"{booking.reference} {booking.request_details}", booking.created_at, None
        elif kind == "record":
            revision = revisions[object_id]
            body, when, number = f"{revision.issues_raised} {revision.guidance}", revision.updated_at, revision.number
        else:
            item = items[object_id]
            body, when, number = f"{item.description} {item.progress_note}", item.updated_at, None
        hits.append(Hit(kind, booking, body, highlight(body, query), when, number))
    return hits


def highlight(body: str, query: str, around: int = SNIPPET) -> Markup:
    """A piece of `body` around its first match, HTML-escaped, every match of `query` in <mark>."""
    flat = " ".join(body.split())
    pattern = re.compile(re.escape(query), re.IGNORECASE)
    first = pattern.search(flat)
    start = max(0, first.start() - around) if first else 0
    end = min(len(flat), (first.end() if first else 0) + around)
    piece = flat[start:end]
    out = [Markup("…") if start > 0 else Markup("")]
    position = 0
    for match in pattern.finditer(piece):
        out.append(escape(piece[position:match.start()]))
        out.append(Markup("<mark>") + escape(match.group(0)) + Markup("</mark>"))
        position = match.end()
    out.append(escape(piece[position:]))
    if end < len(flat):
        out.append(Markup("…"))
    return Markup("").join(out)
