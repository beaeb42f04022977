"""Audit of access: sign-ins, refusals, downloads, OPDC reading a department's data, and the log at /admin/audit."""

from datetime import timedelta

import pytest
from flask_babel import refresh
from sqlalchemy import insert, select

from clinic.audit.models import AuditEvent
from clinic.extensions import db
from tests.factories import NOW
from tests.helpers import counted_queries


def events(action: str) -> list[AuditEvent]:
    db.session.rollback()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_signing_in_is_recorded(login, officer):
    login(officer)
    [event] = events("user.signed_in")
    assert (event.actor_id, event.object_type, event.object_id) == (officer.id, "users", officer.id)


def test_a_failed_sign_in_is_recorded_although_the_page_answers_422(client, officer):
    db.session.commit()
    wrong = client.post("/login", data={"email": "Officer@diw.go.th", "password": "not the password at all"})
    unknown = client.post("/login", data={"email": "nobody@diw.go.th", "password": "not the password at all"})
    assert wrong.status_code == unknown.status_code == 422
    first, second = events("user.sign_in_failed")
    assert (first.actor_id, first.object_id, first.details) == (None, officer.id, {"email": "officer@diw.go.th"})
    assert (second.actor_id, second.object_type, second.object_id) == (None, "users", None)
    assert "not the password" not in str(first.details) + str(second.details)


def test_a_403_is_recorded_with_its_endpoint_and_path(login, officer):
    assert login(officer).get("/admin/audit").status_code == 403
    [event] = events("access.refused")
    assert event.actor_id == officer.id
    assert event.details == {"endpoint": "audit.index", "method": "GET", "path": "/admin/audit"}


def test_opdc_reading_a_booking_and_case_file_is_recorded_but_not_the_department(login, officer, advisor, booking):
    client = login(officer)
    assert client.get(f"/bookings/{booking.id}").status_code == 200
    assert client.get("/casefile").status_code == 200
    assert events("booking.viewed") == events("case_file.viewed") == []
    client = login(advisor)
    assert client.get(f"/bookings/{booking.id}").status_code == 200
    assert client.get(f"/casefile?department={booking.department_id}").status_code == 200
    [viewed] = events("booking.viewed")
    [case] = events("case_file.viewed")
    assert (viewed.actor_id, viewed.object_id, viewed.department_id) == (advisor.id, booking.id, booking.department_id)
    assert (case.actor_id, case.object_type, case.object_id) == (advisor.id, "departments", booking.department_id)


def add_events(count: int) -> None:
    db.session.execute(insert(AuditEvent), [
        {"occurred_at": NOW - timedelta(minutes=i // 3), "action": "booking.viewed", "object_type": "bookings",
         "object_id": i, "details": {"n": i}} for i in range(count)
    ])
    db.session.commit()


def test_the_log_pages_by_keyset_without_missing_or_repeating_rows(login, admin):
    add_events(130)  # three events share each minute: the id breaks the ties
    client = login(admin)
    seen, url = [], "/admin/audit?action=booking.viewed"
    while url:
        page = client.get(url).get_data(as_text=True)
        seen += [int(part.split('"')[0]) for part in page.split('data-event="')[1:]]
        marker = 'data-testid="audit-older" href="'
        url = page.split(marker)[1].split('"')[0].replace("&amp;", "&") if marker in page else None
    ids = [e.id for e in events("booking.viewed")]
    assert sorted(seen) == sorted(ids) and len(seen) == len(set(seen)) == 130


def test_a_year_of_events_costs_the_same_queries_as_ten(login, admin):
    client = login(admin)
    add_events(10)
    with counted_queries() as few:
        small = client.get("/admin/audit")
    add_events(20_000)
    with counted_queries() as many:
        big = client.get("/admin/audit")
    assert small.status_code == big.status_code == 200
    assert big.get_data(as_text=True).count("data-event=") == 50
    assert len(few) == len(many)


def test_bad_filters_get_a_message_not_a_500(login, admin):
    client = login(admin)
    for query in ("person=nobody", "object_id=x", "date_from=2026-13-40", "older_than=garbage", "action=nope",
                  "date_from=2026-12-02&date_to=2026-12-01"):
        response = client.get(f"/admin/audit?{query}")
        assert response.status_code == 422, query
        assert 'data-testid="audit-invalid"' in response.get_data(as_text=True)


def test_details_are_escaped(login, admin):
    db.session.add(AuditEvent(occurred_at=NOW, action="user.sign_in_failed", object_type="users",
                              details={"email": "<script>alert(1)</script>"}))
    page = login(admin).get("/admin/audit").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


def test_filters_by_person_and_object(login, admin, officer, advisor, booking):
    login(advisor).get(f"/bookings/{booking.id}")
    client = login(admin)
    page = client.get(f"/admin/audit?person={advisor.email}&object_type=bookings&object_id={booking.id}")
    assert page.get_data(as_text=True).count("data-event=") == 1
    assert client.get(f"/admin/audit?person={officer.id}&action=booking.viewed").get_data(as_text=True) \
        .count("data-event=") == 0


def test_the_log_in_english(login, admin, officer):
    login(officer).get("/admin/audit")
    client = login(admin)
    refresh()  # the test's app context outlives requests: forget the locale the earlier ones settled on
    response = client.get("/admin/audit?lang=en")
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page[page.find("<h1"):][:300]
    assert "Audit log" in page and "Access refused" in page and "Older events" not in page
    assert "บันทึกการใช้งาน" not in page


@pytest.mark.config(LOGIN_RATE_LIMIT="2 per minute")
def test_a_throttled_sign_in_is_recorded_with_the_email_tried_never_the_password(client, officer):
    db.session.commit()
    for _ in range(2):
        assert client.post("/login", data={"email": officer.email, "password": "a wrong guess"}).status_code == 422
    assert events("user.sign_in_throttled") == []
    blocked = client.post("/login", data={"email": " Officer@DIW.go.th ", "password": "the right one, maybe"})
    assert blocked.status_code == 429
    [event] = events("user.sign_in_throttled")
    assert (event.actor_id, event.object_type, event.object_id) == (None, "users", None)
    assert event.details == {"email": "officer@diw.go.th"}
    assert "maybe" not in str(event.details)
    assert len(events("user.sign_in_failed")) == 2  # the refused attempt is a throttle, not one more failure
