"""The booking form never loses work: every error at once, the file kept by name, a too-big or wrong file refused
before it is uploaded, a character counter instead of a silent cut."""

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from tests import factories
from tests.browser.conftest import log_in, shot
from tests.factories import NOW

pytestmark = pytest.mark.browser
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def test_officer_corrects_the_booking_form_without_losing_anything(page: Page, data, tmp_path):
    with data():
        topic = factories.make_topic(name_th="การปรับปรุงโครงสร้างการแบ่งส่วนราชการภายในกรม")
        officer = factories.make_user("officer", name="นายอนุชา โรงงานดี")
        advisor = factories.make_user("advisor", name="นายสมชาย ใจดี", expertise=[topic])
        url = f"/book/{topic.id}/slots/{factories.make_slot(advisor, NOW + timedelta(days=7)).id}"
        email = officer.email

    log_in(page, email)
    page.goto(url)
    document = page.get_by_label("เอกสารประกอบ", exact=False)

    # Too big and of the wrong type: refused in the browser, nothing uploaded.
    big = tmp_path / "ใหญ่.pdf"
    with big.open("wb") as out:
        out.truncate(10 * 1024 * 1024 + 1)  # sparse: one byte over the limit
    document.set_input_files(str(big))
    expect(page.locator("#document-client-error")).to_have_text("ไฟล์ใหญ่เกิน 10 MB กรุณาเลือกไฟล์ที่เล็กกว่านี้")
    expect(document).to_have_js_property("value", "")
    document.set_input_files({"name": "รูป.png", "mimeType": "image/png", "buffer": b"\x89PNG"})
    expect(page.locator("#document-client-error")).to_have_text("รับเฉพาะไฟล์ PDF, DOCX, XLSX")

    # A counter, and text beyond the limit flagged, not cut.
    details = page.get_by_label("เรื่องที่ต้องการรับคำปรึกษา")
    details.fill("ก" * 4005)
    expect(page.locator("#request_details-count")).to_contain_text("ยาวเกินไป 5 ตัวอักษร")
    expect(details).to_have_value("ก" * 4005)
    details.fill("ขอคำปรึกษาการจัดตั้งกองใหม่")
    expect(page.locator("#request_details-count")).to_have_text("27 จาก 4,000 ตัวอักษร")

    # A good file, but no attendee: the error comes back with the text and the file kept.
    document.set_input_files({"name": "ร่างโครงสร้าง.pdf", "mimeType": "application/pdf", "buffer": PDF})
    page.get_by_role("button", name="ยืนยันการจอง").click()
    expect(page.locator('[data-field-error="attendees"]')).to_have_text("ระบุผู้เข้าร่วมอย่างน้อย 1 คน")
    expect(details).to_have_value("ขอคำปรึกษาการจัดตั้งกองใหม่")
    expect(page.get_by_test_id("held-document")).to_contain_text("ร่างโครงสร้าง.pdf")
    shot(page, "booking-form-kept")

    page.get_by_label("ชื่อ-นามสกุล").first.fill("นางสาวกานดา วางแผนดี")
    page.get_by_label("ตำแหน่ง").first.fill("นักวิเคราะห์นโยบายและแผน")
    page.get_by_role("button", name="ยืนยันการจอง").click()
    expect(page.get_by_test_id("receipt").get_by_role("link", name="ร่างโครงสร้าง.pdf")).to_be_visible()


def test_an_empty_booking_form_shows_every_error_at_once(page: Page, data):
    with data():
        topic = factories.make_topic()
        officer = factories.make_user("officer")
        advisor = factories.make_user("advisor", expertise=[topic])
        url = f"/book/{topic.id}/slots/{factories.make_slot(advisor, NOW + timedelta(days=7)).id}"
        email = officer.email
    log_in(page, email)
    page.goto(url)
    page.get_by_role("button", name="ยืนยันการจอง").click()
    expect(page.locator('[data-field-error="request_details"]')).to_be_visible()
    expect(page.locator('[data-field-error="attendees"]')).to_be_visible()
    expect(page.get_by_label("เรื่องที่ต้องการรับคำปรึกษา")).to_have_attribute("aria-invalid", "true")
