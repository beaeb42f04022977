"""Sessions as iCalendar: one booking's .ics for whoever may view it, and an advisor's private feed. What is served
is parsed back with icalendar."""

import re
from datetime import UTC, datetime, timedelta

from icalendar import Calendar
from sqlalchemy import func, select

from clinic.audit.models import AuditEvent
from clinic.extensions import db
from clinic.scheduling.calendar_feeds import hash_token
from clinic.scheduling.models import CalendarFeed
from tests import factories
from tests.factories import NOW

BANGKOK_10AM = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)  # 10:00 in Bangkok


def parse(response) -> Calendar:
    assert response.status_code == 200, response.status_code
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.get_data())


def only_event(calendar: Calendar):
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return events[0]


def session_ics(client, booking):
    return parse(client.get(f"/bookings/{booking.id}/calendar.ics"))


def test_session_ics_has_the_fields_in_bangkok_time(login, officer, advisor, topic):
    slot = factories.make_slot(advisor, BANGKOK_10AM, location="ห้องประชุม 1 ชั้น 5 สำนักงาน ก.พ.ร.")
    booking = factories.make_booking(slot, officer, topic)
    response = login(officer).get(f"/bookings/{booking.id}/calendar.ics")
    assert response.headers["Cache-Control"] == "no-store"
    assert f'filename="{booking.reference}.ics"' in response.headers["Content-Disposition"]
    calendar = parse(response)
    assert calendar["VERSION"] == "2.0" and calendar["METHOD"] == "PUBLISH" and calendar["PRODID"]
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Asia/Bangkok"]
    event = only_event(calendar)
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert (start.hour, start.minute, str(start.tzinfo)) == (10, 0, "Asia/Bangkok")
    assert start.astimezone(UTC) == BANGKOK_10AM and end - start == timedelta(hours=1)
    assert event["DTSTART"].params["TZID"] == "Asia/Bangkok"
    assert str(event["UID"]) == f"booking-{booking.id}@127.0.0.1"
    assert int(event["SEQUENCE"]) == 0
    assert event.decoded("DTSTAMP") == NOW
    assert str(event["STATUS"]) == "TENTATIVE"
    assert topic.name_th in str(event["SUMMARY"]) and booking.reference in str(event["SUMMARY"])
    assert str(event["LOCATION"]) == "ห้องประชุม 1 ชั้น 5 สำนักงาน ก.พ.ร."  # Thai text intact
    description = str(event["DESCRIPTION"])
    assert officer.department.name_th in description and advisor.name in description
    assert f"http://127.0.0.1:5000/bookings/{booking.id}" in description
    assert "นายทดสอบ ระบบ" not in response.get_data(as_text=True)  # attendees stay on the page


def test_the_booking_page_links_to_its_ics(login, officer, booking):
    page = login(officer).get(f"/bookings/{booking.id}").get_data(as_text=True)
    assert f"/bookings/{booking.id}/calendar.ics" in page


def test_uid_is_stable_and_sequence_rises_with_confirm_then_cancel(client, login, officer, advisor, booking):
    login(officer)
    first = only_event(session_ics(client, booking))
    assert str(only_event(session_ics(client, booking))["UID"]) == str(first["UID"])
    login(advisor)
    assert client.post(f"/bookings/{booking.id}/confirm").status_code == 302
    confirmed = only_event(session_ics(client, booking))
    assert str(confirmed["UID"]) == str(first["UID"])
    assert int(confirmed["SEQUENCE"]) > int(first["SEQUENCE"])
    assert str(confirmed["STATUS"]) == "CONFIRMED"
    assert client.post(f"/bookings/{booking.id}/cancel", data={"cancel-reason": "ติดภารกิจด่วน"}).status_code == 302
    cancelled = only_event(session_ics(client, booking))
    assert str(cancelled["UID"]) == str(first["UID"])
    assert int(cancelled["SEQUENCE"]) > int(confirmed["SEQUENCE"])
    assert str(cancelled["STATUS"]) == "CANCELLED"


def test_online_link_reaches_the_department_once_confirmed(client, login, officer, advisor, topic):
    slot = factories.make_slot(advisor, BANGKOK_10AM, mode="online", location="", meeting_url="https://meet.example/abc")
    booking = factories.make_booking(slot, officer, topic)
    login(officer)
    assert "https://meet.example/abc" not in client.get(f"/bookings/{booking.id}/calendar.ics").get_data(as_text=True)
    login(advisor)
    client.post(f"/bookings/{booking.id}/confirm")
    login(officer)
    assert str(only_event(session_ics(client, booking))["LOCATION"]) == "https://meet.example/abc"


def test_outside_the_case_file_the_session_ics_is_404(client, login, booking, other_department_officer,
                                                      sister_officer, coordinator, other_advisor):
    url = f"/bookings/{booking.id}/calendar.ics"
    assert login(other_department_officer).get(url).status_code == 404
    assert login(sister_officer).get(url).status_code == 404
    assert login(coordinator).get(url).status_code == 200
    assert login(other_advisor).get(url).status_code == 200  # advisors read every case file
    assert client.get("/bookings/999999/calendar.ics").status_code == 404


def renew(client) -> str:
    response = client.post("/advisor/calendar-feed/renew")
    assert response.status_code == 200
    match = re.search(r"http://127\.0\.0\.1:5000/calendar/([A-Za-z0-9_-]+)\.ics", response.get_data(as_text=True))
    assert match
    return match.group(1)


