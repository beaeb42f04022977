"""An administrator renames a department, merges another into it (after reading what will happen), finds a
request of the merged department by a piece of its Thai text, and opens the dashboard, whose charts draw under
the strict CSP (no console error) beside the same figures as tables."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from tests import factories
from tests.browser.conftest import log_in, shot
from tests.factories import NOW

pytestmark = pytest.mark.browser


def test_admin_renames_and_merges_departments_searches_and_reads_the_dashboard(page: Page, data):
    with data():
        topic = factories.make_topic(name_th="การปรับปรุงโครงสร้างการแบ่งส่วนราชการภายในกรม")
        advisor = factories.make_user("advisor", name="นายสมชาย ใจดี", expertise=[topic])
        industry = factories.make_ministry(name_th="กระทรวงอุตสาหกรรม", abbreviation="อก.")
        survivor = factories.make_department(industry, name_th="กรมส่งเสริมอุตสาหกรรม", abbreviation="กสอ.")
        merged = factories.make_department(industry, name_th="สำนักงานเศรษฐกิจอุตสาหกรรม", abbreviation="สศอ.")
        officer = factories.make_user("officer", department=merged, name="นางสาวพิมพ์ ย้ายกรม")
        booking = factories.make_booking(factories.make_slot(advisor, NOW - timedelta(days=20)), officer, topic,
                                         status="confirmed",
                                         request_details="ขอปรึกษาการยุบรวมกองวิชาการเข้ากับกองยุทธศาสตร์")
        factories.make_published_record(booking, advisor, guidance="ควรทบทวนภารกิจกองวิชาการก่อนยุบรวม",
                                        items=[("ส่งร่างผังโครงสร้างใหม่", "department")])
        reference, survivor_id, merged_id = booking.reference, survivor.id, merged.id
        admin_email = factories.make_user("admin", name="นางสาวดวงใจ ผู้ดูแล", email="admin@opdc.go.th").email
    console_errors: list[str] = []
    page.on("console", lambda message: console_errors.append(message.text) if message.type == "error" else None)

    log_in(page, admin_email)
    page.get_by_test_id("manage-menu").click()
    page.get_by_role("link", name="หน่วยงานและหัวข้อ").click()
    expect(page.get_by_test_id("departments")).to_contain_text("สำนักงานเศรษฐกิจอุตสาหกรรม")

    # Rename: the department keeps its id, the former name shows in its history.
    page.locator(f'tr[data-department="{survivor_id}"]').get_by_role("link", name="ดู/เปลี่ยนชื่อ").click()
    page.get_by_label("ชื่อภาษาไทย").fill("กรมส่งเสริมและพัฒนาอุตสาหกรรม")
    page.get_by_label("ชื่อภาษาอังกฤษ").fill("Department of Industrial Promotion and Development")
    page.get_by_label("ชื่อย่อ").fill("กสพ.")
    page.get_by_role("button", name="บันทึกชื่อใหม่").click()
    expect(page.get_by_role("alert")).to_contain_text("เปลี่ยนชื่อส่วนราชการแล้ว")
    expect(page.get_by_role("heading", level=1)).to_have_text("กรมส่งเสริมและพัฒนาอุตสาหกรรม")
    expect(page.get_by_test_id("former-names")).to_contain_text("กรมส่งเสริมอุตสาหกรรม")
    shot(page, "org-department-renamed")

    # Merge: choose the survivor, read what will happen, confirm.
    page.goto(f"/admin/departments/{merged_id}/merge")
    page.get_by_label("ควบรวมเข้ากับ").select_option(label="กรมส่งเสริมและพัฒนาอุตสาหกรรม")
    page.get_by_role("button", name="ดูสิ่งที่จะเกิดขึ้น").click()
    plan = page.get_by_test_id("merge-plan")
    expect(plan).to_contain_text("การจอง 1 รายการ")
    expect(plan).to_contain_text("ผู้ใช้ 1 คน")
    shot(page, "org-merge-confirmation")
    page.get_by_test_id("confirm-merge").click()
    expect(page.get_by_role("alert")).to_contain_text("ควบรวมส่วนราชการแล้ว")
    page.goto("/admin/departments")
    expect(page.locator(f'tr[data-department="{merged_id}"]')).to_contain_text("ควบรวมเข้ากับ กรมส่งเสริมและพัฒนาอุตสาหกรรม")
    shot(page, "org-departments-after-merge")

    # Search: a piece of Thai text, no spaces; the request now belongs to the survivor.
    page.get_by_role("link", name="ค้นหา", exact=True).click()
    page.get_by_label("ค้นหาคำขอ บันทึก และขั้นตอนถัดไป").fill("กองวิชาการ")
    page.get_by_role("button", name="ค้นหา").click()
    results = page.get_by_test_id("search-results")
    expect(results.locator('li[data-kind="request"]')).to_contain_text(reference)
    expect(results.locator('li[data-kind="request"]')).to_contain_text("กรมส่งเสริมและพัฒนาอุตสาหกรรม")
    expect(results.locator("mark").first).to_have_text("กองวิชาการ")
    expect(results.locator('li[data-kind="record"]')).to_be_visible()
    shot(page, "search-results")
    page.get_by_label("ค้นหาคำขอ บันทึก และขั้นตอนถัดไป").fill("กอ")
    page.get_by_role("button", name="ค้นหา").click()
    expect(page.locator('[data-field-error="q"]')).to_contain_text("อย่างน้อย 3 ตัวอักษร")

    # The dashboard: the charts draw (a Chart.js chart on every canvas), the tables hold the same figures.
    page.get_by_role("link", name="แดชบอร์ด").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("ปีงบประมาณ พ.ศ. 2570")
    expect(page.get_by_test_id("table-months")).to_contain_text("ต.ค. 2569")
    page.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('chart-months'))")
    drawn = page.evaluate("() => [...document.querySelectorAll('canvas[data-chart]')]"
                          ".filter(c => Chart.getChart(c)).length")
    assert drawn == 5
    expect(page.get_by_test_id("rating")).to_be_visible()
    shot(page, "dashboard")
    assert not [e for e in console_errors if re.search("Content Security Policy|Refused", e)], console_errors
