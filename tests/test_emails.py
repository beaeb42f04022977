"""E-mails speak the recipient's language: subject, body, dates (Buddhist Era in Thai), names of departments and
topics; each distinct recipient gets one message, with a link back to the booking."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from clinic.bookings.services import (
    AttendeeInput,
    BookingRequest,
    book_slot,
    cancel_booking,
    confirm_booking,
    decline_booking,
)
from clinic.extensions import db
from clinic.notifications.models import OutboxMessage
from clinic.notifications.services import notify
from clinic.records.models import ConsultationRecord, RecordRevision
from clinic.records.services import publish_record
from tests import factories
from tests.factories import NOW

THAI = re.compile(r"[\u0e00-\u0e7f]")

# The slot fixture starts seven days after NOW: Wednesday 2 December 2026, 10:00 in Bangkok.
SESSION = {"th": "2 ธ.ค. 2569 10:00 น.", "en": "2 Dec 2026 10:00"}
DEPARTMENT_EN = "Department of Industrial Works"
TOPIC_EN = "Restructuring a department's internal divisions"


@pytest.fixture
def department(ministry):
    return factories.make_department(ministry, name_th="กรมโรงงานอุตสาหกรรม", name_en=DEPARTMENT_EN,
                                     abbreviation="กรอ.")


@pytest.fixture
def topic(app):
    return factories.make_topic(name_th="การปรับปรุงโครงสร้างการแบ่งส่วนราชการภายในกรม", name_en=TOPIC_EN)


def speaking(user, language: str):
    user.language = language
    db.session.flush()
    return user


def mail_to(user) -> OutboxMessage:
    messages = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == user.email)).all()
    assert len(messages) == 1, f"{len(messages)} messages to {user.email}"
    return messages[0]


def booking_link(booking) -> str:
    return f"http://127.0.0.1:5000/bookings/{booking.id}"


def assert_thai(message: OutboxMessage, booking) -> None:
    assert booking.reference in message.subject
    for expected in (booking.reference, SESSION["th"], "กรมโรงงานอุตสาหกรรม",
                     "การปรับปรุงโครงสร้างการแบ่งส่วนราชการภายในกรม", booking_link(booking),
                     "คลินิกให้คำปรึกษา สำนักงาน ก.พ.ร."):
        assert expected in message.body
    assert DEPARTMENT_EN not in message.body and TOPIC_EN not in message.body
    assert "2026" not in message.body


def assert_english(message: OutboxMessage, booking) -> None:
    assert booking.reference in message.subject
    assert not THAI.search(message.subject)
    for expected in (booking.reference, SESSION["en"], DEPARTMENT_EN, TOPIC_EN, booking_link(booking),
                     "OPDC Consultation Clinic", "Reference:", "Date and time:"):
        assert expected in message.body, expected
    assert "กรมโรงงานอุตสาหกรรม" not in message.body and "ธ.ค." not in message.body and "น." not in message.body


def english_lines(message: OutboxMessage, *user_content: str) -> list[str]:
    """The body's lines in Thai that are not what people typed (names, reasons, details): there should be none."""
    body = message.body
    for text in user_content:
        body = body.replace(text, "")
    return [line for line in body.splitlines() if THAI.search(line)]


# -- booking made: to the advisor and to the officer who booked -----------------------------------------------------


def make_booking(officer, department, topic, slot, tmp_path):
    request = BookingRequest(slot=slot, department=department, topic=topic,
                             request_details="ขอคำปรึกษาการแบ่งส่วนราชการภายใน",
                             attendees=[AttendeeInput("นายก ทดสอบ", "นักวิเคราะห์")])
    return book_slot(officer, request, NOW, str(tmp_path), 1024)


def test_booking_mail_is_thai_for_thai_recipients(officer, advisor, department, topic, slot, tmp_path):
    booking = make_booking(officer, department, topic, slot, tmp_path)

    for person in (officer, advisor):
        message = mail_to(person)
        assert message.subject == f"[OPDC Clinic] คำขอรับคำปรึกษา {booking.reference}"
        assert_thai(message, booking)
        assert "กรมโรงงานอุตสาหกรรม ขอรับคำปรึกษาเรื่อง การปรับปรุงโครงสร้างการแบ่งส่วนราชการภายในกรม" in message.body
        assert "ขอคำปรึกษาการแบ่งส่วนราชการภายใน" in message.body
        assert "ห้องประชุม 1" in message.body and "นายก ทดสอบ (นักวิเคราะห์)" in message.body
    assert mail_to(officer).body.startswith(f"เรียน {officer.name}\n")
    assert mail_to(advisor).body.startswith(f"เรียน {advisor.name}\n")


