"""What each role's home page shows: what needs doing, each in a fixed number of queries whatever the rows."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlalchemy import Select, func, select
from sqlalchemy.orm import contains_eager, joinedload

from clinic.accounts.models import User
from clinic.accounts.policies import department_scope
from clinic.bookings.models import ACTIVE_STATUSES, Booking, BookingStatus
from clinic.extensions import db
from clinic.i18n import BANGKOK, to_bangkok
from clinic.organisations.models import Department
from clinic.records.models import ActionItem, ActionStatus, ConsultationRecord, RecordRevision
from clinic.scheduling.models import Slot

HOME_LIMIT = 50  # rows per list on a home page; the full lists are one click away
RECORDING_WINDOW = timedelta(days=30)


def published_record_ids() -> Select[int]:
    return select(RecordRevision.record_id).where(RecordRevision.published_at.is_not(None))


def upcoming_for_departments(user: User, now: datetime) -> list[Booking]:
    """Active bookings of the departments in the user's scope that have not ended, soonest first."""
    return list(
        db.session.scalars(
            select(Booking)
            .join(Booking.slot)
            .where(department_scope(user, Booking.department_id), Slot.ends_at > now,
                   Booking.status.in_(ACTIVE_STATUSES))
            .options(contains_eager(Booking.slot).joinedload(Slot.advisor),
                     joinedload(Booking.department).joinedload(Department.ministry), joinedload(Booking.topic))
            .order_by(Slot.starts_at, Booking.id)
            .limit(HOME_LIMIT)
        )
    )


def open_steps_for(user: User, today: date, advisor: User | None = None, overdue_only: bool = False) -> list[ActionItem]:
    """Next steps not done, of published records: the departments' in the user's scope, or, given an advisor, those
    of the advisor's sessions. Overdue first (oldest due date first), each with its session."""
    statement = (
        select(ActionItem)
        .join(ActionItem.record)
        .join(ConsultationRecord.booking)
        .join(Booking.slot)
        .where(ActionItem.status != ActionStatus.DONE, ActionItem.record_id.in_(published_record_ids()))
        .options(
            contains_eager(ActionItem.record).contains_eager(ConsultationRecord.booking).contains_eager(Booking.slot),
            joinedload(ActionItem.department),
        )
        .order_by(ActionItem.due_on, ActionItem.id)
        .limit(HOME_LIMIT)
    )
    if advisor is not None:
        statement = statement.where(Slot.advisor_id == advisor.id)
    else:
        statement = statement.where(department_scope(user, ActionItem.department_id))
    if overdue_only:
        statement = statement.where(ActionItem.due_on < today)
    return list(db.session.scalars(statement))


class RecordState(StrEnum):
    NONE = "none"  # nothing written yet
    DRAFT = "draft"  # written, not yet published
    PUBLISHED = "published"


@dataclass
class AdvisorHome:
    pending: list[Booking]
    upcoming: list[Booking]
    held: list[Booking]  # confirmed sessions of the last 30 days, newest first
    record_states: dict[int, RecordState]  # booking id -> state of its record
    overdue: list[ActionItem]

    @property
    def to_record(self) -> int:
        return sum(1 for b in self.held if self.record_states[b.id] != RecordState.PUBLISHED)


def record_states(booking_ids: list[int]) -> dict[int, RecordState]:
    """Whether each booking's record is missing, a draft or published: one query."""
    states = dict.fromkeys(booking_ids, RecordState.NONE)
    if booking_ids:
        rows = db.session.execute(
            select(ConsultationRecord.booking_id, func.count(RecordRevision.published_at))
            .outerjoin(RecordRevision, RecordRevision.record_id == ConsultationRecord.id)
            .where(ConsultationRecord.booking_id.in_(booking_ids))
            .group_by(ConsultationRecord.booking_id)
        )
        for booking_id, published in rows:
            states[booking_id] = RecordState.PUBLISHED if published else RecordState.DRAFT
    return states


