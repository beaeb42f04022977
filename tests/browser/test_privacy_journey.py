"""An officer signs in for the first time: the privacy notice comes first; they acknowledge it, land where they were
going, open "My data" from their menu, read it, and download it as JSON. The next sign-in goes straight in."""

import json
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from tests import factories
from tests.browser.conftest import log_out, shot
from tests.factories import NOW, PASSWORD

pytestmark = pytest.mark.browser


def sign_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("อีเมล").fill(email)
    page.get_by_label("รหัสผ่าน").fill(PASSWORD)
    page.get_by_role("button", name="เข้าสู่ระบบ").click()


def test_first_sign_in_shows_the_notice_then_the_officer_downloads_their_data(page: Page, data):
    with data():
        department = factories.make_department(name_th="กรมโรงงานอุตสาหกรรม")
        topic = factories.make_topic(name_th="การมอบอำนาจ")
        advisor = factories.make_user("advisor", name="นายสมชาย ใจดี", expertise=[topic])
        officer = factories.make_user("officer", department=department, name="นายอนุชา โรงงานดี",
                                      email="anucha@diw.go.th", privacy_notice_version=None,
                                      privacy_notice_acknowledged_at=None)
        reference = factories.make_booking(factories.make_slot(advisor, NOW + timedelta(days=7)), officer, topic,
                                           request_details="ขอคำปรึกษาเรื่องการมอบอำนาจ").reference

    page.goto("/login")
    expect(page.get_by_test_id("privacy-link")).to_be_visible()
    sign_in(page, "anucha@diw.go.th")
    expect(page.get_by_role("heading", name="ประกาศความเป็นส่วนตัว")).to_be_visible()
    expect(page.get_by_test_id("notice-first-time")).to_be_visible()
    expect(page.get_by_test_id("privacy-notice")).to_contain_text("ฐานทางกฎหมาย")
    shot(page, "privacy-notice-first-sign-in")
    page.get_by_role("button", name="รับทราบ").click()
    expect(page.get_by_role("heading", name="สิ่งที่ต้องทำ")).to_be_visible()  # the officer's home page

    page.get_by_test_id("who").click()
    page.get_by_test_id("my-data-link").click()
    expect(page.get_by_role("heading", name="ข้อมูลของฉัน")).to_be_visible()
    expect(page.get_by_test_id("my-bookings")).to_contain_text(reference)
    expect(page.get_by_test_id("my-bookings")).to_contain_text("นายทดสอบ ระบบ")
    expect(page.get_by_test_id("my-events")).to_contain_text("รับทราบประกาศความเป็นส่วนตัว")
    shot(page, "privacy-my-data")
    with page.expect_download() as download_info:
        page.get_by_test_id("download-json").click()
    download = download_info.value
    assert download.suggested_filename.startswith("my-data-") and download.suggested_filename.endswith(".json")
    with open(download.path(), encoding="utf-8") as file:
        exported = json.load(file)
    assert exported["profile"]["email"] == "anucha@diw.go.th"
    assert [b["reference"] for b in exported["bookings"]] == [reference]

    log_out(page)
    sign_in(page, "anucha@diw.go.th")  # acknowledged once: straight in
    expect(page.get_by_role("heading", name="สิ่งที่ต้องทำ")).to_be_visible()  # the officer's home page