def test_booking_mail_is_english_for_english_recipients(officer, advisor, department, topic, slot, tmp_path):
    speaking(officer, "en")
    speaking(advisor, "en")
    booking = make_booking(officer, department, topic, slot, tmp_path)

    for person in (officer, advisor):
        message = mail_to(person)
        assert message.subject == f"[OPDC Clinic] Consultation request {booking.reference}"
        assert_english(message, booking)
        assert f"{DEPARTMENT_EN} requests a consultation on {TOPIC_EN}" in message.body
        assert "ขอคำปรึกษาการแบ่งส่วนราชการภายใน" in message.body  # what the officer typed, as typed
        assert english_lines(message, "ขอคำปรึกษาการแบ่งส่วนราชการภายใน", "นายก ทดสอบ", "นักวิเคราะห์",
                             "ห้องประชุม 1", officer.name, advisor.name) == []


def test_mixed_recipients_each_get_one_message_in_their_own_language(officer, advisor, department, topic, slot,
                                                                     tmp_path):
    speaking(advisor, "en")
    booking = make_booking(officer, department, topic, slot, tmp_path)

    assert db.session.scalar(select(db.func.count()).select_from(OutboxMessage)) == 2
    assert_thai(mail_to(officer), booking)
    assert_english(mail_to(advisor), booking)


def test_a_recipient_named_twice_gets_one_message(officer, booking):
    notify([officer, officer, booking.slot.advisor], "booking_declined", NOW, booking=booking, reason="ไม่ว่าง")
    assert mail_to(officer).recipient == officer.email
    assert db.session.scalar(select(db.func.count()).select_from(OutboxMessage)) == 2


def test_an_english_department_without_an_english_name_keeps_its_thai_name(officer, booking):
    speaking(officer, "en")
    booking.department.name_en = ""
    booking.topic.name_en = ""
    notify([officer], "booking_declined", NOW, booking=booking, reason="-")
    body = mail_to(officer).body
    assert "Department: กรมโรงงานอุตสาหกรรม" in body
    assert f"Topic: {booking.topic.name_th}" in body


# -- cancelled: to the advisor and to the officer who booked --------------------------------------------------------


@pytest.mark.parametrize("language", ["th", "en"])
def test_cancellation_mail_follows_the_recipients_language(officer, advisor, booking, language):
    speaking(officer, language)
    speaking(advisor, language)
    cancel_booking(officer, booking, "ติดภารกิจเร่งด่วน", NOW)

    for person in (officer, advisor):
        message = mail_to(person)
        assert "ติดภารกิจเร่งด่วน" in message.body
        if language == "th":
            assert message.subject == f"[OPDC Clinic] ยกเลิกการจอง {booking.reference}"
            assert f"การจอง {booking.reference} ({SESSION['th']}) ถูกยกเลิก" in message.body
            assert "เหตุผลที่ยกเลิก:" in message.body
            assert_thai(message, booking)
        else:
            assert message.subject == f"[OPDC Clinic] Booking cancelled: {booking.reference}"
            assert f"Booking {booking.reference} ({SESSION['en']}) has been cancelled." in message.body
            assert "Reason for cancellation:" in message.body
            assert_english(message, booking)
            assert english_lines(message, "ติดภารกิจเร่งด่วน", person.name, advisor.name) == []


# -- confirmed and declined: to the officer who booked --------------------------------------------------------------


@pytest.mark.parametrize("language", ["th", "en"])
def test_confirmation_mail_gives_the_place_in_the_recipients_language(officer, advisor, booking, language):
    speaking(officer, language)
    confirm_booking(advisor, booking, NOW)

    message = mail_to(officer)
    assert "ห้องประชุม 1" in message.body
    assert db.session.scalars(select(OutboxMessage.recipient)).all() == [officer.email]
    if language == "th":
        assert message.subject == f"[OPDC Clinic] ยืนยันการนัดหมาย {booking.reference}"
        assert f"ที่ปรึกษา {advisor.name} ยืนยันการนัดหมาย {booking.reference}" in message.body
        assert "สถานที่: ห้องประชุม 1" in message.body
        assert_thai(message, booking)
    else:
        assert message.subject == f"[OPDC Clinic] Appointment confirmed: {booking.reference}"
        assert f"Advisor {advisor.name} has confirmed appointment {booking.reference}." in message.body
        assert "Place: ห้องประชุม 1" in message.body
        assert_english(message, booking)


