"""A published record and a department's case file as Thai PDFs: who may download them, what they say (read back
with pypdf), that drafts never go into one, and that each download is audited and never cached."""

from sqlalchemy import select

from clinic.audit.models import AuditEvent
from clinic.extensions import db
from clinic.records.models import RecordRevision
from tests import factories
from tests.test_reports_files import pdf_text


def published(booking, advisor, **values):
    booking.status = "confirmed"
    return factories.make_published_record(booking, advisor, **values)


def downloads(action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_officer_downloads_the_published_record_as_a_thai_pdf(login, officer, advisor, booking):
    published(booking, advisor, guidance="ควรทบทวนโครงสร้างการแบ่งส่วนราชการภายใน", items=[("ส่งร่างโครงสร้าง", "department")])
    response = login(officer).get(f"/bookings/{booking.id}/record.pdf")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"] == f'attachment; filename="opdc-record-{booking.reference}-1.pdf"'
    text = pdf_text(response.get_data())
    for expected in ("บันทึกผลการให้คำปรึกษา", booking.reference, "กรมโรงงานอุตสาหกรรม", "ฉบับที่", "2569",
                     "ควรทบทวนโครงสร้างการแบ่งส่วนราชการภายใน", "ส่งร่างโครงสร้าง", "นายสมชาย ใจดี"):
        assert expected in text, expected
    [event] = downloads("record.downloaded")
    assert event.actor_id == officer.id and event.department_id == booking.department_id


def test_a_record_only_drafted_has_no_pdf(login, officer, advisor, booking):
    record = published(booking, advisor)
    revision = db.session.scalar(select(RecordRevision).where(RecordRevision.record_id == record.id))
    revision.published_at = None
    revision.published_by_id = None
    assert login(officer).get(f"/bookings/{booking.id}/record.pdf").status_code == 404
    assert login(advisor).get(f"/bookings/{booking.id}/record.pdf").status_code == 404


def test_another_department_gets_404_for_the_record_and_the_case_file(login, sister_officer, advisor, booking):
    published(booking, advisor)
    client = login(sister_officer)
    assert client.get(f"/bookings/{booking.id}/record.pdf").status_code == 404
    assert client.get(f"/casefile.pdf?department={booking.department_id}").status_code == 404
    assert not downloads("record.downloaded") and not downloads("case_file.downloaded")


def test_the_case_file_pdf_has_every_session_its_guidance_and_next_steps(login, officer, coordinator, advisor,
                                                                        booking):
    published(booking, advisor, guidance="ควรจัดทำแผนปรับปรุงกระบวนงาน", items=[("เสนอแผนต่อ ก.พ.ร.", "department")])
    response = login(officer).get("/casefile.pdf")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    text = pdf_text(response.get_data())
    for expected in ("แฟ้มเรื่องของส่วนราชการ", "กรมโรงงานอุตสาหกรรม", booking.reference, "ควรจัดทำแผนปรับปรุงกระบวนงาน",
                     "เสนอแผนต่อ ก.พ.ร.", "ยังไม่เริ่ม"):
        assert expected in text, expected
    assert login(coordinator).get(f"/casefile.pdf?department={booking.department_id}").status_code == 200
    assert [e.actor_id for e in downloads("case_file.downloaded")] == [officer.id, coordinator.id]


def test_opdc_downloads_any_case_file_by_department(login, admin, other_advisor, booking):
    assert login(other_advisor).get(f"/casefile.pdf?department={booking.department_id}").status_code == 200
    assert login(admin).get("/casefile.pdf").status_code == 404  # OPDC names the department
    assert login(admin).get("/casefile.pdf?department=999999").status_code == 404


def test_pages_link_the_pdfs(login, officer, advisor, booking):
    published(booking, advisor)
    client = login(officer)
    assert f"/bookings/{booking.id}/record.pdf" in client.get(f"/bookings/{booking.id}").get_data(as_text=True)
    assert f"/casefile.pdf?department={booking.department_id}" in client.get("/casefile").get_data(as_text=True)
