"""An advisor manages the calendar and requests, records a session; the officer reads and acknowledges it."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from tests import factories
from tests.browser.conftest import log_in, log_out, shot
from tests.factories import NOW

pytestmark = pytest.mark.browser

ADVISOR_EMAIL = "somchai@opdc.go.th"
OFFICER_EMAIL = "officer@diw.go.th"
DEPARTMENT = "กรมโรงงานอุตสาหกรรม"
INTERNAL_NOTE = "หมายเหตุภายใน: กรมนี้เคยขอเพิ่มกองมาแล้วสองครั้ง ควรระวังเรื่องอัตรากำลัง"


def make_people():
    """An advisor of one topic and an officer of กรมโรงงานอุตสาหกรรม (กรอ.). Call inside `with data():`."""
    topic = factories.make_topic(name_th="การปรับปรุงโครงสร้างการแบ่งส่วนราชการภายในกรม")
    department = factories.make_department(
        factories.make_ministry(name_th="กระทรวงอุตสาหกรรม"), name_th=DEPARTMENT, abbreviation="กรอ."
    )
    officer = factories.make_user("officer", department=department, name="นายอนุชา โรงงานดี", email=OFFICER_EMAIL)
    advisor = factories.make_user("advisor", name="นายสมชาย ใจดี", email=ADVISOR_EMAIL, expertise=[topic])
    return topic, officer, advisor


def add_slots(page: Page, first_day: str, start: str, end: str, *, weeks: int = 1, online: bool = False) -> None:
    page.get_by_role("link", name="เพิ่มช่วงเวลา").first.click()
    expect(page.get_by_role("heading", name="เพิ่มช่วงเวลาให้คำปรึกษา")).to_be_visible()
    form = page.get_by_test_id("slot-form")
    form.get_by_label("วันที่", exact=True).fill(first_day)
    form.get_by_label("เวลาเริ่ม").fill(start)
    form.get_by_label("เวลาสิ้นสุด").fill(end)
    if online:
        form.get_by_label("ออนไลน์", exact=True).check()
        form.get_by_label("ลิงก์การประชุมออนไลน์").fill("https://meet.opdc.go.th/clinic-somchai")
    else:
        form.get_by_label("ห้องประชุม").fill("ห้องประชุม 2 ชั้น 8")
    form.get_by_label("ทำซ้ำทุกสัปดาห์ (จำนวนสัปดาห์)").fill(str(weeks))
    form.get_by_role("button", name="เพิ่มช่วงเวลา").click()


def day_column(page: Page, label: str):
    """One day of the week view, by its header ('อ. 1 ธ.ค. 2569')."""
    return page.locator(".week-day").filter(has=page.locator(".week-day-header", has_text=label))


def test_advisor_sees_sessions_adds_slots_and_decides_requests(page: Page, data):
    with data():
        topic, officer, advisor = make_people()
        # Thursday 26 and Friday 27 November 2026, 10:00 in Bangkok: two requests waiting for a decision.
        to_confirm = factories.make_booking(
            factories.make_slot(advisor, NOW + timedelta(days=1)), officer, topic
        ).reference
        to_decline = factories.make_booking(
            factories.make_slot(advisor, NOW + timedelta(days=2)), officer, topic
        ).reference

    log_in(page, ADVISOR_EMAIL, screenshot="advisor-login")

    # Upcoming sessions on the advisor's own slots.
    expect(page.get_by_role("heading", name="สิ่งที่ต้องทำ")).to_be_visible()  # the advisor's home page
    page.get_by_role("link", name="นัดหมายของฉัน").click()
    expect(page).to_have_url(re.compile(r"/advisor/sessions$"))
    upcoming = page.get_by_test_id("upcoming")
    for reference, day in ((to_confirm, "พฤ. 26 พ.ย. 2569"), (to_decline, "ศ. 27 พ.ย. 2569")):
        row = upcoming.get_by_role("row").filter(has_text=reference)
        expect(row).to_contain_text(day)
        expect(row).to_contain_text("10:00 น. – 11:00 น.")
        expect(row).to_contain_text(DEPARTMENT)
        expect(row).to_contain_text("รอยืนยัน")
    shot(page, "advisor-sessions")

    # The week view of this week.
    page.goto("/advisor/week?start=2026-11-23")
    expect(page.get_by_role("heading", name="สัปดาห์ของ 23 พ.ย. 2569")).to_be_visible()
    expect(day_column(page, "พฤ. 26 พ.ย. 2569")).to_contain_text("กรอ. · รอยืนยัน")
    expect(day_column(page, "ศ. 27 พ.ย. 2569")).to_contain_text("กรอ. · รอยืนยัน")
    shot(page, "advisor-week")

    # One single slot on Tuesday 1 December: the week view shows it, free.
    add_slots(page, "2026-12-01", "13:00", "14:00")
    expect(page.get_by_role("alert")).to_contain_text("เพิ่มช่วงเวลาแล้ว 1 ช่วง")
    expect(page.get_by_role("heading", name="สัปดาห์ของ 30 พ.ย. 2569")).to_be_visible()
    tuesday = day_column(page, "อ. 1 ธ.ค. 2569")
    expect(tuesday).to_contain_text("13:00 น. – 14:00 น.")
    expect(tuesday).to_contain_text("ณ ห้องประชุม 2 ชั้น 8")
    expect(tuesday).to_contain_text("ว่าง (1)")

    # Wednesdays 2, 9 and 16 December, online: one slot in each of three weeks.
    add_slots(page, "2026-12-02", "14:00", "15:00", weeks=3, online=True)
    expect(page.get_by_role("alert")).to_contain_text("เพิ่มช่วงเวลาแล้ว 3 ช่วง")
    expect(day_column(page, "พ. 2 ธ.ค. 2569")).to_contain_text("14:00 น. – 15:00 น.")
    expect(day_column(page, "อ. 1 ธ.ค. 2569")).to_contain_text("13:00 น. – 14:00 น.")
    shot(page, "advisor-week-with-new-slots")
    for wednesday in ("พ. 9 ธ.ค. 2569", "พ. 16 ธ.ค. 2569"):
        page.get_by_role("link", name="สัปดาห์ถัดไป").click()
        expect(day_column(page, wednesday)).to_contain_text("14:00 น. – 15:00 น.")
        expect(day_column(page, wednesday)).to_contain_text("ออนไลน์")
    page.get_by_role("link", name="สัปดาห์ถัดไป").click()
    expect(page.get_by_role("heading", name="สัปดาห์ของ 21 ธ.ค. 2569")).to_be_visible()
    expect(page.locator(".week-event")).to_have_count(0)

    # A slot overlapping the one on 1 December is refused, with the reason next to the start time.
    add_slots(page, "1/12/2569", "13:30", "14:30")  # as Thai users write dates
    expect(page.locator('[data-field-error="start"]')).to_have_text(
        "ช่วงเวลานี้ซ้อนกับช่วงเวลาที่มีอยู่แล้ว (1 ธ.ค. 2569 13:00 น.)"
    )
    expect(page.get_by_test_id("slot-form").get_by_label("เวลาเริ่ม")).to_have_class(re.compile("is-invalid"))
    expect(page.get_by_test_id("slot-form").get_by_label("วันที่", exact=True)).to_have_value("1/12/2569")
    shot(page, "advisor-new-slots-overlap")

    # Confirm one pending request.
    page.get_by_role("link", name="นัดหมายของฉัน").click()
    page.get_by_role("link", name=f"เปิด {to_confirm}").click()
    expect(page.get_by_test_id("reference")).to_have_text(to_confirm)
    page.get_by_role("button", name="ยืนยันนัดหมาย").click()
    expect(page.get_by_role("alert")).to_contain_text("ยืนยันนัดหมายแล้ว")
    expect(page.get_by_test_id("receipt").locator("[data-status]")).to_have_text("ยืนยันแล้ว")
    expect(page.get_by_role("button", name="ยืนยันนัดหมาย")).to_have_count(0)

    # Decline the other, with a reason.
    page.get_by_role("link", name="นัดหมายของฉัน").click()
    page.get_by_role("link", name=f"เปิด {to_decline}").click()
    decline_form = page.locator("form").filter(has=page.get_by_role("button", name="ปฏิเสธคำขอ"))
    decline_form.get_by_label("เหตุผล").fill("วันดังกล่าวที่ปรึกษาต้องไปประชุม อ.ก.พ.ร. ขอให้เลือกวันอื่น")
    decline_form.get_by_role("button", name="ปฏิเสธคำขอ").click()
    expect(page.get_by_role("alert")).to_contain_text("ปฏิเสธคำขอแล้ว")
    receipt = page.get_by_test_id("receipt")
    expect(receipt.locator("[data-status]")).to_have_text("ปฏิเสธ")
    expect(receipt).to_contain_text("วันดังกล่าวที่ปรึกษาต้องไปประชุม อ.ก.พ.ร. ขอให้เลือกวันอื่น")

    # The sessions list now holds only the confirmed one.
    page.get_by_role("link", name="นัดหมายของฉัน").click()
    expect(page.get_by_test_id("upcoming").get_by_role("row").filter(has_text=to_confirm)).to_contain_text("ยืนยันแล้ว")
    expect(page.get_by_test_id("upcoming")).not_to_contain_text(to_decline)


def test_advisor_records_a_session_and_the_officer_acknowledges_it(page: Page, data):
    with data():
        topic, officer, advisor = make_people()
        # Yesterday, Tuesday 24 November 2026, 10:00 in Bangkok: a confirmed session that took place.
        slot = factories.make_slot(advisor, NOW - timedelta(days=1))
        reference = factories.make_booking(slot, officer, topic, status="confirmed").reference

    # The advisor writes the record.
    log_in(page, ADVISOR_EMAIL)
    to_record = page.get_by_test_id("home-held")  # the home page lists the sessions held, recorded or not
    expect(to_record.locator("tr", has_text=reference)).to_contain_text("ยังไม่บันทึก")
    expect(to_record).to_contain_text(DEPARTMENT)
    to_record.get_by_role("link", name=f"บันทึกผล {reference}").click()
    expect(page.get_by_role("heading", name="บันทึกผลการให้คำปรึกษา")).to_be_visible()

    # The record first, as an advisor writes it; adding a next step afterwards keeps what was typed.
    record = page.get_by_test_id("record-form")
    record.get_by_label("นายทดสอบ ระบบ (นักวิเคราะห์)").check()
    record.get_by_label("การเข้าร่วม (หมายเหตุ)").fill("ผู้อำนวยการกองการเจ้าหน้าที่เข้าร่วมด้วย")
    record.get_by_label("ประเด็นที่หารือ").fill("การยกฐานะฝ่ายเป็นกอง และภารกิจที่ซ้ำซ้อนกับหน่วยงานอื่น")
    record.get_by_label("คำแนะนำของที่ปรึกษา").fill("ควรทบทวนภารกิจให้ชัดเจนก่อนเสนอจัดตั้งกองใหม่ และจัดทำตารางเปรียบเทียบภาระงาน")
    record.get_by_label("บันทึกภายใน (ส่วนราชการมองไม่เห็น)").fill(INTERNAL_NOTE)

    steps = page.get_by_test_id("action-item-form")
    steps.get_by_label("สิ่งที่ต้องดำเนินการ").fill("ส่งร่างโครงสร้างฉบับปรับปรุงให้ สำนักงาน ก.พ.ร. พิจารณา")
    steps.get_by_label("ผู้รับผิดชอบ").select_option(label="ส่วนราชการ")
    steps.get_by_label("วันครบกำหนด").fill("2026-12-09")
    steps.get_by_role("button", name="เพิ่มขั้นตอน").click()
    expect(page.get_by_role("alert")).to_contain_text("เพิ่มขั้นตอนต่อไปและบันทึกร่างแล้ว")
    expect(page.locator("[data-action-item]")).to_contain_text("ส่งร่างโครงสร้างฉบับปรับปรุงให้ สำนักงาน ก.พ.ร. พิจารณา")
    expect(page.locator("[data-action-item]")).to_contain_text("ส่วนราชการ · ครบกำหนด 9 ธ.ค. 2569 · ยังไม่เริ่ม")
    expect(record.get_by_label("คำแนะนำของที่ปรึกษา")).to_have_value(
        "ควรทบทวนภารกิจให้ชัดเจนก่อนเสนอจัดตั้งกองใหม่ และจัดทำตารางเปรียบเทียบภาระงาน"
    )
    expect(record.get_by_label("นายทดสอบ ระบบ (นักวิเคราะห์)")).to_be_checked()
    expect(page.get_by_test_id("editor-notes")).to_contain_text(INTERNAL_NOTE)
    shot(page, "advisor-record-editor")
    record.get_by_role("button", name="บันทึกและเผยแพร่ให้ส่วนราชการ").click()

    # Published: back on the booking, where the advisor also sees the internal note.
    expect(page.get_by_role("alert")).to_contain_text("เผยแพร่บันทึกผลให้ส่วนราชการแล้ว")
    expect(page.get_by_test_id("guidance")).to_have_text(
        "ควรทบทวนภารกิจให้ชัดเจนก่อนเสนอจัดตั้งกองใหม่ และจัดทำตารางเปรียบเทียบภาระงาน"
    )
    expect(page.get_by_test_id("record")).to_contain_text("ฉบับที่ 1")
    expect(page.get_by_test_id("internal-notes")).to_contain_text(INTERNAL_NOTE)
    expect(page.get_by_test_id("receipt")).to_contain_text("นายทดสอบ ระบบ — นักวิเคราะห์ ✓")
    shot(page, "advisor-published-record")
    log_out(page)

    # The officer finds it in the case file, waiting for acknowledgement.
    log_in(page, OFFICER_EMAIL)
    page.get_by_role("link", name="แฟ้มเรื่องของส่วนราชการ").first.click()
    row = page.get_by_test_id("case-bookings").get_by_role("row").filter(has_text=reference)
    expect(row).to_contain_text("ฉบับที่ 1")
    expect(row).to_contain_text("รอรับทราบ")
    expect(page.locator("body")).not_to_contain_text(INTERNAL_NOTE)
    row.get_by_role("link", name=reference).click()

    # Reads the guidance and acknowledges it.
    expect(page.get_by_test_id("guidance")).to_have_text(
        "ควรทบทวนภารกิจให้ชัดเจนก่อนเสนอจัดตั้งกองใหม่ และจัดทำตารางเปรียบเทียบภาระงาน"
    )
    expect(page.get_by_test_id("record")).to_contain_text("การยกฐานะฝ่ายเป็นกอง และภารกิจที่ซ้ำซ้อนกับหน่วยงานอื่น")
    page.get_by_role("button", name="รับทราบคำแนะนำ").click()
    expect(page.get_by_role("alert")).to_contain_text("รับทราบคำแนะนำแล้ว")
    expect(page.get_by_test_id("acknowledged")).to_have_text(
        "ส่วนราชการรับทราบฉบับที่ 1 แล้ว โดย นายอนุชา โรงงานดี เมื่อ 25 พ.ย. 2569 10:00 น."
    )
    expect(page.get_by_role("button", name="รับทราบคำแนะนำ")).to_have_count(0)

    # Reports the department's next step as done.
    item = page.get_by_test_id("action-items").get_by_role("row").filter(has_text="ส่งร่างโครงสร้างฉบับปรับปรุง")
    expect(item).to_contain_text("ส่วนราชการ")
    expect(item).to_contain_text("9 ธ.ค. 2569")
    item.get_by_label("สถานะ").select_option(label="เสร็จแล้ว")
    item.get_by_label("ความคืบหน้า").fill("ส่งร่างให้ ก.พ.ร. ทางหนังสือแล้ว")
    item.get_by_role("button", name="ปรับสถานะ").click()
    expect(page.get_by_role("alert")).to_contain_text("ปรับสถานะแล้ว")
    item = page.get_by_test_id("action-items").get_by_role("row").filter(has_text="ส่งร่างโครงสร้างฉบับปรับปรุง")
    expect(item.locator("[data-status]")).to_have_text("เสร็จแล้ว")
    expect(item).to_contain_text("ส่งร่างให้ ก.พ.ร. ทางหนังสือแล้ว")

    # OPDC's internal note is nowhere on the officer's page, visible or hidden.
    expect(page.get_by_test_id("internal-notes")).to_have_count(0)
    assert INTERNAL_NOTE not in page.content()
    assert "หมายเหตุภายใน" not in page.content()
    shot(page, "officer-published-record")
