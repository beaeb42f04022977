"""An officer books a session with the keyboard alone: the skip link, Tab, typing and Enter; focus is always visible."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from tests import factories
from tests.browser.conftest import log_in, shot
from tests.factories import NOW

pytestmark = pytest.mark.browser


def tab_to(page: Page, predicate: str, limit: int = 60) -> None:
    """Press Tab until the focused element satisfies the JavaScript predicate `el => ...`; each focused element
    shows a focus ring (an outline or a box shadow)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(f"""() => {{
            const el = document.activeElement, s = getComputedStyle(el);
            return {{match: ({predicate})(el),
                     ring: (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none'}};
        }}""")
        assert focused["ring"], "the focused element shows no focus ring"
        if focused["match"]:
            return
    raise AssertionError(f"Tab never reached {predicate}")


def test_officer_books_with_the_keyboard_alone(page: Page, data):
    with data():
        topic = factories.make_topic(name_th="การปรับปรุงโครงสร้างการแบ่งส่วนราชการภายในกรม")
        officer = factories.make_user("officer", name="นายอนุชา โรงงานดี")
        advisor = factories.make_user("advisor", name="นายสมชาย ใจดี", expertise=[topic])
        factories.make_slot(advisor, NOW + timedelta(days=7))
        email, topic_id = officer.email, topic.id

    log_in(page, email)
    page.goto(f"/book/{topic_id}")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="ข้ามไปยังเนื้อหาหลัก")).to_be_focused()
    page.keyboard.press("Enter")
    tab_to(page, "el => el.textContent.trim() === 'จอง'")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="จองช่วงเวลาขอรับคำปรึกษา")).to_be_visible()
    tab_to(page, "el => el.name === 'request_details'")
    page.keyboard.type("ขอคำปรึกษาการจัดตั้งกองใหม่")
    tab_to(page, "el => el.name === 'attendees-0-name'")
    page.keyboard.type("นางสาวกานดา วางแผนดี")
    page.keyboard.press("Tab")
    page.keyboard.type("นักวิเคราะห์นโยบายและแผน")
    shot(page, "keyboard-booking-form")
    tab_to(page, "el => el.type === 'submit'")
    page.keyboard.press("Enter")

    expect(page.get_by_role("alert")).to_contain_text("ส่งคำขอจองแล้ว")
    expect(page.get_by_test_id("reference")).to_have_text(re.compile(r"^OPDC-"))
