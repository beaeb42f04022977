"""Every role's main pages, at desktop (1366x768) and phone (390x844) width, in Thai and in English: axe-core finds no
serious or critical WCAG 2.1 AA violation and nothing scrolls sideways. With PAGE_SCREENSHOTS=1, a screenshot of each
is kept in tests/screenshots/pages/ for a person to look at."""

import os
from datetime import timedelta

import pytest
from playwright.sync_api import Page

from tests import factories
from tests.browser.audit import WIDTHS, axe_violations, horizontal_overflow
from tests.browser.conftest import log_in, log_out, shot
from tests.factories import NOW

pytestmark = pytest.mark.browser


def make_clinic() -> dict:
    """One ministry with two departments, an advisor with a pending request, a held session with a published record
    and one still to record, and an open slot; the people and the addresses of their main pages."""
    topic = factories.make_topic(name_th="การปรับปรุงโครงสร้างการแบ่งส่วนราชการภายในกรม",
                                 name_en="Restructuring of a department's internal divisions")
    ministry = factories.make_ministry(name_th="กระทรวงอุตสาหกรรม", name_en="Ministry of Industry", abbreviation="อก.")
    department = factories.make_department(ministry, name_th="กรมโรงงานอุตสาหกรรม",
                                           name_en="Department of Industrial Works", abbreviation="กรอ.")
    factories.make_department(ministry, name_th="กรมส่งเสริมอุตสาหกรรม", name_en="Department of Industrial Promotion",
                              abbreviation="กสอ.")
    officer = factories.make_user("officer", department=department, name="นายอนุชา โรงงานดี")
    coordinator = factories.make_user("coordinator", ministry=ministry, name="นางสาวปรียา ประสานงาน")
    advisor = factories.make_user("advisor", name="นายสมชาย ใจดี", expertise=[topic])
    admin = factories.make_user("admin", name="นางสาวดวงใจ ผู้ดูแล")
    held = factories.make_booking(factories.make_slot(advisor, NOW - timedelta(days=6)), officer, topic,
                                  status="confirmed")
    factories.make_published_record(held, advisor, items=[
        ("ส่งร่างโครงสร้างฉบับปรับปรุงให้สำนักงาน ก.พ.ร. พิจารณาอีกครั้งภายในเดือนธันวาคม", "department"),
        ("จัดทำตารางเปรียบเทียบภารกิจเดิมและภารกิจใหม่", "opdc"),
    ])
    unrecorded = factories.make_booking(factories.make_slot(advisor, NOW - timedelta(days=2)), officer, topic,
                                        status="confirmed")
    pending = factories.make_booking(factories.make_slot(advisor, NOW + timedelta(days=5)), officer, topic)
    open_slot = factories.make_slot(advisor, NOW + timedelta(days=7), location="ห้องประชุม 1 ชั้น 8")
    return {
        "officer": (officer.email, ["/", "/book", f"/book/{topic.id}", f"/book/{topic.id}/slots/{open_slot.id}",
                                    f"/bookings/{held.id}", f"/bookings/{pending.id}", "/casefile",
                                    "/account/password"]),
        "coordinator": (coordinator.email, ["/", f"/casefile?department={department.id}"]),
        "advisor": (advisor.email, ["/", "/advisor/sessions", "/advisor/week", "/advisor/availability",
                                    "/advisor/leave", "/advisor/slots/new", "/cases", f"/bookings/{pending.id}",
                                    f"/bookings/{unrecorded.id}/record", f"/bookings/{held.id}",
                                    "/advisor/calendar-feed"]),
        "admin": (admin.email, ["/", "/admin/reports/sessions", "/admin/users", "/admin/users/invite",
                                f"/admin/users/{officer.id}", "/admin/audit", "/admin/mail", "/admin/advisors",
                                f"/admin/advisors/{advisor.id}/availability", "/cases"]),
    }


def slug(path: str) -> str:
    return path.strip("/").replace("/", "-").replace("?", "-").replace("=", "-") or "home"


def check_pages(page: Page, role: str, paths: list[str], problems: list[str]) -> None:
    for language in ("th", "en"):
        page.goto(f"/language/{language}?next=/")
        for width, viewport in WIDTHS.items():
            page.set_viewport_size(viewport)
            for path in paths:
                response = page.goto(path)
                assert response is not None and response.status == 200, f"{role} {path}: {response and response.status}"
                page.wait_for_load_state("load")
                where = f"{role} {path} [{language}, {width}]"
                problems.extend(f"{where}: {v}" for v in axe_violations(page))
                if (overflow := horizontal_overflow(page)) > 0:
                    problems.append(f"{where}: {overflow}px wider than the window")
                if os.environ.get("PAGE_SCREENSHOTS"):  # 150 full-page screenshots: on request, not in every run
                    shot(page, f"pages/{role}-{slug(path)}-{language}-{width}")
    page.set_viewport_size(WIDTHS["desktop"])
    page.goto("/language/th?next=/")


def test_every_main_page_passes_axe_and_fits_a_phone_in_both_languages(page: Page, data):
    with data():
        people = make_clinic()
    problems: list[str] = []
    check_pages(page, "visitor", ["/", "/login", "/account/password/forgot"], problems)
    for role, (email, paths) in people.items():
        log_in(page, email)
        check_pages(page, role, paths, problems)
        log_out(page)
    assert not problems, "\n".join(problems)
