"""After the session: the officer chooses the e-mails they get, reports progress on a next step and attaches
evidence; the advisor follows the open steps of every department and drops one, saying why."""

from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests import factories
from tests.browser.conftest import log_in, log_out, shot
from tests.factories import NOW

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_officer_reports_with_evidence_and_advisor_follows_up(page: Page, data, tmp_path: Path):
    with data():
        topic = factories.make_topic(name_th="การปรับปรุงโครงสร้างการแบ่งส่วนราชการภายในกรม")
        department = factories.make_department(factories.make_ministry(name_th="กระทรวงอุตสาหกรรม"),
                                               name_th="กรมโรงงานอุตสาหกรรม", abbreviation="กรอ.")
        officer = factories.make_user("officer", department=department, name="นายอนุชา โรงงานดี",
                                      email="officer@diw.go.th")
        advisor = factories.make_user("advisor", name="นายสมชาย ใจดี", email="somchai@opdc.go.th",
                                      expertise=[topic])
        booking = factories.make_booking(factories.make_slot(advisor, NOW - timedelta(days=5)), officer, topic,
                                         status="confirmed")
        record = factories.make_published_record(booking, advisor, items=[
            ("ส่งร่างโครงสร้างกองใหม่ให้ ก.พ.ร.", "department"), ("ทบทวนกรอบอัตรากำลัง", "opdc")])
        late, opdc_step = sorted(record.action_items, key=lambda item: item.id)
        late.due_on = (NOW - timedelta(days=2)).date()
        booking_id, late_id, opdc_id = booking.id, late.id, opdc_step.id

    log_in(page, "officer@diw.go.th")
    page.get_by_test_id("who").click()
    page.get_by_role("link", name="การแจ้งเตือนทางอีเมล").click()
    form = page.get_by_test_id("notification-preferences")
    expect(form.get_by_label("เตือนการนัดหมายในวันทำการก่อนวันนัด")).to_be_checked()
    form.get_by_label("สำเนาอีเมลเกี่ยวกับการจองทุกรายการของส่วนราชการ (หรือกระทรวง) ของฉัน").check()
    form.get_by_label("เตือนการนัดหมายในวันทำการก่อนวันนัด").uncheck()
    form.get_by_role("button", name="บันทึก").click()
    expect(page.get_by_text("บันทึกการตั้งค่าการแจ้งเตือนแล้ว")).to_be_visible()
    expect(page.get_by_label("เตือนการนัดหมายในวันทำการก่อนวันนัด")).not_to_be_checked()
    shot(page, "follow-through-01-notification-choices")

    page.goto(f"/bookings/{booking_id}")
    row = page.locator(f'[data-action-item="{late_id}"]')
    expect(row.get_by_text("เลยกำหนด")).to_be_visible()
    row.get_by_label("สถานะ").select_option("in_progress")
    row.get_by_label("ความคืบหน้า").fill("เสนอผู้บริหารกรมแล้ว รอลงนาม")
    row.get_by_role("button", name="ปรับสถานะ").click()
    expect(page.get_by_text("ปรับสถานะแล้ว")).to_be_visible()
    evidence = tmp_path / "หนังสือเสนอผู้บริหาร.pdf"
    evidence.write_bytes(PDF)
    row = page.locator(f'[data-action-item="{late_id}"]')
    row.get_by_label("แนบหลักฐาน (PDF, DOCX หรือ XLSX ไม่เกิน 10 MB)").set_input_files(str(evidence))
    row.get_by_role("button", name="แนบหลักฐาน", exact=True).click()
    expect(page.get_by_text("แนบหลักฐาน หนังสือเสนอผู้บริหาร.pdf แล้ว")).to_be_visible()
    row = page.locator(f'[data-action-item="{late_id}"]')
    row.locator("summary").click()
    expect(row.get_by_role("link", name="หนังสือเสนอผู้บริหาร.pdf")).to_be_visible()
    expect(row.get_by_text("เสนอผู้บริหารกรมแล้ว รอลงนาม").first).to_be_visible()
    expect(page.locator(f'[data-action-item="{opdc_id}"]').get_by_role("button", name="ปรับสถานะ")).to_have_count(0)
    shot(page, "follow-through-02-step-with-evidence")
    log_out(page)

    log_in(page, "somchai@opdc.go.th")
    page.get_by_role("link", name="แฟ้มเรื่องส่วนราชการ").click()  # OPDC's index of case files leads to the open steps
    page.get_by_role("link", name="ขั้นตอนที่ต้องติดตาม").click()
    table = page.get_by_test_id("open-steps")
    expect(table.get_by_text("ส่งร่างโครงสร้างกองใหม่ให้ ก.พ.ร.")).to_be_visible()
    expect(table.locator("[data-overdue]")).to_have_count(1)
    shot(page, "follow-through-03-open-steps")
    page.goto(f"/bookings/{booking_id}")
    row = page.locator(f'[data-action-item="{opdc_id}"]')
    row.get_by_label("สถานะ").select_option("dropped")
    row.get_by_role("button", name="ปรับสถานะ").click()
    expect(page.get_by_text("ระบุเหตุผลที่ยกเลิกขั้นตอนนี้")).to_be_visible()
    row = page.locator(f'[data-action-item="{opdc_id}"]')
    row.get_by_label("สถานะ").select_option("dropped")
    row.get_by_label("ความคืบหน้า").fill("ไม่ต้องทบทวน กรมใช้กรอบเดิม")
    row.get_by_role("button", name="ปรับสถานะ").click()
    expect(page.locator(f'[data-action-item="{opdc_id}"] [data-status="dropped"]')).to_be_visible()
    shot(page, "follow-through-04-dropped")


