"""An officer books a clinic session through the pages, reads the receipt, finds it in the case file and cancels it."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from tests import factories
from tests.browser.conftest import log_in, shot
from tests.factories import NOW

pytestmark = pytest.mark.browser

TOPIC = "การปรับปรุงโครงสร้างการแบ่งส่วนราชการภายในกรม"
ADVISOR = "นายสมชาย ใจดี"


def test_officer_books_a_slot_reads_the_receipt_and_cancels_it(page: Page, data, tmp_path):
    with data():
        topic = factories.make_topic(name_th=TOPIC)
        digital = factories.make_topic(name_th="รางวัลเลิศรัฐ")
        department = factories.make_department(
            factories.make_ministry(name_th="กระทรวงอุตสาหกรรม"), name_th="กรมโรงงานอุตสาหกรรม", abbreviation="กรอ."
        )
        officer = factories.make_user(
            "officer", department=department, name="นายอนุชา โรงงานดี", email="officer@diw.go.th"
        )
        advisor = factories.make_user("advisor", name=ADVISOR, expertise=[topic])
        # Wednesday 2 December 2026, 10:00-11:00 in Bangkok (BE 2569).
        slot_id = factories.make_slot(advisor, NOW + timedelta(days=7), location="ห้องประชุม 1 ชั้น 8").id
        # An advisor of another topic only: never offered for this one.
        other = factories.make_user("advisor", name="นางวิไล รักษ์ดิจิทัล", expertise=[digital])
        factories.make_slot(other, NOW + timedelta(days=7, hours=2))
        officer_email = officer.email
    pdf = tmp_path / "ร่างโครงสร้าง.pdf"
    pdf.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")

    log_in(page, officer_email, screenshot="officer-login")
    expect(page.get_by_role("heading", name="สิ่งที่ต้องทำ")).to_be_visible()  # the officer's home page

    # Choose a topic.
    page.get_by_role("link", name="จองคลินิก").first.click()
    expect(page.get_by_role("heading", name="เลือกหัวข้อที่ต้องการรับคำปรึกษา")).to_be_visible()
    expect(page.get_by_role("link", name="รางวัลเลิศรัฐ")).to_be_visible()
    shot(page, "officer-topics")
    page.get_by_role("link", name=TOPIC).click()

    # The advisor's open slot, with a Buddhist-Era date, the time, the advisor and the room.
    expect(page.get_by_role("heading", name="ช่วงเวลาที่เปิดให้จอง")).to_be_visible()
    row = page.get_by_test_id("open-slots").locator(f'tr[data-slot-id="{slot_id}"]')
    expect(row).to_contain_text("พ. 2 ธ.ค. 2569")
    expect(row).to_contain_text("10:00 น. – 11:00 น.")
    expect(row).to_contain_text(ADVISOR)
    expect(row).to_contain_text("ณ ห้องประชุม 1 ชั้น 8")
    expect(page.get_by_test_id("open-slots").locator("tbody tr")).to_have_count(1)
    expect(page.get_by_test_id("open-slots")).not_to_contain_text("นางวิไล รักษ์ดิจิทัล")
    shot(page, "officer-open-slots")
    row.get_by_role("link", name="จอง").click()

    # The booking form.
    expect(page.get_by_role("heading", name="จองช่วงเวลาขอรับคำปรึกษา")).to_be_visible()
    expect(page.get_by_label("ส่วนราชการ")).to_have_value(str(department_id(page)))
    page.get_by_label("เรื่องที่ต้องการรับคำปรึกษา").fill("ขอคำปรึกษาการจัดตั้งกองใหม่ตามร่างกฎกระทรวงแบ่งส่วนราชการ")
    page.get_by_label("ชื่อ-นามสกุล").first.fill("นางสาวกานดา วางแผนดี")
    page.get_by_label("ตำแหน่ง").first.fill("นักวิเคราะห์นโยบายและแผนชำนาญการ")
    page.get_by_label(re.compile("เอกสารประกอบ")).set_input_files(str(pdf))
    shot(page, "officer-booking-form")
    page.get_by_role("button", name="ยืนยันการจอง").click()

    # The receipt: a reference number and when the request was received (NOW, in Bangkok time).
    expect(page.get_by_role("alert")).to_contain_text("ส่งคำขอจองแล้ว")
    expect(page.get_by_test_id("reference")).to_have_text(re.compile(r"^OPDC-2570-[A-Z2-9]{6}$"))
    expect(page.get_by_test_id("received-at")).to_have_text("25 พ.ย. 2569 10:00 น.")
    receipt = page.get_by_test_id("receipt")
    expect(receipt).to_contain_text("รอยืนยัน")
    expect(receipt).to_contain_text("นางสาวกานดา วางแผนดี — นักวิเคราะห์นโยบายและแผนชำนาญการ")
    expect(receipt.get_by_role("link", name="ร่างโครงสร้าง.pdf")).to_be_visible()
    reference = page.get_by_test_id("reference").inner_text()
    shot(page, "officer-receipt")

    # The department's case file lists it.
    page.get_by_role("link", name="แฟ้มเรื่องของส่วนราชการ").click()
    expect(page.get_by_role("heading", name="แฟ้มเรื่องของส่วนราชการ")).to_be_visible()
    case_row = page.get_by_test_id("case-bookings").get_by_role("row").filter(has_text=reference)
    expect(case_row).to_contain_text(TOPIC)
    expect(case_row).to_contain_text("รอยืนยัน")
    shot(page, "officer-casefile")
    case_row.get_by_role("link", name=reference).click()

    # Cancel it with a reason; the form asks for confirmation first.
    expect(page.get_by_test_id("reference")).to_have_text(reference)
    page.get_by_label("เหตุผล").fill("ผู้บริหารติดภารกิจเร่งด่วน ขอเลื่อนไปก่อน")
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    page.get_by_role("button", name="ยกเลิกการจอง").click()
    expect(page.get_by_role("alert")).to_contain_text("ยกเลิกการจองแล้ว")
    assert dialogs == ["ยืนยันการยกเลิกการจองนี้?"]
    expect(page.get_by_test_id("receipt").locator("[data-status]")).to_have_text("ยกเลิกแล้ว")
    expect(page.get_by_test_id("receipt")).to_contain_text("ผู้บริหารติดภารกิจเร่งด่วน ขอเลื่อนไปก่อน")
    expect(page.get_by_role("button", name="ยกเลิกการจอง")).to_have_count(0)
    shot(page, "officer-cancelled")

    # The seat is free again for that topic.
    page.get_by_role("link", name="จองคลินิก").first.click()
    page.get_by_role("link", name=TOPIC).click()
    row = page.get_by_test_id("open-slots").locator(f'tr[data-slot-id="{slot_id}"]')
    expect(row).to_contain_text("พ. 2 ธ.ค. 2569")
    expect(row.get_by_role("link", name="จอง")).to_be_visible()


def department_id(page: Page) -> str:
    """The department preselected in the form is the officer's own: the only option offered."""
    return page.get_by_label("ส่วนราชการ").locator("option").first.get_attribute("value")


