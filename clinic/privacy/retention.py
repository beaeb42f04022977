"""Retention (PDPA s.37(3)): personal data is kept only as long as the clinic needs it.

`apply_retention` anonymises, for every session that took place more than RETENTION_DAYS ago: the attendees'
names and positions, the request text and the reasons given for a decline or a cancellation; the files of the
documents attached (deleted; the document keeps its kind, size and checksum, and a neutral name); and the bodies
and addresses of e-mails delivered or given up on more than RETENTION_DAYS ago. What the reports count stays:
bookings, their topics, departments, dates, statuses, the number of attendees and who attended.

Each row records when it was anonymised, so a second run finds nothing left to do. The run is one transaction
with its audit event; files are deleted only after it commits (a failed run deletes nothing)."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from clinic.audit.services import ObjectRef, record_event
from clinic.bookings.models import Attendee, Booking, Document
from clinic.extensions import db
from clinic.notifications.models import OutboxMessage, OutboxStatus
from clinic.scheduling.models import Slot

REMOVED = "[ลบตามระยะเวลาเก็บรักษา]"  # what an anonymised text reads (Thai, like the data it replaces)
REMOVED_ADDRESS = "removed@retention.invalid"
EXTENSIONS = {"pdf": ".pdf", "docx": ".docx", "xlsx": ".xlsx"}


@dataclass
class RetentionReport:
    cutoff: datetime
    bookings: list[str] = field(default_factory=list)  # references
    attendees: int = 0
    documents: list[int] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    emails: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.bookings or self.documents or self.emails)

    def lines(self, dry_run: bool) -> list[str]:
        verb = "would anonymise" if dry_run else "anonymised"
        lines = [f"retention: personal data of sessions before {self.cutoff.isoformat()}"]
        lines += [f"{verb} booking {reference}" for reference in self.bookings]
        lines += [f"{'would delete' if dry_run else 'deleted'} file of document {number}" for number in self.documents]
        lines.append(f"{verb}: {len(self.bookings)} bookings, {self.attendees} attendees, "
                     f"{len(self.documents)} documents, {self.emails} e-mails")
        return lines


def apply_retention(now: datetime, days: int, upload_folder: str, dry_run: bool = False) -> RetentionReport:
    """Anonymise what is older than `days` (see the module). With `dry_run`, report and change nothing.
    The caller commits; `delete_files` is then called with the report to remove the files."""
    cutoff = now - timedelta(days=days)
    report = RetentionReport(cutoff=cutoff)
    bookings = db.session.scalars(
        select(Booking).join(Slot, Booking.slot_id == Slot.id)
        .where(Slot.starts_at < cutoff, Booking.anonymised_at.is_(None))
        .options(selectinload(Booking.attendees)).order_by(Booking.id)
    ).all()
    documents = db.session.scalars(
        select(Document).join(Booking, Document.booking_id == Booking.id).join(Slot, Booking.slot_id == Slot.id)
        .where(Slot.starts_at < cutoff, Document.anonymised_at.is_(None)).order_by(Document.id)
    ).all()
    emails = db.session.scalars(
        select(OutboxMessage.id).where(OutboxMessage.created_at < cutoff, OutboxMessage.anonymised_at.is_(None),
                                       OutboxMessage.status != OutboxStatus.PENDING)
    ).all()
    report.bookings = [b.reference for b in bookings]
    report.attendees = sum(len(b.attendees) for b in bookings)
    report.documents = [d.id for d in documents]
    report.files = [Path(upload_folder) / d.stored_name for d in documents]
    report.emails = len(emails)
    if dry_run or not report.changed:
        return report
    for booking in bookings:
        booking.request_details = REMOVED
        booking.decline_reason = REMOVED if booking.decline_reason else ""
        booking.cancel_reason = REMOVED if booking.cancel_reason else ""
        booking.anonymised_at = now
    if bookings:
        db.session.execute(update(Attendee).where(Attendee.booking_id.in_([b.id for b in bookings]))
                           .values(name=REMOVED, position=""))
    for document in documents:
        document.filename = f"document-{document.id}{EXTENSIONS.get(str(document.kind), '')}"
        document.anonymised_at = now
    if emails:
        db.session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(emails))
                           .values(body=REMOVED, subject=REMOVED, recipient=REMOVED_ADDRESS, last_error="",
                                   calendar=None, key=None,  # the invitation and the once-key name the recipient
                                   anonymised_at=now))
    record_event(None, "retention.applied", ObjectRef("retention"), now, cutoff=cutoff.isoformat(), days=days,
                 bookings=len(report.bookings), attendees=report.attendees, documents=len(report.documents),
                 emails=report.emails)
    return report


def delete_files(report: RetentionReport) -> None:
    """After the commit: the anonymised documents' files go (one already gone is no error)."""
    for path in report.files:
        path.unlink(missing_ok=True)
