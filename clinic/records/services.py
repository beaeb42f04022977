"""Consultation records: drafting, publishing as immutable revisions, acknowledgement, action items."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from clinic.accounts.models import User
from clinic.accounts.queries import department_watchers
from clinic.audit.services import record_event
from clinic.bookings import documents
from clinic.bookings.models import Booking, BookingStatus, Document
from clinic.bookings.policies import can_view_booking
from clinic.errors import Conflict, DomainError, NotAllowed
from clinic.extensions import db
from clinic.i18n import as_utc, bangkok_today
from clinic.notifications.services import notify
from clinic.records.models import (
    Acknowledgement,
    ActionItem,
    ActionItemUpdate,
    ActionOwner,
    ActionStatus,
    ConsultationRecord,
    InternalNote,
    RecordRevision,
    SessionFeedback,
)
from clinic.records.policies import (
    can_acknowledge,
    can_drop_action_item,
    can_give_feedback,
    can_read_internal_notes,
    can_update_action_item,
    can_write_record,
)
from clinic.records.queries import record_for

MAX_TEXT = 10000
MAX_ITEM = 1000
MAX_DUE_AHEAD = timedelta(days=5 * 366)


@dataclass(frozen=True)
class RecordContent:
    attendance: str
    issues_raised: str
    guidance: str


@dataclass(frozen=True)
class NextStep:
    """An action item as the advisor types it."""

    description: str
    owner: ActionOwner | str
    due_on: date | None


@dataclass(frozen=True)
class RecordSubmission:
    """One press of a button in the record editor: the draft's content and attendance, and optionally an
    internal note, a next step, and publishing."""

    content: RecordContent
    attended_ids: set[int]
    internal_note: str = ""
    next_step: NextStep | None = None
    publish: bool = False


def check_length(value: str, field: str, limit: int = MAX_TEXT) -> str:
    value = value.strip()
    if len(value) > limit:
        raise DomainError(_l("ข้อความยาวเกิน %(n)s ตัวอักษร", n=limit), field=field)
    return value


def save_draft(
    actor: User, booking: Booking, content: RecordContent, attended_ids: set[int], now: datetime
) -> RecordRevision:
    """Write the draft revision, starting it from the published one when the record was published."""
    if not can_write_record(actor, booking):
        raise NotAllowed(_l("คุณบันทึกผลการให้คำปรึกษาของนัดหมายนี้ไม่ได้"))
    values = {
        "attendance": check_length(content.attendance, "attendance"),
        "issues_raised": check_length(content.issues_raised, "issues_raised"),
        "guidance": check_length(content.guidance, "guidance"),
    }
    known = {a.id for a in booking.attendees}
    if not attended_ids <= known:
        raise DomainError(_l("ผู้เข้าร่วมที่เลือกไม่อยู่ในการจองนี้"), field="attended")
    record = record_for(booking)
    if record is None:
        record = ConsultationRecord(booking=booking, created_by_id=actor.id, created_at=now)
        db.session.add(record)
        db.session.flush()
    draft = record.draft
    if draft is None:
        draft = RecordRevision(record=record, number=len(record.revisions) + 1, author_id=actor.id, created_at=now)
        db.session.add(draft)
    for name, value in values.items():
        setattr(draft, name, value)
    draft.updated_at = now
    for attendee in booking.attendees:
        attendee.attended = attendee.id in attended_ids
    record_event(actor, "record.draft_saved", draft, now, department_id=booking.department_id, number=draft.number)
    return draft


def submit_record(actor: User, booking: Booking, submission: RecordSubmission, now: datetime) -> RecordRevision:
    """Save the draft, then add the internal note and the next step and publish, as the submission asks;
    all in the caller's transaction, so a refusal of any part leaves nothing behind.
    Returns the revision saved (published when asked)."""
    draft = save_draft(actor, booking, submission.content, submission.attended_ids, now)
    if submission.internal_note.strip():
        add_internal_note(actor, booking, submission.internal_note, now)
    if submission.next_step is not None:
        step = submission.next_step
        add_action_item(actor, booking, step.description, step.owner, step.due_on, now)
    if submission.publish:
        publish_record(actor, draft.record, now)
    return draft


def publish_record(actor: User, record: ConsultationRecord, now: datetime) -> RecordRevision:
    """Publish the draft to the department. The revision is frozen from then on."""
    booking = record.booking
    if not can_write_record(actor, booking):
        raise NotAllowed(_l("คุณเผยแพร่บันทึกนี้ไม่ได้"))
    draft = record.draft
    if draft is None:
        raise Conflict(_l("ไม่มีร่างที่รอเผยแพร่"))
    if as_utc(booking.slot.starts_at) > now:
        raise DomainError(_l("เผยแพร่ได้หลังเริ่มการให้คำปรึกษาแล้ว"))
    if not draft.guidance.strip():
        raise DomainError(_l("ระบุคำแนะนำที่ให้ก่อนเผยแพร่"), field="guidance")
    draft.published_at = now
    draft.published_by_id = actor.id
    for item in record.action_items:
        if item.published_at is None:
            item.published_at = now  # the department sees it, and reports on it, from now on
    record_event(actor, "record.published", draft, now, department_id=booking.department_id, number=draft.number)
    notify([booking.booked_by, *department_watchers(booking.department)], "record_published", now, booking=booking,
           revision=draft)
    return draft


def acknowledge(actor: User, revision: RecordRevision, now: datetime) -> Acknowledgement:
    if not can_acknowledge(actor, revision):
        raise NotAllowed(_l("คุณรับทราบบันทึกนี้ไม่ได้"))
    department_id = revision.record.booking.department_id
    existing = db.session.scalar(
        select(Acknowledgement).where(
            Acknowledgement.revision_id == revision.id, Acknowledgement.department_id == department_id
        )
    )
    if existing:
        raise Conflict(_l("ส่วนราชการรับทราบบันทึกฉบับนี้แล้ว"))
    ack = Acknowledgement(revision=revision, department_id=department_id, user_id=actor.id, acknowledged_at=now)
    db.session.add(ack)
    record_event(actor, "record.acknowledged", revision, now, department_id=department_id, number=revision.number)
    return ack


def add_action_item(
    actor: User, booking: Booking, description: str, owner: ActionOwner | str, due_on: date | None, now: datetime
) -> ActionItem:
    if not can_write_record(actor, booking):
        raise NotAllowed(_l("คุณเพิ่มขั้นตอนต่อไปของนัดหมายนี้ไม่ได้"))
    description = description.strip()
    if not description:
        raise DomainError(_l("ระบุสิ่งที่ต้องดำเนินการ"), field="description")
    description = check_length(description, "description", MAX_ITEM)
    try:
        owner = ActionOwner(owner)
    except ValueError:
        raise DomainError(_l("เลือกผู้รับผิดชอบ"), field="owner") from None
    if due_on is None:
        raise DomainError(_l("ระบุวันครบกำหนด"), field="due_on")
    if due_on < bangkok_today(now):
        raise DomainError(_l("วันครบกำหนดต้องไม่อยู่ในอดีต"), field="due_on")
    if due_on > bangkok_today(now) + MAX_DUE_AHEAD:
        raise DomainError(_l("วันครบกำหนดต้องไม่เกิน 5 ปีข้างหน้า"), field="due_on")
    record = record_for(booking)
    if record is None:
        record = ConsultationRecord(booking=booking, created_by_id=actor.id, created_at=now)
        db.session.add(record)
    item = ActionItem(
        record=record, department_id=booking.department_id, description=description, owner=owner,
        due_on=due_on, status=ActionStatus.OPEN, created_at=now, updated_at=now, updated_by_id=actor.id,
    )
    db.session.add(item)
    record_event(actor, "action_item.created", item, now, department_id=booking.department_id, owner=owner)
    return item


def update_action_item(
    actor: User, item: ActionItem, status: ActionStatus | str, note: str, now: datetime
) -> ActionItem:
    """Report on a next step: its status and a note on the progress, kept in the step's history. Only OPDC drops a
    step, and says why."""
    if not can_update_action_item(actor, item):
        raise NotAllowed(_l("คุณปรับสถานะขั้นตอนนี้ไม่ได้"))
    try:
        status = ActionStatus(status)
    except ValueError:
        raise DomainError(_l("เลือกสถานะ"), field="status") from None
    note = check_length(note, "note", MAX_ITEM)
    if status == ActionStatus.DROPPED and not can_drop_action_item(actor, item):
        raise NotAllowed(_l("เฉพาะที่ปรึกษา ก.พ.ร. ยกเลิกขั้นตอนได้"))
    if status == ActionStatus.DROPPED and not note:
        raise DomainError(_l("ระบุเหตุผลที่ยกเลิกขั้นตอนนี้"), field="note")
    if status == item.status and not note:
        raise DomainError(_l("เลือกสถานะใหม่ หรือพิมพ์ความคืบหน้า"), field="note")
    previous = item.status
    item.status = status
    if note:
        item.progress_note = note
    item.updated_at = now
    item.updated_by_id = actor.id
    db.session.add(ActionItemUpdate(item=item, author_id=actor.id, status=status, note=note, created_at=now))
    record_event(actor, "action_item.updated", item, now, department_id=item.department_id,
                 previous_status=previous, status=status, note=note)
    return item


def add_evidence(actor: User, item: ActionItem, upload: documents.Upload | None, upload_folder: str,
                 max_bytes: int, now: datetime) -> Document:
    """Attach a file (PDF, DOCX or XLSX, its type read from its bytes) as evidence for a next step: a document of
    the booking the step came from. Whoever may report on the step may attach evidence."""
    if not can_update_action_item(actor, item):
        raise NotAllowed(_l("คุณแนบหลักฐานของขั้นตอนนี้ไม่ได้"))
    if upload is None:
        raise DomainError(_l("เลือกไฟล์หลักฐานก่อน"), field="evidence")
    checked = documents.check_upload(upload, max_bytes)
    stored_name = documents.store(checked, upload_folder, db.session())
    document = Document(
        booking_id=item.record.booking_id, action_item_id=item.id, filename=checked.filename,
        stored_name=stored_name, kind=checked.kind, size=len(checked.data), sha256=checked.sha256,
        uploaded_by_id=actor.id, uploaded_at=now,
    )
    db.session.add(document)
    record_event(actor, "action_item.evidence_added", item, now, department_id=item.department_id,
                 filename=checked.filename, size=len(checked.data), sha256=checked.sha256)
    return document


def add_internal_note(actor: User, booking: Booking, body: str, now: datetime) -> InternalNote:
    if not can_read_internal_notes(actor):
        raise NotAllowed(_l("เฉพาะเจ้าหน้าที่ ก.พ.ร. เท่านั้น"))
    body = body.strip()
    if not body:
        raise DomainError(_l("พิมพ์บันทึกภายใน"), field="body")
    body = check_length(body, "body")
    note = InternalNote(booking_id=booking.id, author_id=actor.id, body=body, created_at=now)
    db.session.add(note)
    record_event(actor, "internal_note.added", note, now, department_id=booking.department_id)
    return note


MAX_FEEDBACK = 2000


def give_feedback(actor: User, record: ConsultationRecord, rating: int | str | None, comment: str,
                  now: datetime) -> SessionFeedback:
    """The department's rating of a held session (1 to 5) and comment, once; a second is refused (the unique
    record_id holds it under concurrency too)."""
    if record.feedback is not None:
        raise Conflict(_l("ส่วนราชการให้ความเห็นต่อการให้คำปรึกษาครั้งนี้แล้ว"))
    if not can_give_feedback(actor, record):
        raise NotAllowed(_l("คุณให้ความเห็นต่อการให้คำปรึกษาครั้งนี้ไม่ได้"))
    try:
        score = int(rating) if rating is not None else 0
    except (TypeError, ValueError):
        score = 0
    if not 1 <= score <= 5:
        raise DomainError(_l("เลือกคะแนน 1 ถึง 5"), field="rating")
    comment = check_length(comment, "comment", MAX_FEEDBACK)
    feedback = SessionFeedback(record=record, department_id=record.booking.department_id, given_by_id=actor.id,
                               rating=score, comment=comment, created_at=now)
    db.session.add(feedback)
    record_event(actor, "record.feedback_given", record, now, department_id=record.booking.department_id,
                 rating=score)
    return feedback


# -- follow-ups ---------------------------------------------------------------------------------------------------


def follow_up_target(actor: User, value: str | int | None) -> Booking | None:
    """The session a new booking may follow up: one of the department's confirmed sessions that `actor` can see,
    named by its id (from an advisor's invitation link), or None."""
    try:
        booking_id = int(value) if value not in (None, "") else 0
    except (TypeError, ValueError):
        return None
    earlier = db.session.get(Booking, booking_id) if 0 < booking_id < 2**31 else None
    if earlier is None or earlier.status != BookingStatus.CONFIRMED or not can_view_booking(actor, earlier):
        return None
    return earlier


def link_follow_up(actor: User, booking: Booking, value: str | int | None, now: datetime) -> Booking:
    """Mark `booking` as the follow-up of an earlier session of the same department (in the caller's
    transaction, with the booking). A session that is not the department's, not confirmed or not earlier is
    refused, and nothing is booked."""
    earlier = follow_up_target(actor, value)
    if (
        earlier is None
        or earlier.id == booking.id
        or earlier.department_id != booking.department_id
        or as_utc(earlier.slot.starts_at) >= as_utc(booking.slot.starts_at)
    ):
        raise DomainError(_l("การนัดติดตามผลนี้ไม่ถูกต้อง: ต้องเป็นการให้คำปรึกษาครั้งก่อนของส่วนราชการเดียวกัน"),
                          field="follows")
    booking.follows_id = earlier.id
    record_event(actor, "booking.follow_up_linked", booking, now, department_id=booking.department_id,
                 follows=earlier.reference)
    return booking


def invite_follow_up(actor: User, booking: Booking, now: datetime) -> None:
    """The advisor who held a session invites the department to book a follow-up: an e-mail to the officer who
    booked it (and colleagues who get copies) with a link to the topic's open slots, carrying the session."""
    record = record_for(booking)
    if not can_write_record(actor, booking) or record is None or record.published is None:
        raise NotAllowed(_l("เชิญนัดติดตามผลได้หลังเผยแพร่บันทึกผลแล้ว"))
    notify([booking.booked_by, *department_watchers(booking.department)], "follow_up_invitation", now,
           booking=booking, advisor=actor)
    record_event(actor, "booking.follow_up_invited", booking, now, department_id=booking.department_id)
