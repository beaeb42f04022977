"""Personal data (PDPA B.E. 2562): the privacy notice (public, linked from every page, acknowledged once per version
at sign-in) and a person's own data as JSON and as a printable page, both audited."""

import json
from datetime import timedelta

from sqlalchemy import select

from clinic.accounts.models import PRIVACY_NOTICE_VERSION, User
from clinic.audit.models import AuditEvent
from clinic.bookings.models import Document
from clinic.extensions import db
from tests import factories
from tests.factories import NOW, PASSWORD


def events(action: str) -> list[AuditEvent]:
    db.session.rollback()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def sign_in(client, user, next_: str | None = None):
    db.session.commit()
    url = "/login" + (f"?next={next_}" if next_ else "")
    return client.post(url, data={"email": user.email, "password": PASSWORD})


def test_the_notice_is_public_and_linked_from_every_page(client, login, officer):
    page = client.get("/privacy")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    for heading in ("วัตถุประสงค์", "ฐานทางกฎหมาย", "ระยะเวลาเก็บรักษา", "สิทธิของเจ้าของข้อมูล", "ติดต่อ"):
        assert heading in text
    assert "730 วัน" in text and "dpo@opdc.go.th" in text and "มาตรา 24 (4)" in text
    assert 'data-testid="acknowledge-notice"' not in text  # nobody to acknowledge it
    assert 'data-testid="privacy-link"' in client.get("/login").get_data(as_text=True)
    assert 'data-testid="privacy-link"' in login(officer).get("/casefile").get_data(as_text=True)


def test_the_notice_in_english(client):
    client.get("/language/en")
    text = client.get("/privacy").get_data(as_text=True)
    assert "Privacy notice" in text and "Lawful basis" in text and "Retention" in text


def test_first_sign_in_shows_the_notice_once(client, department):
    newcomer = factories.make_user("officer", department=department, privacy_notice_version=None,
                                   privacy_notice_acknowledged_at=None)
    response = sign_in(client, newcomer, next_="/casefile")
    assert response.status_code == 302 and response.location.startswith("/privacy?next=")
    page = client.get(response.location).get_data(as_text=True)
    assert 'data-testid="acknowledge-notice"' in page and 'data-testid="notice-first-time"' in page
    acknowledged = client.post("/privacy/acknowledge", data={"version": PRIVACY_NOTICE_VERSION, "next": "/casefile"})
    assert (acknowledged.status_code, acknowledged.location) == (302, "/casefile")
    db.session.expire_all()
    user = db.session.get(User, newcomer.id)
    assert (user.privacy_notice_version, user.privacy_notice_acknowledged_at) == (PRIVACY_NOTICE_VERSION, NOW)
    [event] = events("user.privacy_notice_acknowledged")
    assert (event.actor_id, event.object_id, event.details) == (newcomer.id, newcomer.id,
                                                                 {"version": PRIVACY_NOTICE_VERSION})
    assert 'data-testid="notice-acknowledged"' in client.get("/privacy").get_data(as_text=True)
    client.post("/logout")
    again = sign_in(client, newcomer, next_="/casefile")
    assert again.location == "/casefile"  # once per version
    # Acknowledging again changes nothing.
    assert client.post("/privacy/acknowledge", data={"version": PRIVACY_NOTICE_VERSION}).status_code == 302
    assert len(events("user.privacy_notice_acknowledged")) == 1


def test_a_new_version_of_the_notice_is_shown_again(client, department):
    reader = factories.make_user("officer", department=department, privacy_notice_version="2560-1")
    assert sign_in(client, reader).location.startswith("/privacy?next=")


def test_acknowledging_a_notice_that_is_no_longer_in_force_is_refused(client, department):
    reader = factories.make_user("officer", department=department, privacy_notice_version=None)
    sign_in(client, reader)
    for version, status in (("2560-1", 409), ("", 422), ("x" * 21, 422)):
        response = client.post("/privacy/acknowledge", data={"version": version})
        assert response.status_code == status, version
    db.session.expire_all()
    assert db.session.get(User, reader.id).privacy_notice_version is None
    assert events("user.privacy_notice_acknowledged") == []


def test_acknowledging_never_leads_off_the_site(client, department):
    reader = factories.make_user("officer", department=department, privacy_notice_version=None)
    sign_in(client, reader)
    for target in ("//evil.example/x", "https://evil.example", "/\\evil", "/a\r\nSet-Cookie: x=1"):
        response = client.post("/privacy/acknowledge", data={"version": PRIVACY_NOTICE_VERSION, "next": target})
        assert response.status_code == 302 and response.location == "/", target


def test_acknowledging_needs_a_sign_in(client):
    response = client.post("/privacy/acknowledge", data={"version": PRIVACY_NOTICE_VERSION})
    assert response.status_code == 302 and response.location.startswith("/login")


def add_document(booking, officer, **overrides) -> Document:
    document = Document(booking_id=booking.id, filename="ผังโครงสร้าง.pdf", stored_name=f"{booking.id}.pdf",
                        kind="pdf", size=1234, sha256="a" * 64, uploaded_by_id=officer.id, uploaded_at=NOW,
                        **overrides)
    db.session.add(document)
    db.session.flush()
    return document


def test_my_data_as_json(login, officer, colleague, booking, slot, topic):
    add_document(booking, officer)
    other = factories.make_booking(factories.make_slot(slot.advisor, NOW + timedelta(days=8)), colleague, topic,
                                   request_details="คำขอของเพื่อนร่วมงาน")
    assert other.department_id == officer.department_id
    response = login(officer).get("/account/data.json")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="my-data-')
    data = json.loads(response.get_data(as_text=True))
    assert data["profile"]["email"] == officer.email and data["profile"]["name"] == "นายอนุชา โรงงานดี"
    [mine] = data["bookings"]
    assert mine["reference"] == booking.reference and mine["request_details"] == "ขอคำปรึกษาเรื่องโครงสร้าง"
    assert mine["attendees"] == [{"name": "นายทดสอบ ระบบ", "position": "นักวิเคราะห์", "attended": None}]
    [document] = data["documents_uploaded"]
    assert (document["filename"], document["size"], document["kind"]) == ("ผังโครงสร้าง.pdf", 1234, "pdf")
    assert "คำขอของเพื่อนร่วมงาน" not in response.get_data(as_text=True)
    assert any(e["action"] == "user.signed_in" for e in data["audit_events"])
    [event] = events("user.data_exported")
    assert (event.actor_id, event.object_id, event.details) == (officer.id, officer.id, {"format": "json"})


def test_my_data_as_a_printable_page(login, officer, booking):
    booking.attendees[0].name = "<b>นายแทรก โค้ด</b>"
    page = login(officer).get("/account/data")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert booking.reference in text and "&lt;b&gt;นายแทรก โค้ด&lt;/b&gt;" in text and "<b>นายแทรก" not in text
    assert 'data-testid="download-json"' in text and "data-print" in text
    assert "เข้าสู่ระบบ" in text  # the audit event of signing in, by its name
    assert [e.details for e in events("user.data_exported")] == [{"format": "html"}]


def test_my_data_needs_a_sign_in(client):
    for url in ("/account/data", "/account/data.json"):
        response = client.get(url)
        assert response.status_code == 302 and response.location.startswith("/login")
    assert events("user.data_exported") == []


def test_an_advisors_data_has_no_bookings_but_their_events(login, advisor, booking):
    data = json.loads(login(advisor).get("/account/data.json").get_data(as_text=True))
    assert data["bookings"] == [] and data["documents_uploaded"] == []
    assert data["profile"]["role"] == "advisor"
