"""The administrator's sessions report: one row per booking (a session is a booking of a slot),
filtered, counted, paged for the screen and streamed for export.

Every function issues a fixed number of SQL queries whatever the number of rows. A page of the
screen reads the attendee count, the open and done action items and the guidance summary as
correlated subqueries (one index look-up per row shown, for 100 rows); an export reads them
set-based instead, as grouped subqueries joined once, so that 100,000 rows are one hash join each
rather than 400,000 look-ups."""

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple, TypeAlias

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, String, and_, case, func, or_, select, text, type_coerce
from sqlalchemy.orm import aliased

from clinic.accounts.models import Role, User
from clinic.audit.models import AuditEvent
from clinic.audit.services import ObjectRef, record_event
from clinic.bookings.models import ACTIVE_STATUSES, Attendee, Booking, BookingStatus
from clinic.bookings.outcomes import SHOWN_STATUSES, SessionOutcome, shown_status_column
from clinic.errors import DomainError, NotAllowed
from clinic.extensions import db
from clinic.i18n import bangkok_to_utc, fiscal_year_bounds, local_name_column
from clinic.organisations.models import Department, Ministry, Topic
from clinic.records.models import ActionItem, ActionStatus, ConsultationRecord, RecordRevision
from clinic.reports.policies import can_export_reports
from clinic.scheduling.models import Slot

AnySelect: TypeAlias = "Select[*tuple[Any, ...]]"

MIN_FISCAL_YEAR = 2500  # BE; 1956-10-01
MAX_FISCAL_YEAR = 2700  # BE; 2157-09-30
FIRST_DAY = fiscal_year_bounds(MIN_FISCAL_YEAR)[0]
LAST_DAY = fiscal_year_bounds(MAX_FISCAL_YEAR)[1]
SUMMARY_LENGTH = 200
SUMMARY_FETCH = SUMMARY_LENGTH + 50  # characters read from the database, leaving room to collapse whitespace
PAGE_SIZE = 100
YIELD_PER = 1000

STATUS_UNKNOWN = _l("ไม่มีสถานะนี้")
DATE_OUT_OF_RANGE = _l("ระบุวันที่ในช่วงปี พ.ศ. 2500–2700")
FISCAL_YEAR_OUT_OF_RANGE = _l("ระบุปีงบประมาณเป็นปี พ.ศ. ระหว่าง 2500 ถึง 2700 เช่น 2570")
DATE_TO_BEFORE_FROM = _l("วันที่สิ้นสุดต้องไม่ก่อนวันที่เริ่มต้น")


