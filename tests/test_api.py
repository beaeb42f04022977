"""The API under /api/v1: tokens, scopes, the same policies and services as the pages, and problem details for
every kind of bad input, with nothing changed."""

from datetime import timedelta

import pytest
from flask_babel import refresh
from openapi_spec_validator import validate
from sqlalchemy import func, select

from clinic.api.models import ApiToken
from clinic.api.services import revoke_token
from clinic.audit.models import AuditEvent
from clinic.bookings.models import Booking
from clinic.extensions import db
from clinic.notifications.models import OutboxMessage
from tests import factories
from tests.api_helpers import bearer, booking_body, personal_token, service_token
from tests.factories import NOW


def bookings_count() -> int:
    return db.session.scalar(select(func.count(Booking.id)))


def problem_of(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert body["status"] == status and body["title"]
    return body


@pytest.fixture
def bookable(advisor, topic):
    """A slot far enough ahead for the booking rules."""
    return factories.make_slot(advisor, NOW + timedelta(days=8), capacity=1)  # a Thursday, no holiday


def test_the_openapi_document_validates_and_names_every_api_route(client, app):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    validate(spec)
    assert spec["openapi"] == "3.1.0"
    documented = {(method.upper(), "/api/v1" + path) for path, ops in spec["paths"].items() for method in ops}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api.") and rule.endpoint not in ("api.openapi", "api.docs"):
            path = rule.rule.replace("<int:", "{").replace(">", "}")
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                assert (method, path) in documented


def test_the_docs_page_uses_the_vendored_viewer_under_the_strict_policy(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in page and "<script>" not in page
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200


def test_an_officer_books_reads_and_cancels_through_the_api(client, officer, department, topic, bookable):
    secret = personal_token(officer)
    response = client.post("/api/v1/bookings", json=booking_body(bookable, topic, department), headers=bearer(secret))
    assert response.status_code == 201, response.get_json()
    booking = response.get_json()
    assert booking["status"] == "pending" and booking["reference"].startswith("OPDC-")
    assert response.headers["Location"] == f"/api/v1/bookings/{booking['id']}"
    read = client.get(f"/api/v1/bookings/{booking['id']}", headers=bearer(secret)).get_json()
    assert read["attendees"] == [{"name": "นายอนุชา โรงงานดี", "position": "ผู้อำนวยการกอง"}]
    # the booking service's own audit event and e-mails, as from the form
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "booking.created")) == 1
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 2
    cancelled = client.post(f"/api/v1/bookings/{booking['id']}/cancel", json={"reason": "ติดภารกิจ"},
                            headers=bearer(secret))
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"


def test_the_same_submission_key_twice_makes_one_booking(client, officer, department, topic, bookable):
    secret = personal_token(officer)
    body = booking_body(bookable, topic, department, submission_key="retry-1")
    first = client.post("/api/v1/bookings", json=body, headers=bearer(secret)).get_json()
    again = client.post("/api/v1/bookings", json=body, headers=bearer(secret)).get_json()
    assert first["id"] == again["id"] and bookings_count() == 1


def test_the_booking_rules_refuse_in_the_readers_language(client, officer, department, topic, advisor):
    too_soon = factories.make_slot(advisor, NOW + timedelta(hours=30))
    secret = personal_token(officer)
    body = booking_body(too_soon, topic, department)
    thai = problem_of(client.post("/api/v1/bookings", json=body, headers=bearer(secret)), 422)
    assert "ต้องจองล่วงหน้าอย่างน้อย" in thai["detail"] and thai["errors"][0]["field"] == "slot"
    refresh()  # the test's app context outlives the request: forget the locale the first request chose
    english = problem_of(client.post("/api/v1/bookings", json=body, headers=bearer(secret, "en-GB,en;q=0.8")), 422)
    assert "working day" in english["detail"]
    assert bookings_count() == 0


def test_open_slots_apply_the_booking_rules(client, officer, topic, advisor, bookable):
    factories.make_slot(advisor, NOW + timedelta(hours=30))  # inside the minimum notice: not offered
    slots = client.get(f"/api/v1/topics/{topic.id}/slots", headers=bearer(personal_token(officer))).get_json()
    assert [s["id"] for s in slots] == [bookable.id] and slots[0]["seats_left"] == 1