@pytest.mark.parametrize("language", ["th", "en"])
def test_confirmation_of_an_online_session_gives_the_meeting_link(officer, advisor, topic, language):
    slot = factories.make_slot(advisor, NOW + timedelta(days=7), mode="online", location="",
                               meeting_url="https://meet.opdc.go.th/abc")
    booking = factories.make_booking(slot, speaking(officer, language), topic)
    confirm_booking(advisor, booking, NOW)

    label = {"th": "ลิงก์การประชุมออนไลน์", "en": "Online meeting link"}[language]
    assert f"{label}: https://meet.opdc.go.th/abc" in mail_to(officer).body


@pytest.mark.parametrize("language", ["th", "en"])
def test_refusal_mail_gives_the_reason_in_the_recipients_language(officer, advisor, booking, language):
    speaking(officer, language)
    decline_booking(advisor, booking, "ที่ปรึกษาติดประชุม", NOW)

    message = mail_to(officer)
    assert "ที่ปรึกษาติดประชุม" in message.body
    if language == "th":
        assert message.subject == f"[OPDC Clinic] ไม่สามารถรับนัดหมาย {booking.reference}"
        assert f"ที่ปรึกษาไม่สามารถรับนัดหมาย {booking.reference} ได้" in message.body
        assert "เหตุผลที่ปฏิเสธ:" in message.body
        assert_thai(message, booking)
    else:
        assert message.subject == f"[OPDC Clinic] Appointment declined: {booking.reference}"
        assert f"The advisor cannot take appointment {booking.reference}." in message.body
        assert "Reason for declining:" in message.body
        assert_english(message, booking)


# -- record published: to the officer who booked --------------------------------------------------------------------


def draft_record(booking, advisor) -> ConsultationRecord:
    """A draft record of a confirmed session."""
    booking.status = "confirmed"
    record = ConsultationRecord(booking=booking, created_by_id=advisor.id, created_at=NOW)
    db.session.add(record)
    db.session.flush()
    db.session.add(RecordRevision(record=record, number=1, guidance="ควรทบทวนภารกิจ", issues_raised="",
                                  attendance="", author_id=advisor.id, created_at=NOW, updated_at=NOW))
    db.session.flush()
    db.session.expire(record)
    return record


@pytest.mark.parametrize("language", ["th", "en"])
def test_published_record_mail_follows_the_recipients_language(officer, advisor, booking, language):
    speaking(officer, language)
    publish_record(advisor, draft_record(booking, advisor), booking.slot.starts_at + timedelta(hours=2))

    message = mail_to(officer)
    if language == "th":
        assert message.subject == f"[OPDC Clinic] บันทึกผลการให้คำปรึกษา {booking.reference} (ฉบับที่ 1)"
        assert f"ที่ปรึกษาเผยแพร่บันทึกผลการให้คำปรึกษาของ {booking.reference} แล้ว" in message.body
        assert "ฉบับที่: 1" in message.body
        assert_thai(message, booking)
    else:
        assert message.subject == f"[OPDC Clinic] Consultation record {booking.reference} (version 1)"
        assert f"The advisor has published the consultation record of {booking.reference}." in message.body
        assert "Version: 1" in message.body
        assert_english(message, booking)
        assert english_lines(message, officer.name, advisor.name) == []


# -- links ----------------------------------------------------------------------------------------------------------


@pytest.mark.config(BASE_URL="https://clinic.opdc.go.th/app/")
def test_links_start_with_the_base_url(officer, booking):
    notify([officer], "booking_declined", NOW, booking=booking, reason="-")
    assert f"https://clinic.opdc.go.th/app/bookings/{booking.id}\n" in mail_to(officer).body


def test_mail_caused_by_a_request_links_to_the_base_url_not_the_requests_host(login, officer, booking):
    client = login(officer)
    response = client.post(f"/bookings/{booking.id}/cancel", data={"cancel-reason": "ติดภารกิจ"},
                           headers={"Host": "evil.example"})
    assert response.status_code == 302
    body = mail_to(officer).body
    assert booking_link(booking) in body and "evil.example" not in body


def test_the_mail_speaks_the_recipients_language_not_the_language_of_the_page_that_caused_it(
    login, officer, advisor, booking
):
    speaking(advisor, "en")
    client = login(officer)
    response = client.post(f"/bookings/{booking.id}/cancel", data={"cancel-reason": "ติดภารกิจ"},
                           follow_redirects=True)
    assert "ยกเลิกการจองแล้ว" in response.get_data(as_text=True)  # the officer's page stays Thai
    assert_thai(mail_to(officer), booking)
    assert_english(mail_to(advisor), booking)
