"""An advisor sets weekly hours and a day off, and finds the generated slots in the week view."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests import factories
from tests.browser.conftest import log_in, shot

pytestmark = pytest.mark.browser

ADVISOR_EMAIL = "somchai@opdc.go.th"


def day_column(page: Page, label: str):
    return page.locator(".week-day").filter(has=page.locator(".week-day-header", has_text=label))


def test_advisor_sets_weekly_hours_and_a_day_off_and_sees_the_slots(page: Page, data):
    with data():
        topic = factories.make_topic(name_th="การปรับปรุงโครงสร้างการแบ่งส่วนราชการภายในกรม")
        factories.make_user("advisor", name="นายสมชาย ใจดี", email=ADVISOR_EMAIL, expertise=[topic])

    log_in(page, ADVISOR_EMAIL)
    page.get_by_role("link", name="เวลาให้คำปรึกษา").first.click()
    expect(page.get_by_role("heading", name="เวลาให้คำปรึกษา", exact=True)).to_be_visible()
    expect(page.get_by_test_id("generated-count")).to_contain_text(": 0 ช่วง")

    # A mistake first: overlapping ranges on Monday are refused next to Monday, and nothing is saved.
    form = page.get_by_test_id("availability-form")
    form.get_by_label("วันจันทร์").fill("09:00-12:00, 11:00-13:00")
    form.get_by_label("ห้องประชุม").fill("ห้องประชุม 2 ชั้น 8")
    form.get_by_role("button", name="บันทึกเวลาให้คำปรึกษา").click()
    expect(page.locator('[data-field-error="mon"]')).to_have_text("ช่วง 09:00-12:00 ซ้อนกับช่วง 11:00-13:00")
    expect(form.get_by_label("วันจันทร์")).to_have_class(re.compile("is-invalid"))

    # Weekday mornings, and Thursday afternoons too: one-hour sessions with a quarter of an hour between them.
    form = page.get_by_test_id("availability-form")
    for weekday in ("วันจันทร์", "วันอังคาร", "วันพุธ", "วันศุกร์"):
        form.get_by_label(weekday).fill("09:00-12:00")
    form.get_by_label("วันพฤหัสบดี").fill("09:00-12:00, 13:00-16:00")
    form.get_by_label("เวลาให้คำปรึกษาครั้งละ (นาที)").fill("60")
    form.get_by_label("เวลาพักระหว่างครั้ง (นาที)").fill("15")
    form.get_by_label("จำนวนส่วนราชการที่รับได้ต่อครั้ง").fill("2")
    form.get_by_role("button", name="บันทึกเวลาให้คำปรึกษา").click()
    expect(page.get_by_role("alert").first).to_contain_text("บันทึกเวลาให้คำปรึกษาแล้ว · เปิดช่วงเวลาใหม่")
    expect(page.get_by_test_id("availability-form").get_by_label("วันพฤหัสบดี")).to_have_value(
        "09:00-12:00, 13:00-16:00"
    )

    # Wednesday 2 December off.
    dates = page.get_by_test_id("date-form")
    dates.get_by_label("วันที่", exact=True).fill("2026-12-02")
    dates.get_by_label("วันหยุด (ไม่รับนัด)").check()
    dates.get_by_label("หมายเหตุ").fill("ประชุม อ.ก.พ.ร.")
    dates.get_by_role("button", name="เพิ่มวันที่").click()
    expect(page.get_by_role("alert").first).to_contain_text("บันทึกวันที่กำหนดเป็นพิเศษแล้ว · เปิดช่วงเวลาใหม่ 0 ช่วง ถอน 2 ช่วง")
    overrides = page.get_by_test_id("overrides")
    expect(overrides).to_contain_text("พ. 2 ธ.ค. 2569")
    expect(overrides).to_contain_text("ประชุม อ.ก.พ.ร.")
    shot(page, "advisor-availability")

    # The week of 30 November: two morning sessions a day, four on Thursday, none on the day off.
    page.get_by_role("link", name="ปฏิทินรายสัปดาห์").first.click()
    page.goto("/advisor/week?start=2026-11-30")
    expect(page.get_by_role("heading", name="สัปดาห์ของ 30 พ.ย. 2569")).to_be_visible()
    tuesday = day_column(page, "อ. 1 ธ.ค. 2569")
    expect(tuesday.locator(".week-event")).to_have_count(2)
    expect(tuesday).to_contain_text("09:00 น. – 10:00 น.")
    expect(tuesday).to_contain_text("10:15 น. – 11:15 น.")
    expect(tuesday).to_contain_text("ณ ห้องประชุม 2 ชั้น 8")
    expect(tuesday).to_contain_text("ว่าง (2)")
    expect(day_column(page, "พ. 2 ธ.ค. 2569").locator(".week-event")).to_have_count(0)
    thursday = day_column(page, "พฤ. 3 ธ.ค. 2569")
    expect(thursday.locator(".week-event")).to_have_count(4)
    expect(thursday).to_contain_text("14:15 น. – 15:15 น.")
    shot(page, "advisor-week-generated")

    # The next week: Monday 7 December is the substitute holiday for Father's Day, Thursday 10 Constitution Day.
    page.get_by_role("link", name="สัปดาห์ถัดไป").click()
    expect(page.get_by_role("heading", name="สัปดาห์ของ 7 ธ.ค. 2569")).to_be_visible()
    expect(day_column(page, "จ. 7 ธ.ค. 2569").locator(".week-event")).to_have_count(0)
    expect(day_column(page, "พฤ. 10 ธ.ค. 2569").locator(".week-event")).to_have_count(0)
    expect(day_column(page, "อ. 8 ธ.ค. 2569").locator(".week-event")).to_have_count(2)