def feed(app, token: str):
    return app.test_client().get(f"/calendar/{token}.ics")  # nobody signed in


def test_advisor_feed_has_sessions_without_personal_data(app, client, login, advisor, other_advisor, officer, topic):
    login(advisor)
    token = renew(client)
    upcoming = factories.make_booking(factories.make_slot(advisor, BANGKOK_10AM), officer, topic, status="confirmed")
    online = factories.make_slot(advisor, BANGKOK_10AM + timedelta(days=1), mode="online", location="",
                                 meeting_url="https://meet.example/xyz")
    pending = factories.make_booking(online, officer, topic)
    cancelled = factories.make_booking(factories.make_slot(advisor, NOW - timedelta(days=3)), officer, topic,
                                       status="cancelled")
    too_old = factories.make_booking(factories.make_slot(advisor, NOW - timedelta(days=40)), officer, topic)
    too_far = factories.make_booking(factories.make_slot(advisor, NOW + timedelta(weeks=20)), officer, topic)
    not_theirs = factories.make_booking(factories.make_slot(other_advisor, BANGKOK_10AM), officer, topic)
    db.session.commit()

    response = feed(app, token)
    assert response.headers["Cache-Control"] == "no-store"
    calendar = parse(response)
    assert calendar["METHOD"] == "PUBLISH"
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {f"booking-{b.id}@127.0.0.1" for b in (upcoming, pending, cancelled)}
    assert {too_old.id, too_far.id, not_theirs.id}.isdisjoint(int(uid[8:].split("@")[0]) for uid in events)
    assert str(events[f"booking-{upcoming.id}@127.0.0.1"]["STATUS"]) == "CONFIRMED"
    assert str(events[f"booking-{pending.id}@127.0.0.1"]["STATUS"]) == "TENTATIVE"
    assert str(events[f"booking-{cancelled.id}@127.0.0.1"]["STATUS"]) == "CANCELLED"
    assert str(events[f"booking-{pending.id}@127.0.0.1"]["LOCATION"]) == "https://meet.example/xyz"
    start = events[f"booking-{upcoming.id}@127.0.0.1"].decoded("DTSTART")
    assert (start.hour, start.astimezone(UTC).hour) == (10, 3)
    # Long lines are folded in what is sent: search the unfolded values, and the raw text too.
    values = "\n".join(str(value) for e in events.values() for value in e.values())
    assert officer.department.name_th in values and topic.name_th in values  # Thai, intact
    text = response.get_data(as_text=True)
    for personal in ("นายทดสอบ ระบบ", officer.name, officer.email, "ขอคำปรึกษาเรื่องโครงสร้าง"):
        assert personal not in values and personal not in text


def test_feed_sequence_matches_the_session_ics(app, client, login, advisor, officer, booking):
    login(advisor)
    token = renew(client)
    client.post(f"/bookings/{booking.id}/confirm")
    in_feed = only_event(parse(feed(app, token)))
    alone = only_event(session_ics(client, booking))
    assert (str(in_feed["UID"]), int(in_feed["SEQUENCE"])) == (str(alone["UID"]), int(alone["SEQUENCE"]))
    assert int(alone["SEQUENCE"]) == 1


def test_token_is_stored_hashed_and_wrong_renewed_or_revoked_tokens_are_404(app, client, login, advisor):
    login(advisor)
    assert feed(app, "x" * 43).status_code == 404
    old = renew(client)
    stored = db.session.scalar(select(CalendarFeed.token_hash))
    assert stored == hash_token(old) and old not in stored
    assert feed(app, old).status_code == 200
    new = renew(client)
    assert new != old
    assert feed(app, old).status_code == 404
    assert feed(app, new).status_code == 200
    assert feed(app, new[:-1] + ("A" if new[-1] != "A" else "B")).status_code == 404
    assert feed(app, "short").status_code == 404
    assert client.post("/advisor/calendar-feed/revoke").status_code == 302
    assert feed(app, new).status_code == 404
    assert db.session.scalar(select(func.count(CalendarFeed.id))) == 0
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_type == "calendar_feeds").order_by(AuditEvent.id)
    ).all()
    assert actions == ["calendar_feed.created", "calendar_feed.renewed", "calendar_feed.revoked"]
    # revoking again changes nothing
    assert client.post("/advisor/calendar-feed/revoke").status_code == 302
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.object_type == "calendar_feeds")) == 3


def test_a_deactivated_advisors_feed_is_404(app, client, login, advisor):
    login(advisor)
    token = renew(client)
    advisor.is_active_account = False
    db.session.commit()
    assert feed(app, token).status_code == 404


def test_the_feed_page_is_the_advisors_own(client, login, advisor, officer, admin):
    page = login(advisor).get("/advisor/calendar-feed")
    assert page.status_code == 200 and "/advisor/calendar-feed/renew" in page.get_data(as_text=True)
    assert "/advisor/calendar-feed" in client.get("/advisor/sessions").get_data(as_text=True)
    assert login(officer).get("/advisor/calendar-feed").status_code == 403
    assert login(officer).post("/advisor/calendar-feed/renew").status_code == 403
    assert login(admin).post("/advisor/calendar-feed/renew").status_code == 403
