"""An officer whose department waits for a full slot joins its waitlist; another officer moves their booking out of
that slot to another one (keeping the reference); the waiting officer is offered the freed seat and claims it."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from tests import factories
from tests.browser.conftest import log_in, log_out, shot
from tests.factories import NOW

pytestmark = pytest.mark.browser

TOPIC = "การปรับปรุงโครงสร้างการแบ่งส่วนราชการภายในกรม"


def test_officer_reschedules_and_a_second_officer_claims_the_freed_seat_from_the_waitlist(page: Page, data):
    with data():
        topic = factories.make_topic(name_th=TOPIC)
        ministry = factories.make_ministry(name_th="กระทรวงอุตสาหกรรม")
        diw = factories.make_department(ministry, name_th="กรมโรงงานอุตสาหกรรม", abbreviation="กรอ.")
        dip = factories.make_department(ministry, name_th="กรมส่งเสริมอุตสาหกรรม", abbreviation="กสอ.")
        mover = factories.make_user("officer", department=diw, name="นายอนุชา โรงงานดี", email="officer@diw.go.th")
        waiter = factories.make_user("officer", department=dip, name="นางพิมพ์ ส่งเสริม", email="officer@dip.go.th")
        advisor = factories.make_user("advisor", name="นายสมชาย ใจดี", expertise=[topic])
        # Wednesday 2 December 2026, 10:00 (full: one seat, booked by กรอ.); Thursday 3 December, 10:00 (open).
        full = factories.make_slot(advisor, NOW + timedelta(days=7))
        factories.make_slot(advisor, NOW + timedelta(days=8), location="ห้องประชุม 2")
        booking = factories.make_booking(full, mover, topic, reference="OPDC-2570-MOVE01")
        ids = {"topic": topic.id, "full": full.id, "booking": booking.id}
        mover_email, waiter_email = mover.email, waiter.email

    # The second officer opens the full slot: no form to fill in, the waitlist and other slots instead.
    log_in(page, waiter_email)
    page.goto(f"/book/{ids['topic']}/slots/{ids['full']}")
    expect(page.get_by_role("heading", name="ช่วงเวลานี้เต็มแล้ว")).to_be_visible()
    expect(page.get_by_test_id("slot-full")).to_be_visible()
    expect(page.get_by_role("button", name="ยืนยันการจอง")).to_have_count(0)
    expect(page.get_by_test_id("other-slots")).to_contain_text("พฤ. 3 ธ.ค. 2569")
    page.get_by_label("เรื่องที่ต้องการรับคำปรึกษา").fill("ขอคำปรึกษาการรวมกองในร่างกฎกระทรวง")
    page.get_by_label("ชื่อ-นามสกุล").first.fill("นางสาวกานดา วางแผนดี")
    page.get_by_label("ตำแหน่ง").first.fill("นักวิเคราะห์นโยบายและแผน")
    shot(page, "waitlist-full-slot")
    page.get_by_role("button", name="เข้ารายการรอ").click()
    expect(page.get_by_role("alert")).to_contain_text("เข้ารายการรอแล้ว")
    expect(page.get_by_test_id("waitlist")).to_contain_text("รอลำดับที่ 1")
    shot(page, "waitlist-waiting")
    log_out(page)

    # The first officer moves their booking to Thursday from the booking's page.
    log_in(page, mover_email)
    page.goto(f"/bookings/{ids['booking']}")
    page.get_by_test_id("reschedule-link").click()
    expect(page.get_by_role("heading", name="เลื่อนนัด")).to_be_visible()
    row = page.get_by_test_id("reschedule-slots").locator("tbody tr").first
    expect(row).to_contain_text("พฤ. 3 ธ.ค. 2569")
    row.get_by_role("radio").check()
    shot(page, "reschedule-choose")
    page.get_by_role("button", name="ยืนยันการเลื่อนนัด").click()
    expect(page.get_by_role("alert")).to_contain_text("เลื่อนนัดแล้ว")
    expect(page.get_by_test_id("reference")).to_have_text("OPDC-2570-MOVE01")
    expect(page.get_by_test_id("when")).to_contain_text("3 ธันวาคม 2569")
    expect(page.get_by_test_id("moves")).to_contain_text("นายอนุชา โรงงานดี")
    shot(page, "reschedule-done")
    log_out(page)

    # The waiting officer is offered the freed seat and claims it with one click.
    log_in(page, waiter_email)
    page.get_by_role("link", name="รายการรอ").click()
    offered = page.get_by_test_id("waitlist").locator('tr[data-status="offered"]')
    expect(offered).to_contain_text("มีที่ว่าง ยืนยันได้ถึง")
    shot(page, "waitlist-offered")
    offered.get_by_role("button", name="รับที่นั่งนี้").click()
    expect(page.get_by_role("alert")).to_contain_text("รับที่นั่งแล้ว")
    expect(page.get_by_test_id("reference")).to_have_text(re.compile(r"^OPDC-2570-[A-Z2-9]{6}$"))
    expect(page.get_by_test_id("when")).to_contain_text("2 ธันวาคม 2569")
    expect(page.get_by_test_id("receipt")).to_contain_text("นางสาวกานดา วางแผนดี")
    shot(page, "waitlist-claimed")
