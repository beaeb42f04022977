"""A person's own data (PDPA ss.30-31: access and portability): everything the clinic holds about them, as one
plain structure that the JSON download and the printable page both show."""

from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from clinic.accounts.models import User
from clinic.audit.models import AuditEvent
from clinic.audit.services import record_event
from clinic.bookings.models import Booking, Document
from clinic.extensions import db
from clinic.scheduling.models import Slot

EXPORT_FORMATS = ("json", "html")


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def name_of(thing: Any) -> str | None:
    return thing.name_th if thing is not None else None


def profile_of(user: User) -> dict[str, Any]:
    return {
        "id": user.id, "email": user.email, "name": user.name, "position": user.position, "role": str(user.role),
        "department": name_of(user.department), "ministry": name_of(user.ministry), "language": user.language,
        "active": user.is_active_account, "created_at": iso(user.created_at),
        "privacy_notice_version": user.privacy_notice_version,
        "privacy_notice_acknowledged_at": iso(user.privacy_notice_acknowledged_at),
    }


def document_of(document: Document) -> dict[str, Any]:
    return {
        "id": document.id, "booking_reference": document.booking.reference, "filename": document.filename,
        "kind": str(document.kind), "size": document.size, "sha256": document.sha256,
        "uploaded_at": iso(document.uploaded_at), "file_deleted_by_retention_at": iso(document.anonymised_at),
    }


def booking_of(booking: Booking) -> dict[str, Any]:
    return {
        "reference": booking.reference, "department": name_of(booking.department), "topic": name_of(booking.topic),
        "session_starts_at": iso(booking.slot.starts_at), "session_ends_at": iso(booking.slot.ends_at),
        "status": str(booking.status), "request_details": booking.request_details,
        "created_at": iso(booking.created_at), "decided_at": iso(booking.decided_at),
        "decline_reason": booking.decline_reason, "cancelled_at": iso(booking.cancelled_at),
        "cancel_reason": booking.cancel_reason, "anonymised_at": iso(booking.anonymised_at),
        "attendees": [{"name": a.name, "position": a.position, "attended": a.attended} for a in booking.attendees],
    }


def event_of(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": event.id, "occurred_at": iso(event.occurred_at), "action": event.action,
        "by_this_person": event.actor_id is not None, "object_type": event.object_type, "object_id": event.object_id,
        "details": event.details,
    }


def personal_data(user: User) -> dict[str, Any]:
    """The person's profile, the bookings they made (with the attendees they named and the documents attached),
    the documents they uploaded (details, not the files), and the audit events they did or that are about them."""
    bookings = db.session.scalars(
        select(Booking).join(Slot, Booking.slot_id == Slot.id).where(Booking.booked_by_id == user.id)
        .options(selectinload(Booking.attendees), selectinload(Booking.slot), selectinload(Booking.topic),
                 selectinload(Booking.department))
        .order_by(Slot.starts_at, Booking.id)
    ).all()
    documents = db.session.scalars(
        select(Document).where(Document.uploaded_by_id == user.id)
        .options(selectinload(Document.booking)).order_by(Document.uploaded_at, Document.id)
    ).all()
    events = db.session.scalars(
        select(AuditEvent)
        .where(or_(AuditEvent.actor_id == user.id, (AuditEvent.object_type == "users") & (AuditEvent.object_id == user.id)))
        .order_by(AuditEvent.occurred_at, AuditEvent.id)
    ).all()
    return {
        "profile": profile_of(user),
        "bookings": [booking_of(b) for b in bookings],
        "documents_uploaded": [document_of(d) for d in documents],
        "audit_events": [event_of(e) for e in events],
    }


def record_export(user: User, export_format: str, now: datetime) -> None:
    """A person downloaded their own data: the audit log keeps when, and in which form."""
    record_event(user, "user.data_exported", user, now, format=export_format)
