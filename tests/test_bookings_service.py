import io
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from clinic.audit.models import AuditEvent
from clinic.bookings.documents import Upload
from clinic.bookings.models import Booking, Document
from clinic.bookings.services import (
    AttendeeInput,
    BookingRequest,
    book_slot,
    cancel_booking,
    confirm_booking,
    decline_booking,
)
from clinic.errors import Conflict, DomainError, NotAllowed
from clinic.extensions import db
from clinic.notifications.models import OutboxMessage
from clinic.scheduling.models import AdvisorLeave
from tests.factories import NOW, make_slot, make_user

MAX = 10 * 1024 * 1024
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def ooxml(marker: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(marker, "<x/>")
    return buffer.getvalue()


def request_for(slot, department, topic, **overrides) -> BookingRequest:
    values = {
        "slot": slot,
        "department": department,
        "topic": topic,
        "request_details": "ขอคำปรึกษาการปรับโครงสร้างกองตรวจโรงงาน",
        "attendees": [AttendeeInput("นายอนุชา โรงงานดี", "นักจัดการงานทั่วไป")],
    }
    return BookingRequest(**{**values, **overrides})


def book(actor, request, tmp_path, now=NOW):
    return book_slot(actor, request, now, str(tmp_path), MAX)


def active_count(slot) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(Booking)
        .where(Booking.slot_id == slot.id, Booking.status.in_(("pending", "confirmed")))
    )


def test_officer_books_a_seat_with_reference_audit_and_mail(officer, department, topic, slot, tmp_path):
    booking = book(officer, request_for(slot, department, topic), tmp_path)

    assert booking.status == "pending"
    assert booking.seat_number == 1
    assert booking.reference.startswith("OPDC-2570-")  # fiscal year 2570 began on 1 October 2026
    assert booking.created_at == NOW
    assert [a.name for a in booking.attendees] == ["นายอนุชา โรงงานดี"]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "booking.created"))
    assert event.object_id == booking.id and event.actor_id == officer.id
    recipients = set(db.session.scalars(select(OutboxMessage.recipient)))
    assert recipients == {officer.email, slot.advisor.email}


def test_second_booking_of_a_single_seat_slot_is_refused_as_taken(officer, other_department_officer, department, topic,
                                                                   slot, tmp_path):
    book(officer, request_for(slot, department, topic), tmp_path)
    with pytest.raises(Conflict) as refused:
        book(other_department_officer, request_for(slot, other_department_officer.department, topic), tmp_path)
    assert "เพิ่งถูกจอง" in str(refused.value.message)
    assert active_count(slot) == 1


def test_capacity_three_takes_three_bookings_then_refuses(topic, advisor, tmp_path):
    slot = make_slot(advisor, capacity=3)
    officers = [make_user("officer") for _ in range(4)]
    seats = [book(o, request_for(slot, o.department, topic), tmp_path).seat_number for o in officers[:3]]
    assert seats == [1, 2, 3]
    with pytest.raises(Conflict) as refused:
        book(officers[3], request_for(slot, officers[3].department, topic), tmp_path)
    assert "เพิ่งถูกจอง" in str(refused.value.message)


def test_cancelling_frees_the_seat(officer, colleague, department, topic, slot, tmp_path):
    first = book(officer, request_for(slot, department, topic), tmp_path)
    cancel_booking(officer, first, "ติดภารกิจด่วน", NOW)
    second = book(colleague, request_for(slot, department, topic), tmp_path)
    assert first.status == "cancelled" and first.cancel_reason == "ติดภารกิจด่วน"
    assert second.seat_number == 1


def test_coordinator_books_for_any_department_of_the_ministry(coordinator, sister_department, topic, slot, tmp_path):
    booking = book(coordinator, request_for(slot, sister_department, topic), tmp_path)
    assert booking.department_id == sister_department.id


def test_officer_cannot_book_for_another_department(officer, sister_department, topic, slot, tmp_path):
    with pytest.raises(NotAllowed):
        book(officer, request_for(slot, sister_department, topic), tmp_path)
    assert active_count(slot) == 0