def test_a_department_token_sees_its_department_and_a_ministry_token_its_departments(
        client, admin, ministry, department, sister_department, officer, sister_officer, topic, slot):
    own = factories.make_booking(slot, officer, topic)
    factories.make_department(factories.make_ministry(), name_th="กรมอื่น")
    department_token = service_token(admin, department=department)
    ministry_token = service_token(admin, ministry=ministry)
    orgs = client.get("/api/v1/organisations", headers=bearer(department_token)).get_json()
    assert [[d["id"] for d in m["departments"]] for m in orgs] == [[department.id]]
    orgs = client.get("/api/v1/organisations", headers=bearer(ministry_token)).get_json()
    assert [[d["id"] for d in m["departments"]] for m in orgs] == [[department.id, sister_department.id]]
    assert client.get(f"/api/v1/bookings/{own.id}", headers=bearer(department_token)).status_code == 200
    sister_token = service_token(admin, department=sister_department)
    problem_of(client.get(f"/api/v1/bookings/{own.id}", headers=bearer(sister_token)), 404)


def test_a_department_token_cannot_book_for_another_department(client, admin, department, sister_department,
                                                                  topic, bookable):
    secret = service_token(admin, department=department)
    body = booking_body(bookable, topic, sister_department)
    problem_of(client.post("/api/v1/bookings", json=body, headers=bearer(secret)), 422)
    assert bookings_count() == 0


def test_records_show_published_revisions_and_next_steps_follow_up(client, officer, advisor, topic):
    held = factories.make_slot(advisor, NOW - timedelta(days=2))
    booking = factories.make_booking(held, officer, topic, status="confirmed")
    record = factories.make_published_record(booking, advisor, guidance="ควรทบทวนภารกิจ",
                                             items=[("ส่งร่างโครงสร้าง", "department")])
    draft = record.revisions[0]
    from clinic.records.models import RecordRevision
    db.session.add(RecordRevision(record=record, number=2, guidance="ร่างที่ยังไม่เผยแพร่", author_id=advisor.id,
                                  created_at=NOW, updated_at=NOW))
    db.session.commit()
    secret = personal_token(officer)
    body = client.get(f"/api/v1/bookings/{booking.id}/record", headers=bearer(secret)).get_json()
    assert [r["number"] for r in body["revisions"]] == [draft.number]
    item = body["next_steps"][0]
    updated = client.post(f"/api/v1/next-steps/{item['id']}/status", json={"status": "in_progress",
                          "note": "ส่งร่างแล้ว"}, headers=bearer(secret))
    assert updated.status_code == 200 and updated.get_json()["status"] == "in_progress"


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer opdc_wrong"},
                                     {"Authorization": "Bearer "}])
def test_no_or_a_wrong_token_is_401_never_a_redirect(client, headers):
    body = problem_of(client.get("/api/v1/topics", headers=headers), 401)
    assert body["detail"]


def test_revoked_expired_and_deactivated_tokens_are_refused_at_once(client, app, officer, admin, department, topic,
                                                                    bookable):
    secret = personal_token(officer)
    assert client.get("/api/v1/topics", headers=bearer(secret)).status_code == 200
    token = db.session.scalar(select(ApiToken))
    revoke_token(officer, token, NOW)
    db.session.commit()
    assert "เพิกถอน" in problem_of(client.get("/api/v1/topics", headers=bearer(secret)), 401)["detail"]
    later = personal_token(officer, days=30)
    app.config["NOW"] = lambda: NOW + timedelta(days=31)
    assert "หมดอายุ" in problem_of(client.get("/api/v1/topics", headers=bearer(later)), 401)["detail"]
    body = booking_body(bookable, topic, department)
    problem_of(client.post("/api/v1/bookings", json=body, headers=bearer(later)), 401)
    assert bookings_count() == 0


def test_a_token_outside_its_scope_changes_nothing(client, officer, department, topic, bookable):
    secret = personal_token(officer, scopes=("read",))
    body = problem_of(client.post("/api/v1/bookings", json=booking_body(bookable, topic, department),
                                  headers=bearer(secret)), 403)
    assert "book" in body["detail"]
    assert bookings_count() == 0


