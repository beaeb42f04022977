"""Reads of records: a booking's record and internal notes, and a department's case file."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from clinic.bookings.models import Booking
from clinic.bookings.queries import booking_options
from clinic.extensions import db
from clinic.organisations.models import Department
from clinic.records.models import (
    Acknowledgement,
    ActionItem,
    ActionStatus,
    ConsultationRecord,
    InternalNote,
    RecordRevision,
)


def record_for(booking: Booking) -> ConsultationRecord | None:
    return db.session.scalar(select(ConsultationRecord).where(ConsultationRecord.booking_id == booking.id))


def internal_notes(booking: Booking) -> list[InternalNote]:
    return list(
        db.session.scalars(
            select(InternalNote).where(InternalNote.booking_id == booking.id).order_by(InternalNote.created_at)
        )
    )


@dataclass
class CaseFile:
    department: Department
    bookings: list[Booking]
    records: dict[int, ConsultationRecord]
    action_items: list[ActionItem]


def case_file(department: Department) -> CaseFile:
    """Everything of one department, in a fixed number of queries whatever its size."""
    bookings = list(
        db.session.scalars(
            select(Booking)
            .where(Booking.department_id == department.id)
            .options(*booking_options())
            .order_by(Booking.created_at.desc())
        ).unique()
    )
    records = {
        r.booking_id: r
        for r in db.session.scalars(
            select(ConsultationRecord)
            .join(Booking)
            .where(Booking.department_id == department.id)
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
            .where(ActionItem.department_id == department.id)
            .options(joinedload(ActionItem.record).joinedload(ConsultationRecord.booking))
            .order_by(ActionItem.status == ActionStatus.DONE, ActionItem.due_on)
        )
    )
    return CaseFile(department=department, bookings=bookings, records=records, action_items=items)
