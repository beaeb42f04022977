"""The booking page loads with no external request and weighs under 300 KB compressed; the receipt, the record and
the advisor's week print on A4 without the menus and buttons."""

import gzip
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from tests import factories
from tests.browser.conftest import log_in, shot
from tests.factories import NOW

pytestmark = pytest.mark.browser
BUDGET = 300 * 1024


def test_the_booking_page_is_light_and_makes_no_external_request(page: Page, data, base_url):
    with data():
        topic = factories.make_topic()
        officer = factories.make_user("officer")
        advisor = factories.make_user("advisor", expertise=[topic])
        url = f"/book/{topic.id}/slots/{factories.make_slot(advisor, NOW + timedelta(days=7)).id}"
        email = officer.email
    log_in(page, email)
    responses = []
    page.on("response", lambda response: responses.append(response))
    page.goto(url)
    page.wait_for_load_state("networkidle")
    assert responses and all(r.url.startswith(base_url) for r in responses), [r.url for r in responses]
    # Every font file the page may ask for (unicode ranges), whether or not this page's text needed it.
    fonts = [f"/static/fonts/sarabun/sarabun-{script}-{weight}-normal.woff2" for script in ("thai", "latin")
             for weight in (400, 600, 700)]
    bodies = {r.url: page.request.get(r.url).body() for r in responses if r.status == 200}
    for font in fonts:
        if not any(font in u for u in bodies):
            bodies[font] = page.request.get(font).body()
    compressed = sum(len(gzip.compress(body, 6)) for body in bodies.values())
    assert compressed < BUDGET, f"{compressed} bytes: " + ", ".join(f"{u} {len(b)}" for u, b in bodies.items())


def test_receipt_record_and_week_print_without_the_page_around_them(page: Page, data):
    with data():
        topic = factories.make_topic(name_th="การปรับปรุงโครงสร้างการแบ่งส่วนราชการภายในกรม")
        officer = factories.make_user("officer", name="นายอนุชา โรงงานดี")
        advisor = factories.make_user("advisor", name="นายสมชาย ใจดี", expertise=[topic])
        held = factories.make_booking(factories.make_slot(advisor, NOW - timedelta(days=1)), officer, topic,
                                      status="confirmed")
        factories.make_published_record(held, advisor, items=[("ส่งร่างโครงสร้างฉบับปรับปรุง", "department")])
        booking_id, officer_email, advisor_email = held.id, officer.email, advisor.email

    log_in(page, officer_email)
    page.goto(f"/bookings/{booking_id}")
    page.emulate_media(media="print")
    expect(page.locator("nav.navbar")).to_be_hidden()
    expect(page.get_by_test_id("receipt")).to_be_visible()
    expect(page.get_by_test_id("record")).to_be_visible()
    assert page.locator("main button:visible").count() == 0
    shot(page, "print-receipt-and-record")
    assert page.pdf(format="A4")[:4] == b"%PDF"

    page.emulate_media(media="screen")
    page.get_by_test_id("who").click()
    page.get_by_role("button", name="ออกจากระบบ").click()
    log_in(page, advisor_email)
    page.goto("/advisor/week?start=2026-11-23")
    page.emulate_media(media="print")
    expect(page.locator(".week-event")).to_have_count(1)
    expect(page.locator(".week-event")).to_be_visible()
    shot(page, "print-week-agenda")
