"""An administrator closes an extra day announced by the Cabinet: the page shows the day's bookings first, and
closes it only once the administrator chooses to cancel them."""

from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect

from tests import factories
from tests.browser.conftest import log_in, shot

pytestmark = pytest.mark.browser


def test_admin_closes_a_special_day_off_that_holds_a_booking(page: Page, data):
    with data():
        topic = factories.make_topic(name_th="การปรับปรุงโครงสร้างการแบ่งส่วนราชการภายในกรม")
        advisor = factories.make_user("advisor", name="นายสมชาย ใจดี", expertise=[topic])
        officer = factories.make_user("officer", name="นายอนุชา โรงงานดี")
        slot = factories.make_slot(advisor, datetime(2026, 12, 2, 2, 0, tzinfo=UTC))  # 09:00 in Bangkok
        reference = factories.make_booking(slot, officer, topic).reference
        factories.make_user("admin", email="admin@opdc.go.th")

    log_in(page, "admin@opdc.go.th")
    page.get_by_test_id("manage-menu").click()
    page.get_by_role("link", name="วันหยุดราชการและวันหยุดพิเศษ").click()
    expect(page.locator('[data-day="2026-12-10"]')).to_contain_text("วันรัฐธรรมนูญ")

    form = page.get_by_test_id("holiday-form")
    form.get_by_label("วันที่").fill("2026-12-02")
    form.get_by_label("ปิด (วันหยุดพิเศษ ไม่รับนัด)").check()
    form.get_by_label("เหตุผล (เช่น มติคณะรัฐมนตรี)").fill("วันหยุดพิเศษตามมติคณะรัฐมนตรี")
    form.get_by_role("button", name="บันทึก").click()
    expect(page.locator('[data-field-error="cancel_bookings"]')).to_contain_text("มีการจอง 1 รายการ")
    expect(page.get_by_test_id("holiday-bookings")).to_contain_text(reference)
    shot(page, "holidays-bookings-shown")

    page.get_by_label("ยกเลิกการจองในวันนั้นทั้งหมด และแจ้งส่วนราชการด้วยเหตุผลข้างต้น").check()
    page.get_by_test_id("holiday-form").get_by_role("button", name="บันทึก").click()
    expect(page.get_by_role("alert").first).to_contain_text("ปิดวันนี้แล้ว")
    expect(page.get_by_role("alert").first).to_contain_text("ยกเลิกการจอง 1 รายการ")
    expect(page.locator('[data-day="2026-12-02"]')).to_contain_text("วันหยุดพิเศษตามมติคณะรัฐมนตรี")
    shot(page, "holidays-closed")