@pytest.mark.parametrize("data, content_type, status", [
    ("{not json", "application/json", 400),
    ('{"slot_id": "1"}', "application/json", 422),
    ("slot_id=1", "application/x-www-form-urlencoded", 415),
    ("[]", "application/json", 422),
])
def test_bad_bodies_are_problems_and_change_nothing(client, officer, data, content_type, status):
    secret = personal_token(officer)
    problem_of(client.post("/api/v1/bookings", data=data, content_type=content_type, headers=bearer(secret)), status)
    assert bookings_count() == 0


def test_wrong_types_and_unknown_fields_name_the_field(client, officer, department, topic, bookable):
    secret = personal_token(officer)
    body = booking_body(bookable, topic, department, slot_id=str(bookable.id), colour="red")
    problem = problem_of(client.post("/api/v1/bookings", json=body, headers=bearer(secret)), 422)
    assert {e["field"] for e in problem["errors"]} == {"slot_id", "colour"}
    assert bookings_count() == 0


def test_a_huge_body_is_413(client, officer, department, topic, bookable):
    secret = personal_token(officer)
    body = booking_body(bookable, topic, department, request_details="ก" * 100_000)
    problem_of(client.post("/api/v1/bookings", json=body, headers=bearer(secret)), 413)
    assert bookings_count() == 0


def test_no_csrf_and_no_cookie_for_the_api(app, login, officer, department, topic, bookable):
    """A signed-in browser's cookie is not a credential for the API; CSRF does not apply to bearer calls."""
    client = login(officer)
    app.config["WTF_CSRF_ENABLED"] = True
    problem_of(client.post("/api/v1/bookings", json=booking_body(bookable, topic, department)), 401)
    secret = personal_token(officer)
    assert client.post("/api/v1/bookings", json=booking_body(bookable, topic, department),
                       headers=bearer(secret)).status_code == 201


def test_every_call_is_audited_with_its_token(client, officer):
    secret = personal_token(officer)
    client.get("/api/v1/topics", headers=bearer(secret))
    client.get("/api/v1/bookings/999999", headers=bearer(secret))
    token = db.session.scalar(select(ApiToken))
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "api.called").order_by(AuditEvent.id)).all()
    assert [(e.object_type, e.object_id, e.actor_id, e.details["status"]) for e in events] == [
        ("api_tokens", token.id, officer.id, 200), ("api_tokens", token.id, officer.id, 404)]


@pytest.mark.config(API_RATE_LIMIT="3 per minute")
def test_rate_limits_count_per_token(client, officer, coordinator):
    mine, theirs = personal_token(officer), personal_token(coordinator)
    assert [client.get("/api/v1/topics", headers=bearer(mine)).status_code for _ in range(4)] == [200, 200, 200, 429]
    assert client.get("/api/v1/topics", headers=bearer(theirs)).status_code == 200
    problem_of(client.get("/api/v1/topics", headers=bearer(mine)), 429)


def test_the_report_pages_with_a_cursor_for_administrators_only(client, admin, officer, advisor, topic):
    for day in range(1, 6):
        factories.make_booking(factories.make_slot(advisor, NOW + timedelta(days=day)), officer, topic)
    db.session.commit()
    secret = personal_token(admin)
    seen, cursor = [], None
    for _ in range(5):
        url = "/api/v1/reports/sessions?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url, headers=bearer(secret)).get_json()
        seen += [row["booking_id"] for row in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 5 and len(set(seen)) == 5
    problem_of(client.get("/api/v1/reports/sessions?cursor=nonsense", headers=bearer(secret)), 422)
    problem_of(client.get("/api/v1/reports/sessions?fiscal_year=1", headers=bearer(secret)), 422)
    problem_of(client.get("/api/v1/reports/sessions", headers=bearer(personal_token(officer))), 403)


def test_service_accounts_get_no_email(client, admin, department, topic, bookable):
    secret = service_token(admin, department=department)
    response = client.post("/api/v1/bookings", json=booking_body(bookable, topic, department), headers=bearer(secret))
    assert response.status_code == 201
    recipients = db.session.scalars(select(OutboxMessage.recipient)).all()
    assert recipients and not any(r.endswith(".invalid") for r in recipients)


def test_a_nul_in_a_field_is_refused_before_the_database(client, officer, department, topic, bookable):
    secret = personal_token(officer)
    body = booking_body(bookable, topic, department, request_details="ก\u0000ข")
    problem_of(client.post("/api/v1/bookings", json=body, headers=bearer(secret)), 422)
    assert bookings_count() == 0
