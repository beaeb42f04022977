"""Each role's home page says what needs doing."""

import re
from datetime import timedelta

from clinic.extensions import db
from clinic.records.models import ActionItem
from tests import factories
from tests.factories import NOW


def rows(page: str, testid: str) -> str:
    found = re.search(rf'data-testid="{testid}">(.*?)</table>', page, re.S)
    return found.group(1) if found else ""


def overdue(record, days: int = 3) -> None:
    for item in record.action_items:
        item.due_on = (NOW - timedelta(days=days)).date()
    db.session.flush()


def test_officer_home_lists_upcoming_sessions_and_open_steps_overdue_first(app, login, officer, advisor, topic):
    coming = factories.make_booking(factories.make_slot(advisor, NOW + timedelta(days=5)), officer, topic)
    held = factories.make_booking(factories.make_slot(advisor, NOW - timedelta(days=9)), officer, topic,
                                  status="confirmed")
    late = factories.make_published_record(held, advisor, items=[("ส่งร่างโครงสร้าง", "department")])
    overdue(late)
    other = factories.make_booking(factories.make_slot(advisor, NOW - timedelta(days=2)), officer, topic,
                                   status="confirmed")
    factories.make_published_record(other, advisor, items=[("จัดทำตารางเปรียบเทียบ", "department")])
    page = login(officer).get("/").get_data(as_text=True)
    assert coming.reference in rows(page, "home-upcoming") and held.reference not in rows(page, "home-upcoming")
    steps = rows(page, "home-steps")
    assert steps.index("ส่งร่างโครงสร้าง") < steps.index("จัดทำตารางเปรียบเทียบ")
    assert steps.count("data-overdue") == 1 and held.reference in steps  # tied to its session


def test_coordinator_home_is_the_ministry_overview(app, login, coordinator, ministry, officer, advisor, topic):
    sister = factories.make_department(ministry, name_th="กรมส่งเสริมอุตสาหกรรม")
    page = login(coordinator).get("/").get_data(as_text=True)
    overview = rows(page, "home-ministry")
    assert f'data-department="{officer.department_id}"' in overview and f'data-department="{sister.id}"' in overview


def test_advisor_home_tells_recorded_from_unrecorded_and_offers_no_record_button_before_the_session(
        app, login, advisor, officer, topic):
    pending = factories.make_booking(factories.make_slot(advisor, NOW + timedelta(days=5)), officer, topic)
    future = factories.make_booking(factories.make_slot(advisor, NOW + timedelta(days=6)), officer, topic,
                                    status="confirmed")
    recorded = factories.make_booking(factories.make_slot(advisor, NOW - timedelta(days=3)), officer, topic,
                                      status="confirmed")
    overdue(factories.make_published_record(recorded, advisor, items=[("ส่งร่างโครงสร้าง", "department")]))
    unrecorded = factories.make_booking(factories.make_slot(advisor, NOW - timedelta(days=1)), officer, topic,
                                        status="confirmed")
    client = login(advisor)
    page = client.get("/").get_data(as_text=True)
    assert pending.reference in rows(page, "home-pending")
    held = rows(page, "home-held")
    assert f'data-booking="{recorded.id}" data-record-state="published"' in held
    assert f'data-booking="{unrecorded.id}" data-record-state="none"' in held
    assert f"/bookings/{unrecorded.id}/record" in held and f"/bookings/{recorded.id}/record" not in held
    assert f"/bookings/{future.id}/record" not in page
    assert recorded.reference in rows(page, "home-overdue")
    # the booking page of a future session offers no record button either
    assert f"/bookings/{future.id}/record" not in client.get(f"/bookings/{future.id}").get_data(as_text=True)
    assert f"/bookings/{unrecorded.id}/record" in client.get(f"/bookings/{unrecorded.id}").get_data(as_text=True)


def test_administrator_home_outlines_the_month(app, login, admin, advisor, officer, topic):
    factories.make_booking(factories.make_slot(advisor, NOW + timedelta(days=1)), officer, topic)
    held = factories.make_booking(factories.make_slot(advisor, NOW - timedelta(days=1)), officer, topic,
                                  status="confirmed")
    factories.make_booking(factories.make_slot(advisor, NOW + timedelta(days=20)), officer, topic)  # December
    assert held.id and db.session.query(ActionItem).count() == 0
    page = login(admin).get("/").get_data(as_text=True)
    assert "ภาพรวมเดือน พฤศจิกายน 2569" in page
    assert re.search(r'data-figure="total">2<', page) and re.search(r'data-figure="unrecorded">1<', page)
    assert re.search(r'data-figure="departments">1<', page)
