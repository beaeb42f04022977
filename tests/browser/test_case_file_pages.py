"""A long case file comes a page at a time, newest bookings first."""

from datetime import timedelta

from playwright.sync_api import Page, expect

from tests import factories
from tests.browser.conftest import log_in, shot
from tests.factories import NOW


def test_officer_pages_through_a_long_case_file(page: Page, data):
    with data():
        topic = factories.make_topic()
        advisor = factories.make_user("advisor", expertise=[topic])
        officer = factories.make_user("officer")
        references = []
        for i in range(25):  # created one minute apart: the last made is the newest
            slot = factories.make_slot(advisor, NOW - timedelta(days=30 - i))
            booking = factories.make_booking(slot, officer, topic, status="confirmed",
                                             created_at=NOW - timedelta(days=40, minutes=-i))
            references.append(booking.reference)
        email = officer.email
    log_in(page, email)
    page.goto("/casefile")
    table = page.get_by_test_id("case-bookings")
    expect(table.get_by_role("link", name=references[-1])).to_be_visible()  # the newest on the first page
    expect(table.get_by_role("link", name=references[0])).to_have_count(0)
    expect(page.get_by_text("หน้า 1 จาก 2")).to_be_visible()
    shot(page, "officer-casefile-page-1")
    page.get_by_role("link", name="ถัดไป").click()
    expect(page.get_by_text("หน้า 2 จาก 2")).to_be_visible()
    expect(table.get_by_role("link", name=references[0])).to_be_visible()  # the oldest on the last
    shot(page, "officer-casefile-page-2")