def advisor_home(advisor: User, now: datetime) -> AdvisorHome:
    """Requests to answer, sessions coming up, sessions held (recorded or not) and overdue next steps: five queries."""
    options = (contains_eager(Booking.slot), joinedload(Booking.department).joinedload(Department.ministry),
               joinedload(Booking.topic))
    mine = select(Booking).join(Booking.slot).where(Slot.advisor_id == advisor.id).options(*options)
    pending = list(db.session.scalars(
        mine.where(Booking.status == BookingStatus.PENDING, Slot.starts_at > now)
        .order_by(Slot.starts_at, Booking.id).limit(HOME_LIMIT)
    ))
    upcoming = list(db.session.scalars(
        mine.where(Booking.status == BookingStatus.CONFIRMED, Slot.starts_at > now)
        .order_by(Slot.starts_at, Booking.id).limit(HOME_LIMIT)
    ))
    held = list(db.session.scalars(
        mine.where(Booking.status == BookingStatus.CONFIRMED, Slot.starts_at <= now,
                   Slot.starts_at > now - RECORDING_WINDOW)
        .order_by(Slot.starts_at.desc(), Booking.id).limit(HOME_LIMIT)
    ))
    today = to_bangkok(now).date()
    return AdvisorHome(pending=pending, upcoming=upcoming, held=held, record_states=record_states([b.id for b in held]),
                       overdue=open_steps_for(advisor, today, advisor=advisor, overdue_only=True))


@dataclass
class MonthOutline:
    first_day: date
    by_status: dict[str, int] = field(default_factory=dict)
    by_day: list[tuple[date, int]] = field(default_factory=list)  # days with sessions, and how many
    departments: int = 0
    unrecorded: int = 0  # confirmed sessions held this month with no published record
    overdue_steps: int = 0  # in all departments, today

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


def month_outline(now: datetime) -> MonthOutline:
    """The administrator's outline of the current month (Bangkok): sessions by status and by day, departments
    served, sessions held but not recorded, and next steps overdue: five queries."""
    local = to_bangkok(now)
    first = local.date().replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    start = datetime.combine(first, datetime.min.time(), BANGKOK)
    end = datetime.combine(following, datetime.min.time(), BANGKOK)
    in_month = (Slot.starts_at >= start, Slot.starts_at < end)
    outline = MonthOutline(first_day=first)
    rows = db.session.execute(
        select(Booking.status, func.count(Booking.id)).join(Booking.slot).where(*in_month).group_by(Booking.status)
    )
    for status, count in rows:
        outline.by_status[str(status)] = count
    outline.departments = db.session.scalar(
        select(func.count(func.distinct(Booking.department_id))).join(Booking.slot)
        .where(*in_month, Booking.status.in_(ACTIVE_STATUSES))
    ) or 0
    starts = db.session.scalars(
        select(Slot.starts_at).join(Booking, Booking.slot_id == Slot.id)
        .where(*in_month, Booking.status.in_(ACTIVE_STATUSES))
    )
    days: dict[date, int] = {}
    for starts_at in starts:
        day = to_bangkok(starts_at).date()
        days[day] = days.get(day, 0) + 1
    outline.by_day = sorted(days.items())
    recorded = select(ConsultationRecord.booking_id).where(ConsultationRecord.id.in_(published_record_ids()))
    outline.unrecorded = db.session.scalar(
        select(func.count(Booking.id)).join(Booking.slot)
        .where(*in_month, Slot.starts_at <= now, Booking.status == BookingStatus.CONFIRMED,
               Booking.id.not_in(recorded))
    ) or 0
    outline.overdue_steps = db.session.scalar(
        select(func.count(ActionItem.id))
        .where(ActionItem.status != ActionStatus.DONE, ActionItem.due_on < local.date(),
               ActionItem.record_id.in_(published_record_ids()))
    ) or 0
    return outline