@dataclass(frozen=True)
class SessionFilters:
    """What the administrator cut the report by. Dates are days in Bangkok, inclusive;
    `fiscal_year` is a Thai BE fiscal year (1 October to 30 September)."""

    date_from: date | None = None
    date_to: date | None = None
    fiscal_year: int | None = None
    ministry_id: int | None = None
    department_id: int | None = None
    topic_id: int | None = None
    advisor_id: int | None = None
    status: str | None = None
    include_cancelled: bool = False

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, for the audit log."""
        return {
            "date_from": self.date_from.isoformat() if self.date_from else None,
            "date_to": self.date_to.isoformat() if self.date_to else None,
            "fiscal_year": self.fiscal_year,
            "ministry_id": self.ministry_id,
            "department_id": self.department_id,
            "topic_id": self.topic_id,
            "advisor_id": self.advisor_id,
            "status": self.status,
            "include_cancelled": self.include_cancelled,
        }

    def query_args(self) -> dict[str, str]:
        """The query string that gives these filters back (the names of the filter form's fields)."""
        values = {
            "date_from": self.date_from.isoformat() if self.date_from else None,
            "date_to": self.date_to.isoformat() if self.date_to else None,
            "fiscal_year": self.fiscal_year,
            "ministry": self.ministry_id,
            "department": self.department_id,
            "topic": self.topic_id,
            "advisor": self.advisor_id,
            "status": self.status,
            "include_cancelled": "y" if self.include_cancelled else None,
        }
        return {name: str(value) for name, value in values.items() if value is not None}


class SessionRow(NamedTuple):
    """One session; the ministry, department and topic are named in the language the rows were asked in."""

    booking_id: int
    reference: str
    starts_at: datetime
    ends_at: datetime
    mode: str
    status: str
    advisor: str
    ministry: str
    department: str
    topic: str
    attendees: int
    open_items: int
    done_items: int
    guidance_summary: str


@dataclass(frozen=True)
class SessionPage:
    rows: list[SessionRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def first_number(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.rows else 0

    @property
    def last_number(self) -> int:
        return (self.page - 1) * self.per_page + len(self.rows)


@dataclass(frozen=True)
class FilterOptions:
    ministries: list[tuple[int, str]]
    departments: list[tuple[int, str, str]]  # id, name, ministry name
    topics: list[tuple[int, str]]
    advisors: list[tuple[int, str]]


def filter_options(language: str = "th") -> FilterOptions:
    """The choices of the filter form: everything, active or not, since reports look back in time.
    Names are in `language` and sorted as the reader sees them."""
    ministry = local_name_column(Ministry, language)
    department = local_name_column(Department, language)
    topic = local_name_column(Topic, language)
    return FilterOptions(
        ministries=[(i, n) for i, n in db.session.execute(select(Ministry.id, ministry).order_by(ministry, Ministry.id))],
        departments=[
            (i, n, m)
            for i, n, m in db.session.execute(
                select(Department.id, department, ministry)
                .join(Department.ministry)
                .order_by(ministry, Department.ministry_id, department, Department.id)
            )
        ],
        topics=[(i, n) for i, n in db.session.execute(select(Topic.id, topic).order_by(topic, Topic.id))],
        advisors=[
            (i, n)
            for i, n in db.session.execute(select(User.id, User.name).where(User.role == Role.ADVISOR).order_by(User.name))
        ],
    )


def check_filters(actor: User | None, filters: SessionFilters) -> None:
    """Refuse what cannot be a report; ids that match nothing simply give no rows.
    `actor` None is the system (the `flask export sessions` command, run by whoever runs the server)."""
    if actor is not None and not can_export_reports(actor):
        raise NotAllowed(_l("เฉพาะผู้ดูแลระบบเท่านั้นที่ดูรายงานได้"))
    check_filter_values(filters)


def check_filter_values(filters: SessionFilters) -> None:
    """The filters' own sense, whoever asks (the report and the dashboard)."""
    for name in ("date_from", "date_to"):
        day = getattr(filters, name)
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:
            raise DomainError(DATE_OUT_OF_RANGE, field=name)
    if filters.date_from and filters.date_to and filters.date_to < filters.date_from:
        raise DomainError(DATE_TO_BEFORE_FROM, field="date_to")
    if filters.fiscal_year is not None and not MIN_FISCAL_YEAR <= filters.fiscal_year <= MAX_FISCAL_YEAR:
        raise DomainError(FISCAL_YEAR_OUT_OF_RANGE, field="fiscal_year")
    if filters.status is not None and filters.status not in SHOWN_STATUSES:
        raise DomainError(STATUS_UNKNOWN, field="status")


def utc_window(filters: SessionFilters) -> tuple[datetime | None, datetime | None]:
    """The half-open UTC interval [start, end) of slot starts that the dates and fiscal year allow."""
    firsts = [d for d in (filters.date_from,) if d]
    lasts = [d for d in (filters.date_to,) if d]
    if filters.fiscal_year is not None:
        first, last = fiscal_year_bounds(filters.fiscal_year)
        firsts.append(first)
        lasts.append(last)
    start = bangkok_to_utc(max(firsts), 0, 0) if firsts else None
    end = bangkok_to_utc(min(lasts) + timedelta(days=1), 0, 0) if lasts else None
    return start, end


def _filtered(stmt: AnySelect, filters: SessionFilters) -> AnySelect:
    stmt = stmt.join(Slot, Booking.slot_id == Slot.id).join(Department, Booking.department_id == Department.id)
    start, end = utc_window(filters)
    if start is not None:
        stmt = stmt.where(Slot.starts_at >= start)
    if end is not None:
        stmt = stmt.where(Slot.starts_at < end)
    if filters.ministry_id is not None:
        stmt = stmt.where(Department.ministry_id == filters.ministry_id)
    if filters.department_id is not None:
        stmt = stmt.where(Booking.department_id == filters.department_id)
    if filters.topic_id is not None:
        stmt = stmt.where(Booking.topic_id == filters.topic_id)
    if filters.advisor_id is not None:
        stmt = stmt.where(Slot.advisor_id == filters.advisor_id)
    if filters.status is not None:
        stmt = stmt.where(shown_status_column() == filters.status)
    elif not filters.include_cancelled:
        stmt = stmt.where(Booking.status.in_(ACTIVE_STATUSES))
    return stmt


def _rows_statement(filters: SessionFilters, language: str) -> AnySelect:
    attendees = (
        select(func.count(Attendee.id)).where(Attendee.booking_id == Booking.id).correlate(Booking).scalar_subquery()
    )
    open_items = (
        select(func.count(ActionItem.id))
        .where(ActionItem.record_id == ConsultationRecord.id, ActionItem.status != ActionStatus.DONE)
        .correlate(ConsultationRecord)
        .scalar_subquery()
    )
    done_items = (
        select(func.count(ActionItem.id))
        .where(ActionItem.record_id == ConsultationRecord.id, ActionItem.status == ActionStatus.DONE)
        .correlate(ConsultationRecord)
        .scalar_subquery()
    )
    guidance = (
        select(func.substr(RecordRevision.guidance, 1, SUMMARY_FETCH + 1))
        .where(RecordRevision.record_id == ConsultationRecord.id, RecordRevision.published_at.is_not(None))
        .order_by(RecordRevision.number.desc())
        .limit(1)
        .correlate(ConsultationRecord)
        .scalar_subquery()
    )
    stmt = select(
        Booking.id,
        Booking.reference,
        Slot.starts_at,
        Slot.ends_at,
        Slot.mode,
        shown_status_column(),
        User.name,
        local_name_column(Ministry, language),
        local_name_column(Department, language),
        local_name_column(Topic, language),
        attendees,
        open_items,
        done_items,
        guidance,
    ).select_from(Booking)
    return (
        _filtered(stmt, filters)
        .join(User, Slot.advisor_id == User.id)
        .join(Ministry, Department.ministry_id == Ministry.id)
        .join(Topic, Booking.topic_id == Topic.id)
        .outerjoin(ConsultationRecord, ConsultationRecord.booking_id == Booking.id)
        .order_by(Slot.starts_at, Booking.id)
    )


class ExportRow(NamedTuple):
    """One session as an export writes it: plain values, no ORM object and no type conversion. The start and end
    are Bangkok wall-clock text computed by the database ('2569' is not there yet: 'YYYY-MM-DD HH:MM' in CE);
    names are in the export's language; the guidance is raw (summarise it)."""

    reference: str
    starts: str  # 'YYYY-MM-DD HH:MM', Bangkok
    ends: str  # 'YYYY-MM-DD HH:MM', Bangkok
    mode: str
    status: str
    advisor: str
    ministry: str
    department: str
    topic: str
    attendees: int
    open_items: int
    done_items: int
    guidance: str | None


def bangkok_minute(column: Any, dialect: str) -> ColumnElement[str]:
    """A UTC timestamp column as Bangkok wall-clock text 'YYYY-MM-DD HH:MM', computed by the database."""
    if dialect == "postgresql":
        return func.to_char(func.timezone("Asia/Bangkok", column), "YYYY-MM-DD HH24:MI")
    # SQLite keeps naive UTC text; Bangkok has kept UTC+7 without daylight saving since 1920
    return func.strftime("%Y-%m-%d %H:%M", column, "+7 hours")


def _export_statement(filters: SessionFilters, language: str, dialect: str | None = None) -> AnySelect:
    """The rows of `_rows_statement`, set-based for a whole export: the counts and the latest published
    guidance come from grouped subqueries joined once (hash joins), not from four look-ups per row.
    With `dialect`, the columns of an `ExportRow` (times as Bangkok text made by that database);
    without, those of a `SessionRow`."""
    attendees = (
        select(
            Attendee.booking_id,
            func.count(Attendee.id).label("n"),
            func.count(case((Attendee.attended.is_(True), 1))).label("came"),
            func.count(case((Attendee.attended.is_not(None), 1))).label("recorded"),
        )
        .group_by(Attendee.booking_id)
        .subquery()
    )
    # Held and no-show as `shown_status` says (clinic.bookings.outcomes), from the grouped attendees.
    confirmed = Booking.status == BookingStatus.CONFIRMED
    shown = case(
        (and_(confirmed, func.coalesce(attendees.c.came, 0) > 0), SessionOutcome.HELD.value),
        (and_(confirmed, func.coalesce(attendees.c.recorded, 0) > 0), SessionOutcome.NO_SHOW.value),
        else_=type_coerce(Booking.status, String),
    )
    done = ActionItem.status == ActionStatus.DONE
    items = (
        select(
            ActionItem.record_id,
            func.count(case((~done, 1))).label("open"),
            func.count(case((done, 1))).label("done"),
        )
        .group_by(ActionItem.record_id)
        .subquery()
    )
    latest = (
        select(RecordRevision.record_id, func.max(RecordRevision.number).label("number"))
        .where(RecordRevision.published_at.is_not(None))
        .group_by(RecordRevision.record_id)
        .subquery()
    )
    revision = aliased(RecordRevision)
    names = (
        User.name,
        local_name_column(Ministry, language),
        local_name_column(Department, language),
        local_name_column(Topic, language),
    )
    counts_and_guidance = (
        func.coalesce(attendees.c.n, 0),
        func.coalesce(items.c.open, 0),
        func.coalesce(items.c.done, 0),
        func.substr(revision.guidance, 1, SUMMARY_FETCH + 1),
    )
    columns: tuple[Any, ...]
    if dialect is None:
        columns = (Booking.id, Booking.reference, Slot.starts_at, Slot.ends_at, Slot.mode, shown, *names)
    else:
        # Mode and status as the plain text they are stored as: no enum conversion per row.
        columns = (Booking.reference, bangkok_minute(Slot.starts_at, dialect), bangkok_minute(Slot.ends_at, dialect),
                   type_coerce(Slot.mode, String), shown, *names)
    stmt = select(*columns, *counts_and_guidance).select_from(Booking)
    return (
        _filtered(stmt, filters)
        .join(User, Slot.advisor_id == User.id)
        .join(Ministry, Department.ministry_id == Ministry.id)
        .join(Topic, Booking.topic_id == Topic.id)
        .outerjoin(attendees, attendees.c.booking_id == Booking.id)
        .outerjoin(ConsultationRecord, ConsultationRecord.booking_id == Booking.id)
        .outerjoin(items, items.c.record_id == ConsultationRecord.id)
        .outerjoin(latest, latest.c.record_id == ConsultationRecord.id)
        .outerjoin(revision, and_(revision.record_id == latest.c.record_id, revision.number == latest.c.number))
        .order_by(Slot.starts_at, Booking.id)
    )


def summarise(guidance: str | None) -> str:
    """The guidance on one line, cut to about SUMMARY_LENGTH characters."""
    if not guidance:
        return ""
    cut = len(guidance) > SUMMARY_FETCH
    flat = " ".join(guidance[:SUMMARY_FETCH].split())
    if cut or len(flat) > SUMMARY_LENGTH:
        flat = flat[: SUMMARY_LENGTH - 1].rstrip() + "…"
    return flat


def _session_row(row: Any) -> SessionRow:
    values = tuple(row)
    return SessionRow._make((*values[:-1], summarise(values[-1])))


def count_sessions(actor: User, filters: SessionFilters) -> int:
    check_filters(actor, filters)
    return db.session.scalar(_filtered(select(func.count(Booking.id)).select_from(Booking), filters)) or 0


def session_page(actor: User, filters: SessionFilters, page: int = 1, per_page: int | None = None,
                 language: str = "th") -> SessionPage:
    """One page of the report (PAGE_SIZE rows unless told), newest sessions first, and the number of rows in all:
    two queries. (Exports keep the oldest first: they are read as a ledger.)
    Ministries, departments and topics are named in `language`."""
    per_page = per_page or PAGE_SIZE
    total = count_sessions(actor, filters)
    page = min(max(page, 1), max(1, math.ceil(total / per_page)))
    newest_first = _rows_statement(filters, language).order_by(None).order_by(Slot.starts_at.desc(), Booking.id.desc())
    result = db.session.execute(newest_first.limit(per_page).offset((page - 1) * per_page))
    return SessionPage(rows=[_session_row(r) for r in result], total=total, page=page, per_page=per_page)


def sessions_after(actor: User, filters: SessionFilters, after: tuple[datetime, int] | None, limit: int,
                   language: str = "th") -> list[SessionRow]:
    """Up to `limit` rows of the report that come after the row (slot start, booking id) `after`, in the report's
    order: a cursor that stays right while rows are added before it (the API pages with it). One query."""
    check_filters(actor, filters)
    stmt = _rows_statement(filters, language)
    if after is not None:
        starts_at, booking_id = after
        stmt = stmt.where(or_(Slot.starts_at > starts_at, and_(Slot.starts_at == starts_at, Booking.id > booking_id)))
    return [_session_row(r) for r in db.session.execute(stmt.limit(limit))]


def iter_sessions(actor: User | None, filters: SessionFilters, yield_per: int = YIELD_PER,
                  language: str = "th") -> Iterator[SessionRow]:
    """Every row of the report, fetched `yield_per` rows at a time (a server-side cursor on PostgreSQL),
    so that an export of 100,000 sessions never holds them all in memory. The filters are checked
    now; the query runs when the first row is asked for. Names are in `language`."""
    check_filters(actor, filters)
    return _stream(_export_statement(filters, language).execution_options(yield_per=yield_per))


def export_rows(actor: User | None, filters: SessionFilters, yield_per: int = YIELD_PER,
                language: str = "th") -> Iterator[ExportRow]:
    """Every row of the report as plain `ExportRow` tuples for a file: one set-based statement, read `yield_per`
    rows at a time from a server-side cursor (PostgreSQL) or SQLite's own cursor, so memory stays flat whatever
    the number of rows. The filters are checked now; the query runs when the first row is asked for."""
    check_filters(actor, filters)
    return _export_rows(filters, language, yield_per)


def _export_rows(filters: SessionFilters, language: str, yield_per: int) -> Iterator[ExportRow]:
    connection = _export_connection()
    statement = _export_statement(filters, language, connection.dialect.name)
    result = connection.execute(statement.execution_options(yield_per=yield_per))
    make = ExportRow._make
    try:
        for row in result:
            yield make(row)
    finally:
        result.close()


def _export_connection() -> Any:
    # Core rows through the session's connection and transaction: the columns need no ORM
    # identity map, and skipping it makes a 100,000-row export noticeably cheaper.
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        # One statement, for the transaction only: no JIT compilation (a whole-table export's cost estimate
        # triggers it, costing more than a second and saving nothing on hash joins), and a plan for every row: a
        # server-side cursor is otherwise planned for its first 10% (fast-start nested loops).
        connection.execute(text("SELECT set_config('jit', 'off', true), set_config('cursor_tuple_fraction', '1', true)"))
    return connection


def _stream(stmt: AnySelect) -> Iterator[SessionRow]:
    result = _export_connection().execute(stmt)
    try:
        for row in result:
            yield _session_row(row)
    finally:
        result.close()


def record_sessions_export(actor: User | None, filters: SessionFilters, now: datetime, file_format: str = "csv") -> AuditEvent:
    """Write the `report.exported` audit event in the current transaction; the caller commits."""
    check_filters(actor, filters)
    subject = actor if actor is not None else ObjectRef("users")  # the system: no user exported it
    return record_event(actor, "report.exported", subject, now, report="sessions", format=file_format,
                        filters=filters.as_dict())


@dataclass(frozen=True)
class SessionTotals:
    """The report's counts by status, topic and ministry (each largest first), and in all."""

    total: int
    by_status: list[tuple[str, int]]
    by_topic: list[tuple[str, int]]
    by_ministry: list[tuple[str, int]]


def session_totals(actor: User | None, filters: SessionFilters, language: str = "th") -> SessionTotals:
    """One GROUP BY query over the filtered sessions (topics x ministries x statuses rows at most), tallied three ways."""
    check_filters(actor, filters)
    topic, ministry = local_name_column(Topic, language), local_name_column(Ministry, language)
    stmt = (
        _filtered(select(topic, ministry, type_coerce(Booking.status, String), func.count(Booking.id))
                  .select_from(Booking), filters)
        .join(Ministry, Department.ministry_id == Ministry.id)
        .join(Topic, Booking.topic_id == Topic.id)
        .group_by(topic, ministry, Booking.status)
    )
    statuses: dict[str, int] = {}
    topics: dict[str, int] = {}
    ministries: dict[str, int] = {}
    total = 0
    for topic_name, ministry_name, status, count in db.session.execute(stmt):
        total += count
        statuses[status] = statuses.get(status, 0) + count
        topics[topic_name] = topics.get(topic_name, 0) + count
        ministries[ministry_name] = ministries.get(ministry_name, 0) + count

    def ranked(tally: dict[str, int]) -> list[tuple[str, int]]:
        return sorted(tally.items(), key=lambda item: (-item[1], item[0]))

    return SessionTotals(total, ranked(statuses), ranked(topics), ranked(ministries))


def filter_names(filters: SessionFilters, language: str = "th") -> dict[str, str]:
    """The names of the ministry, department, topic and advisor the filters choose (those that exist)."""
    names: dict[str, str] = {}
    for key, model, column in (
        ("ministry", Ministry, local_name_column(Ministry, language)),
        ("department", Department, local_name_column(Department, language)),
        ("topic", Topic, local_name_column(Topic, language)),
        ("advisor", User, User.name),
    ):
        chosen = getattr(filters, f"{key}_id")
        if chosen is not None:
            name = db.session.scalar(select(column).where(model.id == chosen))
            if name is not None:
                names[key] = name
    return names