def test_advisor_moves_between_week_month_and_day_and_admin_sees_everyone(page: Page, data):
    with data():
        topic = factories.make_topic(name_th="การปรับปรุงโครงสร้างการแบ่งส่วนราชการภายในกรม")
        department = factories.make_department(factories.make_ministry(name_th="กระทรวงอุตสาหกรรม"),
                                               name_th="กรมโรงงานอุตสาหกรรม", abbreviation="กรอ.")
        officer = factories.make_user("officer", department=department, email="officer@diw.go.th")
        advisor = factories.make_user("advisor", name="นายสมชาย ใจดี", email="somchai@opdc.go.th",
                                      expertise=[topic])
        factories.make_user("advisor", name="นางวิไล ศรีสุข", email="wilai@opdc.go.th", expertise=[topic])
        factories.make_user("admin", name="ผู้ดูแลระบบ", email="admin@opdc.go.th")
        reference = factories.make_booking(factories.make_slot(advisor, NOW + timedelta(days=1)), officer, topic,
                                           status="confirmed").reference
        factories.make_slot(advisor, NOW + timedelta(days=1, hours=2))

    log_in(page, "somchai@opdc.go.th")
    page.locator("#nav").get_by_role("link", name="ปฏิทินรายสัปดาห์").click()
    page.get_by_role("link", name="เดือน", exact=True).click()
    month = page.get_by_test_id("month")
    expect(month.locator('[data-day="2026-11-26"]').get_by_text("กรอ.")).to_be_visible()
    shot(page, "calendar-01-month")
    month.locator('[data-day="2026-11-26"]').get_by_role("link", name="26").click()
    agenda = page.get_by_test_id("agenda")
    expect(agenda.get_by_role("link", name=reference)).to_be_visible()
    expect(agenda.get_by_text("นายทดสอบ ระบบ (นักวิเคราะห์)")).to_be_visible()
    shot(page, "calendar-02-day-agenda")
    log_out(page)

    log_in(page, "admin@opdc.go.th")
    page.get_by_test_id("manage-menu").click()
    page.get_by_role("link", name="ปฏิทินที่ปรึกษาทุกคน").click()
    page.get_by_role("link", name="วันถัดไป").click()
    columns = page.get_by_test_id("all-advisors")
    expect(columns.get_by_role("heading", name="นางวิไล ศรีสุข")).to_be_visible()
    expect(columns.get_by_role("link", name=reference)).to_be_visible()
    shot(page, "calendar-03-all-advisors")
