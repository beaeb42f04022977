"""Reads of records: a booking's record and internal notes, and a department's case file."""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from clinic.accounts.models import User
from clinic.bookings.models import ACTIVE_STATUSES, Booking
from clinic.bookings.queries import booking_options
from clinic.extensions import db
from clinic.i18n import local_name_column
from clinic.organisations.models import Department, Ministry
from clinic.records.models import (
    CLOSED_STATUSES,
    Acknowledgement,
    ActionItem,
    ActionItemUpdate,
    ActionOwner,
    ConsultationRecord,
    InternalNote,
    RecordRevision,
    SessionFeedback,
)
from clinic.scheduling.models import Slot


def record_for(booking: Booking) -> ConsultationRecord | None:
    return db.session.scalar(select(ConsultationRecord).where(ConsultationRecord.booking_id == booking.id))


def internal_notes(booking: Booking) -> list[InternalNote]:
    return list(
        db.session.scalars(
            select(InternalNote).where(InternalNote.booking_id == booking.id).order_by(InternalNote.created_at)
        )
    )


CASE_FILE_PAGE = 20  # bookings per page of a case file, newest first
CASE_FILE_ITEMS = 20  # next steps shown at most (each carries a form): the open ones first, oldest due first, then the page's done ones


@dataclass
class CaseFile:
    department: Department
    bookings: list[Booking]
    records: dict[int, ConsultationRecord]
    action_items: list[ActionItem]
    page: int = 1
    pages: int = 1
    more_items: bool = False  # more next steps than CASE_FILE_ITEMS


