"""An administrator reads the sessions report, filters it and downloads it as CSV."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests import factories
from tests.browser.conftest import log_in, shot
from tests.factories import NOW

pytestmark = pytest.mark.browser

BOM = b"\xef\xbb\xbf"


def test_admin_filters_the_sessions_report_and_downloads_it_as_csv(page: Page, data, tmp_path):
    with data():
        topic = factories.make_topic(name_th="การปรับปรุงโครงสร้างการแบ่งส่วนราชการภายในกรม")
        advisor = factories.make_user("advisor", name="นายสมชาย ใจดี", expertise=[topic])
        industry = factories.make_department(
            factories.make_ministry(name_th="กระทรวงอุตสาหกรรม"), name_th="กรมโรงงานอุตสาหกรรม", abbreviation="กรอ."
        )
        interior = factories.make_department(
            factories.make_ministry(name_th="กระทรวงมหาดไทย"), name_th="กรมการปกครอง", abbreviation="ปค."
        )
        references = {}
        for days, department in ((1, industry), (2, interior)):
            officer = factories.make_user("officer", department=department)
            slot = factories.make_slot(advisor, NOW - timedelta(days=days))
            booking = factories.make_booking(slot, officer, topic, status="confirmed")
            factories.make_published_record(booking, advisor)
            references[department.name_th] = booking.reference
        admin_email = factories.make_user("admin", name="นางสาวดวงใจ ผู้ดูแล", email="admin@opdc.go.th").email

    log_in(page, admin_email)
    expect(page.get_by_role("heading", name=re.compile("^ภาพรวมเดือน"))).to_be_visible()  # the outline of the month
    page.get_by_role("link", name="รายงานการให้คำปรึกษา").first.click()
    expect(page).to_have_url(re.compile(r"/admin/reports/sessions"))
    expect(page.get_by_role("heading", name="รายงานการให้คำปรึกษา")).to_be_visible()
    shot(page, "admin-report")

    # Filter by department: only กรมโรงงานอุตสาหกรรม's session is listed.
    department_filter = page.get_by_label("ส่วนราชการ", exact=True)
    expect(department_filter).to_be_visible()
    department_filter.select_option(label="กรมโรงงานอุตสาหกรรม")
    page.get_by_role("button", name=re.compile("แสดง|ค้นหา|กรอง|ดูรายงาน")).click()
    expect(page.locator("main")).to_contain_text(references["กรมโรงงานอุตสาหกรรม"])
    expect(page.locator("main")).not_to_contain_text(references["กรมการปกครอง"])
    shot(page, "admin-report-filtered")

    # The CSV holds the same rows, opens in Excel with Thai intact (UTF-8 with a BOM).
    csv_control = page.get_by_role("link", name=re.compile("CSV")).or_(
        page.get_by_role("button", name=re.compile("CSV"))
    )
    with page.expect_download() as download_info:
        csv_control.first.click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    path = Path(tmp_path) / download.suggested_filename
    download.save_as(path)
    raw = path.read_bytes()
    assert raw.startswith(BOM)
    text = raw[len(BOM) :].decode("utf-8")
    assert "กรมโรงงานอุตสาหกรรม" in text
    assert references["กรมโรงงานอุตสาหกรรม"] in text
    assert references["กรมการปกครอง"] not in text
