"""The dashboard's figures, cut by the report's filters: sessions per month across the Thai fiscal year, by topic,
ministry and department; advisors' utilisation (booked against offered hours); cancellation, decline, expiry and
no-show rates; open and overdue next steps; the departments' average rating of their sessions. Each figure is one
grouped query, whatever the number of rows.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, case, exists, func, select

from clinic.accounts.models import User
from clinic.bookings.models import ACTIVE_STATUSES, Attendee, Booking, BookingStatus
from clinic.errors import NotAllowed
from clinic.extensions import db
from clinic.i18n import BE_OFFSET, EN_MONTHS_SHORT, THAI_MONTHS_SHORT, fiscal_year_bounds, local_name_column
from clinic.organisations.models import Department, Ministry, Topic
from clinic.records.models import CLOSED_STATUSES, ActionItem, ConsultationRecord, SessionFeedback
from clinic.reports.policies import can_read_dashboard
from clinic.reports.services import SessionFilters, _filtered, check_filter_values, utc_window
from clinic.scheduling.models import Slot, SlotStatus

TOP = 15  # departments shown by name; the rest are summed as "others"


@dataclass
class Dashboard:
    months: list[tuple[str, int]]  # label (BE), sessions
    by_topic: list[tuple[str, int]]
    by_ministry: list[tuple[str, int]]
    by_department: list[tuple[str, int]]
    utilisation: list[tuple[str, float, float]]  # advisor, offered hours, booked hours
    outcomes: dict[str, int] = field(default_factory=dict)  # requests, cancelled, declined, expired, held, no_show
    open_steps: int = 0
    overdue_steps: int = 0
    rating_average: float | None = None  # of the departments' feedback (1-5) on the sessions in the filters
    ratings: int = 0

    @property
    def sessions(self) -> int:
        return sum(n for _label, n in self.months)

    def rate(self, what: str, of: str = "requests") -> float | None:
        whole = self.outcomes.get(of, 0)
        return round(100 * self.outcomes.get(what, 0) / whole, 1) if whole else None

    @property
    def offered_hours(self) -> float:
        return round(sum(offered for _name, offered, _booked in self.utilisation), 1)

    @property
    def booked_hours(self) -> float:
        return round(sum(booked for _name, _offered, booked in self.utilisation), 1)

    def chart_data(self) -> dict[str, Any]:
        """What the charts draw, as JSON for a <script type="application/json"> (never run as script)."""
        pairs = lambda rows: {"labels": [r[0] for r in rows], "values": [r[1] for r in rows]}  # noqa: E731
        return {
            "months": pairs(self.months), "topics": pairs(self.by_topic), "ministries": pairs(self.by_ministry),
            "departments": pairs(self.by_department),
            "utilisation": {"labels": [r[0] for r in self.utilisation], "offered": [r[1] for r in self.utilisation],
                            "booked": [r[2] for r in self.utilisation]},
        }


def month_label(year: int, month: int, language: str) -> str:
    if language == "th":
        return f"{THAI_MONTHS_SHORT[month - 1]} {year + BE_OFFSET}"
    return f"{EN_MONTHS_SHORT[month - 1]} {year + BE_OFFSET} BE"


def _month_key(column: Any, dialect: str) -> Any:
    """'YYYY-MM' of a UTC timestamp in Bangkok (UTC+7 all year: Thailand keeps no summer time)."""
    if dialect == "sqlite":
        return func.strftime("%Y-%m", column, "+7 hours")
    return func.to_char(func.timezone("Asia/Bangkok", column), "YYYY-MM")


def _hours(start: Any, end: Any, dialect: str) -> Any:
    if dialect == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 24
    return func.extract("epoch", end - start) / 3600


def _months_between(first: date, last: date) -> list[tuple[int, int]]:
    months: list[tuple[int, int]] = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month) and len(months) < 120:
        months.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def dashboard(actor: User, filters: SessionFilters, today: date, now: datetime, language: str = "th") -> Dashboard:
    """Every figure of the dashboard for `filters` (the report's, so the same sessions are counted)."""
    if not can_read_dashboard(actor):
        raise NotAllowed("dashboard")
    check_filter_values(filters)
    dialect = db.session.get_bind().dialect.name
    count = func.count(Booking.id)

    month = _month_key(Slot.starts_at, dialect)
    grouped_months = _filtered(select(month, count).select_from(Booking), filters).group_by(month)
    found: dict[str, int] = {key: n for key, n in db.session.execute(grouped_months)}
    if filters.fiscal_year is not None:
        first, last = fiscal_year_bounds(filters.fiscal_year)
        first, last = max(first, filters.date_from or first), min(last, filters.date_to or last)
    elif filters.date_from and filters.date_to:
        first, last = filters.date_from, filters.date_to
    elif found:
        keys = sorted(found)
        first = filters.date_from or date.fromisoformat(keys[0] + "-01")
        last = filters.date_to or date.fromisoformat(keys[-1] + "-01")
    else:
        first = last = today
    months = [(month_label(y, m, language), found.get(f"{y:04d}-{m:02d}", 0)) for y, m in _months_between(first, last)]

    def grouped(name: Any, *joins: tuple[Any, Any], limit: int | None = None) -> list[tuple[str, int]]:
        statement = _filtered(select(name, count).select_from(Booking), filters)
        for target, on in joins:
            statement = statement.join(target, on)
        statement = statement.group_by(name).order_by(count.desc(), name)
        rows = [(label, n) for label, n in db.session.execute(statement)]
        if limit is not None and len(rows) > limit:
            rows = [*rows[:limit], ("…", sum(n for _label, n in rows[limit:]))]
        return rows

    topic_name = local_name_column(Topic, language)
    ministry_name = local_name_column(Ministry, language)
    department_name = local_name_column(Department, language)
    by_topic = grouped(topic_name, (Topic, Booking.topic_id == Topic.id))
    by_ministry = grouped(ministry_name, (Ministry, Department.ministry_id == Ministry.id))
    by_department = grouped(department_name, limit=TOP)

    # Utilisation: the hours of open slots in the window (offered), and of those that hold an active booking (booked).
    start, end = utc_window(filters)
    hours = _hours(Slot.starts_at, Slot.ends_at, dialect)
    booked = exists().where(Booking.slot_id == Slot.id, Booking.status.in_(ACTIVE_STATUSES))
    utilisation_query = (
        select(User.name, func.sum(hours), func.sum(case((booked, hours), else_=0)))
        .select_from(Slot).join(User, Slot.advisor_id == User.id)
        .where(Slot.status == SlotStatus.OPEN)
        .group_by(User.id, User.name).order_by(User.name)
    )
    if start is not None:
        utilisation_query = utilisation_query.where(Slot.starts_at >= start)
    if end is not None:
        utilisation_query = utilisation_query.where(Slot.starts_at < end)
    if filters.advisor_id is not None:
        utilisation_query = utilisation_query.where(Slot.advisor_id == filters.advisor_id)
    utilisation = [(name, round(float(o or 0), 1), round(float(b or 0), 1))
                   for name, o, b in db.session.execute(utilisation_query)]

    # Outcomes of every request in the window, whatever its status (the status filters do not apply here).
    every = SessionFilters(**{**filters.__dict__, "status": None, "include_cancelled": True})
    attended = exists().where(Attendee.booking_id == Booking.id, Attendee.attended.is_(True))
    recorded = exists().where(Attendee.booking_id == Booking.id, Attendee.attended.is_not(None))
    held = and_(Booking.status == BookingStatus.CONFIRMED, Slot.ends_at <= now, recorded)
    status_count = lambda status: func.count(Booking.id).filter(Booking.status == status)  # noqa: E731
    row = db.session.execute(_filtered(select(
        func.count(Booking.id), status_count(BookingStatus.CANCELLED), status_count(BookingStatus.DECLINED),
        status_count(BookingStatus.EXPIRED), func.count(Booking.id).filter(held),
        func.count(Booking.id).filter(and_(held, ~attended)),
    ).select_from(Booking), every)).one()
    outcomes = dict(zip(("requests", "cancelled", "declined", "expired", "held", "no_show"),
                        (int(v or 0) for v in row), strict=True))

    # Next steps the departments were given (published with their records) and not done or dropped.
    steps = _filtered(
        select(func.count(ActionItem.id), func.count(ActionItem.id).filter(ActionItem.due_on < today))
        .select_from(Booking)
        .join(ConsultationRecord, ConsultationRecord.booking_id == Booking.id)
        .join(ActionItem, ActionItem.record_id == ConsultationRecord.id),
        every,
    ).where(ActionItem.status.not_in(CLOSED_STATUSES), ActionItem.published_at.is_not(None))
    open_steps, overdue_steps = db.session.execute(steps).one()

    rating = _filtered(
        select(func.avg(SessionFeedback.rating), func.count(SessionFeedback.id))
        .select_from(Booking)
        .join(ConsultationRecord, ConsultationRecord.booking_id == Booking.id)
        .join(SessionFeedback, SessionFeedback.record_id == ConsultationRecord.id),
        every,
    )
    average, ratings = db.session.execute(rating).one()
    return Dashboard(months=months, by_topic=by_topic, by_ministry=by_ministry, by_department=by_department,
                     utilisation=utilisation, outcomes=outcomes, open_steps=int(open_steps or 0),
                     overdue_steps=int(overdue_steps or 0),
                     rating_average=round(float(average), 2) if average is not None else None,
                     ratings=int(ratings or 0))

