"""An administrator makes a service token for a department and sees it once; the department's system uses it
against the API; the administrator revokes it and the next call is refused. The API's reference page renders under
the strict Content Security Policy."""

import pytest
from playwright.sync_api import Page, expect

from tests import factories
from tests.browser.conftest import log_in, shot

pytestmark = pytest.mark.browser


def test_a_service_token_is_made_used_and_revoked(page: Page, data, live):
    with data():
        industry = factories.make_ministry(name_th="กระทรวงอุตสาหกรรม", name_en="Ministry of Industry")
        factories.make_department(industry, name_th="กรมโรงงานอุตสาหกรรม", name_en="Department of Industrial Works")
        factories.make_topic(name_th="การมอบอำนาจ")
        admin_email = factories.make_user("admin", name="นางสาวดวงใจ ผู้ดูแล", email="admin@opdc.go.th").email

    log_in(page, admin_email)
    page.get_by_test_id("manage-menu").click()
    page.get_by_role("link", name="โทเค็น API ของหน่วยงาน").click()
    page.get_by_label("ชื่อโทเค็น (ระบบที่ใช้)").fill("i-Industry")
    page.get_by_label("กระทรวงหรือกรม").select_option(label="— กรมโรงงานอุตสาหกรรม")
    page.get_by_label("อ่าน (read)", exact=False).check()
    page.get_by_role("button", name="สร้างโทเค็น").click()
    secret = page.get_by_test_id("token-secret").locator("input").input_value()
    assert secret.startswith("opdc_")
    expect(page.get_by_test_id("api-tokens")).to_contain_text("กรมโรงงานอุตสาหกรรม")
    shot(page, "api-service-tokens")

    api = page.context.request
    answer = api.get("/api/v1/organisations", headers={"Authorization": f"Bearer {secret}"})
    assert answer.status == 200 and answer.json()[0]["departments"][0]["name_th"] == "กรมโรงงานอุตสาหกรรม"

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="เพิกถอน").click()
    expect(page.get_by_test_id("api-tokens")).to_contain_text("เพิกถอนแล้ว")
    refused = api.get("/api/v1/organisations", headers={"Authorization": f"Bearer {secret}", "Accept-Language": "en"})
    assert refused.status == 401 and refused.json()["detail"] == "This token has been revoked."


def test_the_reference_page_renders_under_the_strict_policy(page: Page, live):
    violations = []
    page.on("console", lambda message: violations.append(message.text) if "Content Security Policy" in message.text
            else None)
    page.goto("/api/v1/docs")
    expect(page.get_by_text("OPDC consultation clinic API").first).to_be_visible()
    expect(page.get_by_text("/bookings/{booking_id}/cancel").first).to_be_visible()
    shot(page, "api-docs")
    assert violations == []
