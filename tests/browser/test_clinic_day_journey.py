"""An administrator holds OPDC's clinic at the Ministry of Industry; an officer of one of its departments books a
session there; an officer of another ministry sees the clinic day but cannot book it."""

import pytest
from playwright.sync_api import Page, expect

from tests import factories
from tests.browser.conftest import log_in, log_out, shot

pytestmark = pytest.mark.browser


def test_admin_creates_a_clinic_day_at_the_ministry_of_industry_and_only_its_departments_book_it(page: Page, data):
    with data():
        topic = factories.make_topic(name_th="การปรับปรุงโครงสร้างการแบ่งส่วนราชการภายในกรม")
        topic_id = topic.id
        industry = factories.make_ministry(name_th="กระทรวงอุตสาหกรรม", abbreviation="อก.")
        factories.make_ministry(name_th="กระทรวงการคลัง", abbreviation="กค.")
        factories.make_user("officer", email="officer@diw.go.th", name="นายอนุชา โรงงานดี",
                            department=factories.make_department(industry, name_th="กรมโรงงานอุตสาหกรรม"))
        factories.make_user("officer", email="officer@cgd.go.th", name="นางสาวมณี คลังดี",
                            department=factories.make_department(name_th="กรมบัญชีกลาง"))
        factories.make_user("advisor", name="นายสมชาย ใจดี", email="somchai@opdc.go.th", expertise=[topic])
        factories.make_user("advisor", name="นางวิไล รักษ์ดิจิทัล", email="wilai@opdc.go.th", expertise=[topic])
        factories.make_user("admin", name="นางสาวดวงใจ ผู้ดูแล", email="admin@opdc.go.th")

    log_in(page, "admin@opdc.go.th")
    page.get_by_test_id("manage-menu").click()
    page.get_by_role("link", name="วันคลินิกนอกสถานที่").click()
    expect(page.get_by_role("main")).to_contain_text("ยังไม่มีวันคลินิก")
    page.get_by_role("link", name="สร้างวันคลินิก").click()

    form = page.get_by_test_id("clinic-day-form")
    form.get_by_label("กระทรวงที่เป็นเจ้าภาพ").select_option(label="กระทรวงอุตสาหกรรม")
    form.get_by_label("วันที่").fill("2026-12-09")
    form.get_by_label("สถานที่").fill("กระทรวงอุตสาหกรรม ถนนพระรามที่ 6")
    form.get_by_label("ห้องประชุม").fill("ห้องประชุม 1 ชั้น 2")
    form.get_by_label("เวลาเริ่ม").fill("09:00")
    form.get_by_label("เวลาสิ้นสุด").fill("12:00")
    form.get_by_label("เวลาให้คำปรึกษาครั้งละ (นาที)").fill("60")
    form.get_by_label("จำนวนส่วนราชการที่รับได้ต่อครั้ง").fill("2")
    form.get_by_label("เฉพาะส่วนราชการในสังกัดกระทรวงเจ้าภาพ").check()
    form.get_by_label("นายสมชาย ใจดี").check()
    # A mistake first: no topic chosen is refused next to the topics, and nothing is made.
    form.get_by_role("button", name="สร้างวันคลินิกและช่วงให้คำปรึกษา").click()
    expect(page.locator('[data-field-error="topics"]')).to_have_text("เลือกหัวข้ออย่างน้อย 1 หัวข้อ")
    shot(page, "clinic-day-refused")

    form = page.get_by_test_id("clinic-day-form")
    form.get_by_label("การปรับปรุงโครงสร้างการแบ่งส่วนราชการภายในกรม").check()
    form.get_by_label("นางวิไล รักษ์ดิจิทัล").check()
    form.get_by_role("button", name="สร้างวันคลินิกและช่วงให้คำปรึกษา").click()
    expect(page.get_by_role("alert").first).to_contain_text("สร้างวันคลินิกแล้ว · เปิดช่วงให้คำปรึกษา 6 ช่วง")
    expect(page.get_by_test_id("clinic-day-place")).to_contain_text("กระทรวงอุตสาหกรรม ถนนพระรามที่ 6 · ห้องประชุม 1 ชั้น 2")
    expect(page.get_by_test_id("clinic-day-sessions").locator("tbody tr")).to_have_count(6)
    shot(page, "clinic-day-created")
    log_out(page)

    # An officer of a department of the Ministry of Industry finds the clinic day beside the regular hours.
    log_in(page, "officer@diw.go.th")
    page.goto(f"/book/{topic_id}")
    rows = page.get_by_test_id("open-slots").locator("tbody tr")
    expect(rows).to_have_count(6)
    first = rows.first
    expect(first).to_contain_text("วันคลินิก ณ กระทรวงอุตสาหกรรม")
    expect(first).to_contain_text("ห้องประชุม 1 ชั้น 2")
    expect(first).to_contain_text("เฉพาะส่วนราชการในสังกัดกระทรวงอุตสาหกรรม")
    expect(page.get_by_test_id("first-available")).to_contain_text("พ. 9 ธ.ค. 2569")
    expect(page.get_by_test_id("month-title")).to_have_text("ธันวาคม 2569")
    shot(page, "clinic-day-officer-open-slots")
    # The month shows 9 December with six free sessions; on that day, "any advisor" at 09:00 picks one of two.
    page.get_by_test_id("month").locator('[data-day="2026-12-09"]').get_by_role("link").click()
    expect(page.get_by_test_id("chosen-day")).to_have_text("วันพุธที่ 9 ธันวาคม 2569")
    any_advisor = page.get_by_test_id("any-advisor").get_by_role("link").first
    expect(any_advisor).to_contain_text("09:00 น. · ที่ปรึกษาคนใดก็ได้ (ว่าง 2 คน) · วันคลินิก")
    shot(page, "clinic-day-officer-day")
    any_advisor.click()
    expect(page.get_by_role("button", name="ยืนยันการจอง")).to_be_visible()
    page.get_by_label("เรื่องที่ต้องการรับคำปรึกษา").fill("ขอคำปรึกษาการปรับโครงสร้างกองตามร่างกฎกระทรวง")
    page.get_by_label("ชื่อ-นามสกุล").first.fill("นางสาวกานดา วางแผนดี")
    page.get_by_label("ตำแหน่ง").first.fill("นักวิเคราะห์นโยบายและแผนชำนาญการ")
    page.get_by_role("button", name="ยืนยันการจอง").click()
    expect(page.get_by_role("alert")).to_contain_text("ส่งคำขอจองแล้ว")
    shot(page, "clinic-day-booked")
    log_out(page)

    # An officer of the Ministry of Finance sees it labelled for the host ministry, with nothing to book.
    log_in(page, "officer@cgd.go.th")
    page.goto(f"/book/{topic_id}")
    rows = page.get_by_test_id("open-slots").locator("tbody tr")
    expect(rows).to_have_count(6)
    expect(rows.first).to_contain_text("เฉพาะส่วนราชการในสังกัดกระทรวงอุตสาหกรรม")
    expect(page.get_by_test_id("not-for-you")).to_have_count(6)
    expect(page.get_by_role("link", name="จอง", exact=True)).to_have_count(0)
    shot(page, "clinic-day-other-ministry")
