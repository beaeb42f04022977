"""A reader who switches to English sees ministries, departments and topics by their English names."""

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from tests import factories
from tests.browser.conftest import log_in, shot
from tests.factories import NOW

pytestmark = pytest.mark.browser

TOPIC = ("การปรับปรุงโครงสร้างการแบ่งส่วนราชการภายในกรม", "Restructuring of a department's internal divisions")
MINISTRY = ("กระทรวงอุตสาหกรรม", "Ministry of Industry")
DEPARTMENT = ("กรมโรงงานอุตสาหกรรม", "Department of Industrial Works")


def make_sessions(advisor_name: str = "นายสมชาย ใจดี") -> dict[str, str]:
    """A held session with a published record, and an upcoming one; the e-mails of the people in them."""
    topic = factories.make_topic(name_th=TOPIC[0], name_en=TOPIC[1])
    advisor = factories.make_user("advisor", name=advisor_name, expertise=[topic])
    ministry = factories.make_ministry(name_th=MINISTRY[0], name_en=MINISTRY[1], abbreviation="อก.")
    department = factories.make_department(ministry, name_th=DEPARTMENT[0], name_en=DEPARTMENT[1],
                                           abbreviation="กรอ.")
    officer = factories.make_user("officer", department=department, name="นายอนุชา โรงงานดี")
    held = factories.make_booking(factories.make_slot(advisor, NOW - timedelta(days=3)), officer, topic,
                                  status="confirmed")
    factories.make_published_record(held, advisor, items=[("ส่งร่างโครงสร้างฉบับปรับปรุง", "department")])
    factories.make_booking(factories.make_slot(advisor, NOW + timedelta(days=5)), officer, topic)
    admin = factories.make_user("admin", name="นางสาวดวงใจ ผู้ดูแล")
    return {"officer": officer.email, "admin": admin.email}


def switch_to_english(page: Page) -> None:
    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_officer_reads_the_case_file_in_english(page: Page, data):
    with data():
        people = make_sessions()

    log_in(page, people["officer"])
    page.goto("/casefile")
    switch_to_english(page)
    expect(page.get_by_role("heading", name="Department case file")).to_be_visible()
    expect(page.get_by_test_id("case-department")).to_have_text(f"{DEPARTMENT[1]} · {MINISTRY[1]}")
    bookings = page.get_by_test_id("case-bookings")
    expect(bookings.get_by_role("row")).to_have_count(3)  # the header and two bookings
    expect(bookings).to_contain_text(TOPIC[1])
    expect(page.locator("main")).not_to_contain_text(TOPIC[0])
    expect(page.locator("main")).not_to_contain_text(DEPARTMENT[0])
    expect(page.get_by_test_id("action-items-table")).to_contain_text("ส่งร่างโครงสร้างฉบับปรับปรุง")
    shot(page, "en-case-file")


def test_administrator_reads_the_report_in_english(page: Page, data):
    with data():
        people = make_sessions()

    log_in(page, people["admin"])
    page.goto("/admin/reports/sessions")
    switch_to_english(page)
    expect(page.get_by_role("heading", name="Consultation report")).to_be_visible()
    rows = page.get_by_test_id("report-rows")
    expect(rows.get_by_role("row")).to_have_count(3)
    expect(rows).to_contain_text(DEPARTMENT[1])
    expect(rows).to_contain_text(MINISTRY[1])
    expect(rows).to_contain_text(TOPIC[1])
    expect(page.locator("main")).not_to_contain_text(DEPARTMENT[0])

    # The filters name things in English too, and filtering by one keeps the page in English.
    page.get_by_label("Department", exact=True).select_option(label=DEPARTMENT[1])
    page.get_by_label("Topic", exact=True).select_option(label=TOPIC[1])
    page.get_by_role("button", name="Show report").click()
    expect(page.get_by_test_id("report-rows").get_by_role("row")).to_have_count(3)
    shot(page, "en-report")

    page.get_by_label("Ministry", exact=True).select_option(label="All")
    page.get_by_label("Status", exact=True).select_option(label="Declined")
    page.get_by_role("button", name="Show report").click()
    expect(page.locator('[data-empty="report-rows"]')).to_be_visible()
    expect(page.get_by_test_id("report-rows")).to_have_count(0)
