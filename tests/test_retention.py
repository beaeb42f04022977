"""`flask retention apply [--dry-run]`: personal data of sessions older than RETENTION_DAYS is anonymised (attendee
names, request text, e-mail bodies, document files), the statistics the reports need stay, a second run changes
nothing, the run is audited as a system action, and --dry-run only reports."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from clinic.audit.models import AuditEvent
from clinic.bookings.models import Attendee, Booking, Document
from clinic.extensions import db
from clinic.notifications.models import OutboxMessage
from clinic.privacy.retention import REMOVED
from clinic.reports.services import SessionFilters, iter_sessions
from tests import factories
from tests.factories import NOW
from tests.snapshots import snapshot

DAYS = 730


def make_document(booking, folder, name: str) -> Document:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(b"%PDF-1.4 personal")
    document = Document(booking_id=booking.id, filename="รายชื่อผู้เข้าร่วม นายสมศักดิ์.pdf", stored_name=name,
                        kind="pdf", size=17, sha256="b" * 64, uploaded_by_id=booking.booked_by_id,
                        uploaded_at=booking.created_at)
    db.session.add(document)
    return document


def make_mail(created_at, status="sent", body="เรียน นายสมศักดิ์ ...") -> OutboxMessage:
    message = OutboxMessage(recipient="somsak@diw.go.th", subject="ยืนยันนัดหมาย", body=body, status=status,
                            created_at=created_at, next_attempt_at=created_at)
    db.session.add(message)
    return message


@pytest.fixture
def history(app, advisor, officer, topic, tmp_path):
    """A session three years ago (past retention), one 40 days ago (kept), each with a document; e-mails old and new."""
    folder = tmp_path / "uploads"
    old_slot = factories.make_slot(advisor, NOW - timedelta(days=3 * 365))
    recent_slot = factories.make_slot(advisor, NOW - timedelta(days=40))
    old = factories.make_booking(old_slot, officer, topic, status="confirmed", created_at=old_slot.starts_at,
                                 request_details="ขอคำปรึกษา โทร 081-234-5678 นายสมศักดิ์",
                                 cancel_reason="", decline_reason="")
    old.attendees.append(Attendee(name="นางสาวมาลี ใจงาม", position="ผู้อำนวยการกอง", attended=True))
    recent = factories.make_booking(recent_slot, officer, topic, status="confirmed")
    old_doc, recent_doc = make_document(old, folder, "old.pdf"), make_document(recent, folder, "recent.pdf")
    old_mail = make_mail(NOW - timedelta(days=DAYS + 1))
    pending_mail = make_mail(NOW - timedelta(days=DAYS + 1), status="pending")
    recent_mail = make_mail(NOW - timedelta(days=1))
    db.session.commit()
    return {"old": old, "recent": recent, "old_doc": old_doc, "recent_doc": recent_doc, "folder": folder,
            "old_mail": old_mail, "pending_mail": pending_mail, "recent_mail": recent_mail, "admin": advisor}


def report_rows(actor) -> list[tuple]:
    """What the sessions report shows of each session, but the guidance summary: the statistics kept."""
    return sorted(tuple(row[:-1]) for row in iter_sessions(actor, SessionFilters()))


def test_apply_anonymises_old_personal_data_and_keeps_the_statistics(app, history):
    admin = factories.make_user("admin")
    db.session.commit()
    before = report_rows(admin)
    result = app.test_cli_runner().invoke(args=["retention", "apply"])
    assert result.exit_code == 0, result.output
    assert f"anonymised booking {history['old'].reference}" in result.output
    assert "anonymised: 1 bookings, 2 attendees, 1 documents, 1 e-mails" in result.output
    db.session.expire_all()
    old, recent = db.session.get(Booking, history["old"].id), db.session.get(Booking, history["recent"].id)
    assert old.request_details == REMOVED and old.anonymised_at == NOW
    assert {a.name for a in old.attendees} == {REMOVED} and {a.position for a in old.attendees} == {""}
    assert [a.attended for a in old.attendees] == [None, True]  # who attended is a statistic
    assert recent.request_details == "ขอคำปรึกษาเรื่องโครงสร้าง" and recent.anonymised_at is None
    assert recent.attendees[0].name == "นายทดสอบ ระบบ"
    old_doc, recent_doc = db.session.get(Document, history["old_doc"].id), db.session.get(Document, history["recent_doc"].id)
    assert not (history["folder"] / "old.pdf").exists() and (history["folder"] / "recent.pdf").exists()
    assert (old_doc.filename, old_doc.size, old_doc.kind, old_doc.sha256) == (f"document-{old_doc.id}.pdf", 17, "pdf",
                                                                             "b" * 64)
    assert recent_doc.filename == "รายชื่อผู้เข้าร่วม นายสมศักดิ์.pdf"
    mails = {m.id: m for m in db.session.scalars(select(OutboxMessage))}
    assert mails[history["old_mail"].id].body == REMOVED
    assert mails[history["old_mail"].id].recipient == "removed@retention.invalid"
    assert mails[history["pending_mail"].id].body.startswith("เรียน")  # not delivered yet: left alone
    assert mails[history["recent_mail"].id].body.startswith("เรียน")
    assert report_rows(admin) == before  # counts, topics, dates, statuses, departments: all as they were
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "retention.applied")).all()
    assert event.actor_id is None and event.object_type == "retention"
    assert event.details["bookings"] == 1 and event.details["emails"] == 1 and event.details["days"] == DAYS
    assert "สมศักดิ์" not in str(event.details)


def test_apply_twice_changes_nothing_the_second_time(app, history):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["retention", "apply"]).exit_code == 0
    db.session.expire_all()
    after_first = snapshot()
    second = runner.invoke(args=["retention", "apply"])
    assert second.exit_code == 0
    assert "anonymised: 0 bookings, 0 attendees, 0 documents, 0 e-mails" in second.output
    db.session.expire_all()
    assert snapshot() == after_first  # not even an audit event


def test_dry_run_reports_and_changes_nothing(app, history):
    before = snapshot()
    result = app.test_cli_runner().invoke(args=["retention", "apply", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert f"would anonymise booking {history['old'].reference}" in result.output
    assert f"would delete file of document {history['old_doc'].id}" in result.output
    assert "would anonymise: 1 bookings, 2 attendees, 1 documents, 1 e-mails" in result.output
    db.session.expire_all()
    assert snapshot() == before and (history["folder"] / "old.pdf").exists()


@pytest.mark.config(RETENTION_DAYS=30)
def test_the_period_is_a_setting(app, history):
    result = app.test_cli_runner().invoke(args=["retention", "apply"])
    assert "anonymised: 2 bookings, 3 attendees, 2 documents, 1 e-mails" in result.output  # yesterday's e-mail stays


def test_files_check_does_not_count_a_file_retention_deleted_as_missing(app, history):
    runner = app.test_cli_runner()
    runner.invoke(args=["retention", "apply"])
    report = runner.invoke(args=["files", "check"])
    assert "missing" not in report.output.replace("0 missing files", ""), report.output
    assert report.exit_code == 0