def test_coordinator_books_for_a_department_of_the_ministry_and_reads_its_case_file(page: Page, data):
    with data():
        topic = factories.make_topic(name_th=TOPIC)
        industry = factories.make_ministry(name_th="กระทรวงอุตสาหกรรม")
        factories.make_department(industry, name_th="กรมโรงงานอุตสาหกรรม", abbreviation="กรอ.")
        factories.make_department(industry, name_th="กรมส่งเสริมอุตสาหกรรม", abbreviation="กสอ.")
        factories.make_department(name_th="กรมการปกครอง", abbreviation="ปค.")  # another ministry's
        coordinator = factories.make_user("coordinator", ministry=industry, name="นางรัตนา ประสานงาน")
        advisor = factories.make_user("advisor", name=ADVISOR, expertise=[topic])
        factories.make_slot(advisor, NOW + timedelta(days=7))
        email = coordinator.email

    log_in(page, email)
    page.get_by_role("link", name="จองคลินิก").first.click()
    page.get_by_role("link", name=TOPIC).click()
    page.get_by_test_id("open-slots").get_by_role("link", name="จอง").click()

    # The coordinator chooses which department of the ministry the booking is for; no other ministry's.
    department = page.get_by_label("ส่วนราชการ")
    expect(department.locator("option")).to_have_text(["กรมโรงงานอุตสาหกรรม", "กรมส่งเสริมอุตสาหกรรม"])
    department.select_option(label="กรมส่งเสริมอุตสาหกรรม")
    page.get_by_label("เรื่องที่ต้องการรับคำปรึกษา").fill("ขอคำปรึกษาการจัดทำแผนปฏิรูปองค์การของกรม")
    page.get_by_label("ชื่อ-นามสกุล").first.fill("นางรัตนา ประสานงาน")
    page.get_by_label("ตำแหน่ง").first.fill("ผู้อำนวยการกองยุทธศาสตร์และแผนงาน")
    page.get_by_role("button", name="ยืนยันการจอง").click()
    expect(page.get_by_test_id("receipt")).to_contain_text("กรมส่งเสริมอุตสาหกรรม (กระทรวงอุตสาหกรรม)")
    reference = page.get_by_test_id("reference").inner_text()

    # The case file of each department of the ministry is one choice away.
    page.get_by_role("link", name="แฟ้มเรื่องของส่วนราชการ").click()
    page.get_by_label("ส่วนราชการ").select_option(label="กรมส่งเสริมอุตสาหกรรม")
    page.get_by_role("button", name="แสดง").click()
    expect(page.get_by_test_id("case-bookings")).to_contain_text(reference)
    shot(page, "coordinator-casefile")
    page.get_by_label("ส่วนราชการ").select_option(label="กรมโรงงานอุตสาหกรรม")
    page.get_by_role("button", name="แสดง").click()
    expect(page.get_by_text("ยังไม่มีการจอง")).to_be_visible()
