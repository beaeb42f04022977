"""Reads of bookings: loaders that check access, and the department's case file."""

from dataclasses import dataclass

from flask import abort
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from clinic.accounts.models import User
from clinic.accounts.policies import department_scope
from clinic.bookings.models import Booking, Document
from clinic.bookings.policies import can_view_booking
from clinic.extensions import db
from clinic.organisations.models import Department
from clinic.records.models import Acknowledgement, ActionItem, ConsultationRecord, RecordRevision
from clinic.scheduling.models import Slot


def booking_options():
    return (
        joinedload(Booking.slot).joinedload(Slot.advisor),
        joinedload(Booking.department).joinedload(Department.ministry),
        joinedload(Booking.topic),
        selectinload(Booking.attendees),
        selectinload(Booking.documents),
    )


def get_booking_or_404(booking_id: int, user: User) -> Booking:
    """The one loader every booking route uses: someone outside the case file gets 404, not a hint."""
    booking = db.session.scalar(select(Booking).where(Booking.id == booking_id).options(*booking_options()))
    if booking is None or not can_view_booking(user, booking):
        abort(404)
    return booking


def get_document_or_404(document_id: int, user: User) -> Document:
    document = db.session.get(Document, document_id)
    if document is None or not can_view_booking(user, document.booking):
        abort(404)
    return document


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
            .order_by(ActionItem.status == "done", ActionItem.due_on)
        )
    )
    return CaseFile(department=department, bookings=bookings, records=records, action_items=items)


def departments_in_scope(user: User) -> list[Department]:
    return list(
        db.session.scalars(
            select(Department).where(department_scope(user, Department.id)).order_by(Department.ministry_id, Department.id)
        )
    )