def case_file(department: Department, page: int = 1, per_page: int = CASE_FILE_PAGE,
              max_items: int = CASE_FILE_ITEMS) -> CaseFile:
    """One page of a department's case file, newest bookings first, in a fixed number of queries whatever the
    department's history: its bookings of the page with their records, and its next steps (every open one, and
    the done ones of the page's bookings), at most CASE_FILE_ITEMS of them."""
    total = db.session.scalar(select(func.count(Booking.id)).where(Booking.department_id == department.id)) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    bookings = list(
        db.session.scalars(
            select(Booking)
            .where(Booking.department_id == department.id)
            .options(*booking_options())
            .order_by(Booking.created_at.desc(), Booking.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        ).unique()
    )
    shown = [b.id for b in bookings]
    records = {
        r.booking_id: r
        for r in db.session.scalars(
            select(ConsultationRecord)
            .where(ConsultationRecord.booking_id.in_(shown))
            .options(
                selectinload(ConsultationRecord.revisions)
                .selectinload(RecordRevision.acknowledgements)
                .joinedload(Acknowledgement.user)
            )
        )
    }
    items = list(
        db.session.scalars(
            select(ActionItem)
            .join(ActionItem.record)
            .where(ActionItem.department_id == department.id,
                   or_(ActionItem.status.not_in(CLOSED_STATUSES), ConsultationRecord.booking_id.in_(shown)))
            .options(contains_eager(ActionItem.record).joinedload(ConsultationRecord.booking),
                     contains_eager(ActionItem.record).selectinload(ConsultationRecord.revisions),
                     selectinload(ActionItem.updates).joinedload(ActionItemUpdate.author),
                     selectinload(ActionItem.evidence))
            # Open steps first, earliest due first (so the overdue lead), then those done or dropped.
            .order_by(ActionItem.status.in_(CLOSED_STATUSES), ActionItem.due_on, ActionItem.id)
            .limit(max_items + 1)
        )
    )
    return CaseFile(department=department, bookings=bookings, records=records, action_items=items[:max_items],
                    page=page, pages=pages, more_items=len(items) > max_items)


@dataclass(frozen=True)
class DepartmentSummary:
    """One line of OPDC's index of case files."""

    department_id: int
    department: str
    ministry: str
    sessions: int  # bookings that were not declined or cancelled
    open_steps: int  # next steps not done, of published records
    overdue_steps: int  # of those, the ones past their due date
    last_session: datetime | None


def department_overview(language: str, today: date, ministry_id: int | None = None) -> list[DepartmentSummary]:
    """Every department (of one ministry, if given) with its sessions and open and overdue next steps, those with
    overdue steps first: one query whatever the number of departments."""
    sessions = (
        select(Booking.department_id, func.count(Booking.id).label("n"), func.max(Slot.starts_at).label("last"))
        .join(Slot, Booking.slot_id == Slot.id)
        .where(Booking.status.in_(ACTIVE_STATUSES))
        .group_by(Booking.department_id)
        .subquery()
    )
    steps = (
        select(
            ActionItem.department_id,
            func.count(ActionItem.id).label("open"),
            func.count(ActionItem.id).filter(ActionItem.due_on < today).label("overdue"),
        )
        .where(ActionItem.status.not_in(CLOSED_STATUSES), ActionItem.published_at.is_not(None))
        .group_by(ActionItem.department_id)
        .subquery()
    )
    department_name = local_name_column(Department, language)
    ministry_name = local_name_column(Ministry, language)
    overdue = func.coalesce(steps.c.overdue, 0)
    statement = (
        select(
            Department.id, department_name, ministry_name, func.coalesce(sessions.c.n, 0),
            func.coalesce(steps.c.open, 0), overdue, sessions.c.last,
        )
        .join(Ministry, Department.ministry_id == Ministry.id)
        .outerjoin(sessions, sessions.c.department_id == Department.id)
        .outerjoin(steps, steps.c.department_id == Department.id)
        .order_by(overdue.desc(), ministry_name, department_name, Department.id)
    )
    statement = statement.where(Department.retired_at.is_(None))  # a merged department's file moved to its survivor
    if ministry_id is not None:
        statement = statement.where(Department.ministry_id == ministry_id)
    return [DepartmentSummary(*row) for row in db.session.execute(statement)]


OPEN_STEPS_PAGE = 50


@dataclass(frozen=True)
class StepsPage:
    items: list[ActionItem]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def open_action_items(owner: ActionOwner | None, mine: bool, user: User, page: int = 1,
                      per_page: int = OPEN_STEPS_PAGE) -> StepsPage:
    """Next steps still open (not done, not dropped) across every department, the earliest due first (so the
    overdue ones lead), optionally only one owner's or only those of `user`'s own sessions: two queries for the
    page, whatever the history holds."""
    conditions: list[ColumnElement[bool]] = [ActionItem.status.not_in(CLOSED_STATUSES)]
    if owner is not None:
        conditions.append(ActionItem.owner == owner)
    if mine:
        conditions.append(ActionItem.record_id.in_(
            select(ConsultationRecord.id).join(Booking).join(Slot, Booking.slot_id == Slot.id)
            .where(Slot.advisor_id == user.id)
        ))
    total = db.session.scalar(select(func.count(ActionItem.id)).where(*conditions)) or 0
    page = min(max(page, 1), max(1, -(-total // per_page)))
    items = db.session.scalars(
        select(ActionItem)
        .where(*conditions)
        .options(
            joinedload(ActionItem.department).joinedload(Department.ministry),
            joinedload(ActionItem.record).joinedload(ConsultationRecord.booking).joinedload(Booking.slot)
            .joinedload(Slot.advisor),
        )
        .order_by(ActionItem.due_on, ActionItem.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return StepsPage(items=list(items), total=total, page=page, per_page=per_page)


@dataclass(frozen=True)
class FeedbackPage:
    rows: list[SessionFeedback]
    total: int
    average: float | None
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def feedback_page(page: int = 1, per_page: int = OPEN_STEPS_PAGE) -> FeedbackPage:
    """Every department's ratings, newest first, with their count and average: two queries for any page."""
    total, average = db.session.execute(
        select(func.count(SessionFeedback.id), func.avg(SessionFeedback.rating))
    ).one()
    page = min(max(page, 1), max(1, -(-int(total) // per_page)))
    rows = db.session.scalars(
        select(SessionFeedback)
        .options(
            joinedload(SessionFeedback.department).joinedload(Department.ministry),
            joinedload(SessionFeedback.record).joinedload(ConsultationRecord.booking).joinedload(Booking.slot)
            .joinedload(Slot.advisor),
        )
        .order_by(SessionFeedback.created_at.desc(), SessionFeedback.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return FeedbackPage(rows=list(rows), total=int(total), average=float(average) if average is not None else None,
                        page=page, per_page=per_page)