def test_advisor_and_admin_cannot_book(advisor, admin, department, topic, slot, tmp_path):
    for actor in (advisor, admin):
        with pytest.raises(NotAllowed):
            book(actor, request_for(slot, department, topic), tmp_path)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"request_details": "   "}, "request_details"),
        ({"request_details": "ก" * 4001}, "request_details"),
        ({"attendees": []}, "attendees"),
        ({"attendees": [AttendeeInput("", "")]}, "attendees"),
        ({"attendees": [AttendeeInput("นายก", "")]}, "attendees"),
        ({"attendees": [AttendeeInput(f"คน {i}", "ตำแหน่ง") for i in range(11)]}, "attendees"),
        ({"document": Upload("draft.pdf", b"")}, "document"),
        ({"document": Upload("draft.pdf", b"GIF89a not a pdf")}, "document"),
        ({"document": Upload("draft.pdf", ooxml("word/document.xml"))}, "document"),  # a DOCX named .pdf
        ({"document": Upload("chart.docx", PDF)}, "document"),  # a PDF named .docx
        ({"document": Upload("evil.exe", b"MZ\x90\x00")}, "document"),
        ({"document": Upload("fake.xlsx", b"PK\x03\x04 broken zip")}, "document"),
        ({"document": Upload("big.pdf", PDF + b"0" * MAX)}, "document"),
    ],
)
def test_bad_booking_input_is_refused_and_changes_nothing(officer, department, topic, slot, tmp_path, overrides, field):
    with pytest.raises(DomainError) as refused:
        book(officer, request_for(slot, department, topic, **overrides), tmp_path)
    assert refused.value.field == field
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 0
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("filename", "data", "kind"),
    [("ผังโครงสร้าง.pdf", PDF, "pdf"), ("ร่างกฎกระทรวง.docx", ooxml("word/document.xml"), "docx"),
     ("อัตรากำลัง.xlsx", ooxml("xl/workbook.xml"), "xlsx")],
)
def test_documents_are_accepted_by_content(officer, department, topic, slot, tmp_path, filename, data, kind):
    booking = book(officer, request_for(slot, department, topic, document=Upload(filename, data)), tmp_path)
    document = db.session.scalar(select(Document).where(Document.booking_id == booking.id))
    assert document.kind == kind and document.filename == filename and document.size == len(data)
    assert (tmp_path / document.stored_name).read_bytes() == data


def test_slot_that_is_not_open_cannot_be_booked(officer, department, topic, advisor, other_topic, tmp_path):
    past = make_slot(advisor, NOW - timedelta(days=1))
    too_soon = make_slot(advisor, NOW + timedelta(hours=1))
    cancelled = make_slot(advisor, NOW + timedelta(days=3), status="cancelled")
    for slot in (past, too_soon, cancelled):
        with pytest.raises(DomainError):
            book(officer, request_for(slot, department, topic), tmp_path)
    expert_elsewhere = make_slot(advisor, NOW + timedelta(days=4))
    with pytest.raises(DomainError):  # the advisor does not advise on other_topic
        book(officer, request_for(expert_elsewhere, department, other_topic), tmp_path)


def test_slot_on_the_advisors_leave_day_cannot_be_booked(officer, department, topic, advisor, slot, tmp_path):
    day = (slot.starts_at + timedelta(hours=7)).date()
    db.session.add(AdvisorLeave(advisor_id=advisor.id, first_day=day, last_day=day, reason="ลาพักผ่อน"))
    with pytest.raises(DomainError):
        book(officer, request_for(slot, department, topic), tmp_path)


def test_advisor_confirms_and_declines_only_own_pending_bookings(advisor, other_advisor, booking, officer, topic):
    with pytest.raises(NotAllowed):
        confirm_booking(other_advisor, booking, NOW)
    with pytest.raises(NotAllowed):
        confirm_booking(officer, booking, NOW)
    confirm_booking(advisor, booking, NOW)
    assert booking.status == "confirmed" and booking.decided_by_id == advisor.id
    with pytest.raises(NotAllowed):  # no longer pending
        decline_booking(advisor, booking, "ไม่ว่าง", NOW)


def test_decline_needs_a_reason(advisor, booking):
    with pytest.raises(DomainError) as refused:
        decline_booking(advisor, booking, "  ", NOW)
    assert refused.value.field == "reason"
    decline_booking(advisor, booking, "ติดประชุมคณะกรรมการ", NOW)
    assert booking.status == "declined"
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert actions == {"booking.declined"}


def test_cancel_rules(officer, other_department_officer, advisor, booking):
    with pytest.raises(NotAllowed):
        cancel_booking(other_department_officer, booking, "ไม่ใช่ของฉัน", NOW)
    with pytest.raises(DomainError):
        cancel_booking(officer, booking, "", NOW)
    with pytest.raises(NotAllowed):  # the session has started
        cancel_booking(officer, booking, "สายไป", booking.slot.starts_at + timedelta(minutes=1))
    with pytest.raises(DomainError) as refused:  # inside the cut-off: 24 hours before the start
        cancel_booking(officer, booking, "สายไป", booking.slot.starts_at - timedelta(minutes=1))
    assert refused.value.field == "reason" and "24 ชั่วโมง" in str(refused.value.message)
    cancel_booking(officer, booking, "ติดภารกิจ", NOW)
    with pytest.raises(NotAllowed):  # already cancelled
        cancel_booking(officer, booking, "อีกครั้ง", NOW)
