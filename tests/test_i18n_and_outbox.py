from datetime import UTC, date, datetime, timedelta
from email.parser import BytesParser
from email.policy import default

from sqlalchemy import select

from clinic.extensions import db
from clinic.i18n import fiscal_year, fiscal_year_bounds, format_date, format_datetime
from clinic.notifications.models import OutboxMessage
from clinic.notifications.services import FileTransport, deliver_due
from tests.factories import NOW


def test_thai_dates_use_the_buddhist_era_and_bangkok_time():
    assert format_date(date(2023, 3, 27), language="th") == "27 มี.ค. 2566"
    assert format_date(date(2023, 3, 27), "long", language="th") == "วันจันทร์ที่ 27 มีนาคม 2566"
    # 07:30 UTC on 13 April 2026 is 14:30 in Bangkok
    assert format_datetime(datetime(2026, 4, 13, 7, 30, tzinfo=UTC), language="th") == "13 เม.ย. 2569 14:30 น."
    # 20:00 UTC on 31 December is already New Year's Day in Bangkok
    assert format_date(datetime(2026, 12, 31, 20, 0, tzinfo=UTC), language="th") == "1 ม.ค. 2570"
    assert format_date(date(2023, 3, 27), language="en") == "27 Mar 2023"


def test_fiscal_year_runs_october_to_september_named_by_its_ending_be_year():
    assert fiscal_year(date(2026, 9, 30)) == 2569
    assert fiscal_year(date(2026, 10, 1)) == 2570
    assert fiscal_year_bounds(2570) == (date(2026, 10, 1), date(2027, 9, 30))


def pending_email(recipient: str, subject: str, body: str) -> OutboxMessage:
    message = OutboxMessage(recipient=recipient, subject=subject, body=body, created_at=NOW, next_attempt_at=NOW)
    db.session.add(message)
    return message


class BrokenTransport:
    def send(self, email, message_id):
        raise ConnectionRefusedError("smtp down")


def test_outbox_delivers_eml_files(app, tmp_path):
    pending_email("officer@diw.go.th", "ยืนยันนัดหมาย", "รายละเอียด")
    pending_email("somchai@opdc.go.th", "ยืนยันนัดหมาย", "รายละเอียด")
    db.session.commit()
    sent, failed = deliver_due(FileTransport(str(tmp_path / "mail")), "OPDC <clinic@opdc.go.th>", NOW)
    assert (sent, failed) == (2, 0)
    files = sorted((tmp_path / "mail").glob("*.eml"))
    assert len(files) == 2
    email = BytesParser(policy=default).parsebytes(files[0].read_bytes())
    assert email["Subject"] == "ยืนยันนัดหมาย" and email.get_body(preferencelist=("plain",)).get_content().strip() == "รายละเอียด"
    assert email["To"] in ("officer@diw.go.th", "somchai@opdc.go.th")
    assert {m.status for m in db.session.scalars(select(OutboxMessage))} == {"sent"}
    assert deliver_due(FileTransport(str(tmp_path / "mail")), "x@y", NOW) == (0, 0)


def test_a_failed_delivery_is_kept_and_retried_later(app, tmp_path):
    pending_email("officer@diw.go.th", "เรื่อง", "เนื้อหา")
    db.session.commit()
    assert deliver_due(BrokenTransport(), "x@y", NOW) == (0, 1)
    message = db.session.scalar(select(OutboxMessage))
    assert message.status == "pending" and message.attempts == 1 and "smtp down" in message.last_error
    assert deliver_due(FileTransport(str(tmp_path)), "x@y", NOW) == (0, 0)  # not due yet
    assert deliver_due(FileTransport(str(tmp_path)), "x@y", NOW + timedelta(minutes=3)) == (1, 0)
    assert message.status == "sent"


def test_booking_mail_reaches_the_outbox_in_the_same_transaction(app, officer, department, topic, slot, tmp_path):
    from clinic.bookings.services import AttendeeInput, BookingRequest, book_slot

    request = BookingRequest(slot=slot, department=department, topic=topic, request_details="ขอคำปรึกษา",
                             attendees=[AttendeeInput("นายก", "นักวิเคราะห์")])
    book_slot(officer, request, NOW, str(tmp_path), 1024)
    db.session.rollback()  # the booking never happened: no audit event, no e-mail
    assert db.session.scalars(select(OutboxMessage)).all() == []
