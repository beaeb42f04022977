"""Notifications people can rely on: each person chooses what they get (colleagues opt in to copies), a session
is reminded once on the working day before, a next step once when due in three days and once when overdue; e-mails
about a session carry an iCalendar invitation (REQUEST, then CANCEL); every e-mail has an HTML part."""

from datetime import UTC, datetime, timedelta
from email import message_from_bytes

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from clinic.accounts.services import chosen_notifications, set_notifications
from clinic.bookings.reminders import queue_session_reminders
from clinic.bookings.services import cancel_booking, confirm_booking
from clinic.errors import DomainError
from clinic.extensions import db
from clinic.notifications.models import NotificationKind, OutboxMessage
from clinic.notifications.services import build_email, notify
from clinic.records.reminders import queue_action_item_reminders
from tests import factories
from tests.factories import NOW

TOMORROW = NOW + timedelta(days=1)  # Thursday 26 November 2026, 10:00 in Bangkok


def mail(to=None, template_word: str | None = None) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if to is not None:
        query = query.where(OutboxMessage.recipient == to.email)
    messages = list(db.session.scalars(query))
    return [m for m in messages if template_word is None or template_word in m.subject]


def parsed(message: OutboxMessage) -> Calendar:
    assert message.calendar, "no invitation"
    return Calendar.from_ical(message.calendar)


def event_of(calendar: Calendar):
    return next(iter(calendar.walk("VEVENT")))


# -- choices ------------------------------------------------------------------------------------------------------


def test_a_person_gets_everything_but_copies_until_they_choose(officer, advisor, admin):
    assert chosen_notifications(officer) == {NotificationKind.BOOKINGS, NotificationKind.REMINDERS,
                                             NotificationKind.RECORDS, NotificationKind.FOLLOW_UP}
    assert NotificationKind.DEPARTMENT_COPIES not in chosen_notifications(advisor)
    assert chosen_notifications(admin) == set()


def test_muting_a_kind_stops_those_emails_only(officer, booking, advisor):
    set_notifications(officer, ["reminders", "records", "follow_up"], NOW)  # bookings off
    confirm_booking(advisor, booking, NOW)
    assert mail(officer) == []
    notify([officer], "password_changed", NOW, changed_at=NOW)  # about the account: always sent
    assert len(mail(officer)) == 1


def test_a_kind_one_may_not_choose_is_refused_and_nothing_changes(advisor):
    with pytest.raises(DomainError):
        set_notifications(advisor, ["bookings", "department_copies"], NOW)
    with pytest.raises(DomainError):
        set_notifications(advisor, ["no-such-kind"], NOW)
    assert advisor.muted_notifications == "" and advisor.wanted_notifications == ""


def test_colleagues_and_the_coordinator_who_opted_in_get_copies(officer, colleague, coordinator, sister_officer,
                                                                  booking, advisor):
    set_notifications(colleague, ["bookings", "department_copies"], NOW)
    set_notifications(coordinator, ["bookings", "records", "department_copies"], NOW)
    set_notifications(sister_officer, ["bookings", "department_copies"], NOW)  # another department: no copies
    confirm_booking(advisor, booking, NOW)
    assert len(mail(officer)) == 1 and len(mail(colleague)) == 1 and len(mail(coordinator)) == 1
    assert mail(sister_officer) == []
    assert mail(colleague)[0].calendar is None  # a copy, not an invitation: the session is not theirs


def test_the_preferences_page_saves_choices_and_refuses_bad_ones(login, officer):
    client = login(officer)
    page = client.get("/account/notifications")
    assert page.status_code == 200 and 'value="department_copies"' in page.get_data(as_text=True)
    saved = client.post("/account/notifications", data={"kinds": ["bookings", "department_copies"]})
    assert saved.status_code == 302
    db.session.expire_all()
    assert chosen_notifications(db.session.get(type(officer), officer.id)) == {
        NotificationKind.BOOKINGS, NotificationKind.DEPARTMENT_COPIES}
    refused = client.post("/account/notifications", data={"kinds": ["bookings", "<script>"]})
    assert refused.status_code == 422 and "<script>" not in refused.get_data(as_text=True)
    db.session.expire_all()
    assert chosen_notifications(db.session.get(type(officer), officer.id)) == {
        NotificationKind.BOOKINGS, NotificationKind.DEPARTMENT_COPIES}


# -- reminders ----------------------------------------------------------------------------------------------------


@pytest.fixture
def tomorrows_booking(advisor, officer, topic):
    slot = factories.make_slot(advisor, starts_at=TOMORROW)
    return factories.make_booking(slot, officer, topic, status="confirmed")


def test_a_session_is_reminded_once_on_the_working_day_before(tomorrows_booking, officer, advisor):
    assert queue_session_reminders(NOW) == 2
    assert queue_session_reminders(NOW) == 0
    assert queue_session_reminders(NOW + timedelta(hours=3)) == 0
    for person in (officer, advisor):
        [reminder] = mail(person)
        assert tomorrows_booking.reference in reminder.subject and reminder.key.startswith("reminder:booking:")


def test_nothing_is_reminded_too_early_or_for_an_unconfirmed_session(advisor, officer, topic):
    later = factories.make_slot(advisor, starts_at=NOW + timedelta(days=2))
    factories.make_booking(later, officer, topic, status="confirmed")
    factories.make_booking(factories.make_slot(advisor, starts_at=TOMORROW + timedelta(hours=2)), officer, topic,
                           status="pending")
    assert queue_session_reminders(NOW) == 0


def test_on_a_friday_monday_sessions_are_reminded(advisor, officer, topic):
    friday = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
    monday = factories.make_slot(advisor, starts_at=datetime(2026, 11, 30, 2, 0, tzinfo=UTC))
    factories.make_booking(monday, officer, topic, status="confirmed")
    assert queue_session_reminders(friday) == 2


def test_cancelling_withdraws_an_unsent_reminder_and_none_is_queued_after(tomorrows_booking, officer, advisor):
    queue_session_reminders(NOW)
    cancel_booking(advisor, tomorrows_booking, "ติดภารกิจด่วน", NOW)
    assert all("reminder" not in (m.key or "") for m in mail())
    assert queue_session_reminders(NOW) == 0


def test_a_muted_reminder_is_not_queued(tomorrows_booking, officer, advisor):
    set_notifications(officer, ["bookings"], NOW)
    assert queue_session_reminders(NOW) == 1
    assert mail(officer) == []


def test_the_reminders_command_queues_once(app, tomorrows_booking):
    db.session.commit()
    runner = app.test_cli_runner()  # the app's clock is pinned at NOW
    first = runner.invoke(args=["reminders", "queue"])
    second = runner.invoke(args=["reminders", "queue"])
    assert first.exit_code == 0 and "queued 2 session" in first.output
    assert "queued 0 session" in second.output
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 2


# -- next steps ---------------------------------------------------------------------------------------------------


def test_next_steps_are_reminded_when_due_soon_and_when_overdue_once_each(booking, advisor, officer):
    record = factories.make_published_record(booking, advisor, items=[("ส่งร่างโครงสร้าง", "department"),
                                                                      ("ทบทวนร่าง", "opdc")])
    department_step, opdc_step = sorted(record.action_items, key=lambda item: item.id)
    department_step.due_on = (NOW + timedelta(days=3)).date()
    opdc_step.due_on = (NOW - timedelta(days=1)).date()
    db.session.flush()
    assert queue_action_item_reminders(NOW) == 3  # due soon: officer and advisor; overdue (OPDC's): advisor
    assert queue_action_item_reminders(NOW) == 0
    assert [m.key.split("|")[0] for m in mail(officer)] == [f"action_item_due:{department_step.id}"]
    assert sorted(m.key.split("|")[0] for m in mail(advisor)) == sorted(
        [f"action_item_due:{department_step.id}", f"action_item_overdue:{opdc_step.id}"])


def test_a_done_step_or_a_draft_records_step_is_not_reminded(booking, advisor):
    record = factories.make_published_record(booking, advisor, items=[("ส่งร่างโครงสร้าง", "department")])
    [step] = record.action_items
    step.due_on = (NOW - timedelta(days=1)).date()
    step.status = "done"
    for revision in record.revisions:
        revision.published_at = None
    db.session.flush()
    assert queue_action_item_reminders(NOW) == 0


# -- invitations and the HTML part -------------------------------------------------------------------------------


def test_confirming_sends_an_invitation_and_cancelling_withdraws_it(app, booking, advisor, officer):
    confirm_booking(advisor, booking, NOW)
    [confirmed] = mail(officer)
    request = parsed(confirmed)
    event = event_of(request)
    assert str(request["method"]) == "REQUEST"
    assert str(event["uid"]) == f"booking-{booking.id}@127.0.0.1"
    assert str(event["attendee"]) == f"mailto:{officer.email}"
    assert str(event["organizer"]).startswith("mailto:clinic@")
    assert str(event["status"]) == "CONFIRMED"

    cancel_booking(officer, booking, "ติดภารกิจด่วน", NOW)
    cancelled = mail(officer, booking.reference)[-1]
    cancel = parsed(cancelled)
    assert str(cancel["method"]) == "CANCEL"
    assert str(event_of(cancel)["uid"]) == str(event["uid"])
    assert int(event_of(cancel)["sequence"]) > int(event["sequence"])
    assert parsed(mail(advisor, booking.reference)[-1])["method"] == "CANCEL"


def test_a_request_never_confirmed_is_cancelled_without_an_invitation(booking, officer, advisor):
    cancel_booking(officer, booking, "ติดภารกิจด่วน", NOW)
    assert all(m.calendar is None for m in mail())


def test_an_email_has_text_html_and_its_invitation(app, booking, advisor, officer):
    confirm_booking(advisor, booking, NOW)
    [message] = mail(officer)
    message.body += "\n\n<script>alert(1)</script> http://127.0.0.1:5000/bookings/1?a=1&b=2\n"
    email = message_from_bytes(bytes(build_email(message, "OPDC Clinic <clinic@opdc.go.th>")))
    parts = {part.get_content_type(): part for part in email.walk()}
    assert {"text/plain", "text/html", "text/calendar"} <= set(parts)
    html = parts["text/html"].get_payload(decode=True).decode()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert '<a href="http://127.0.0.1:5000/bookings/1?a=1&amp;b=2"' in html
    assert 'lang="th"' in html
    assert parts["text/calendar"].get_param("method") == "REQUEST"


def test_a_colleague_who_opted_in_gets_a_copy_of_a_booking_made_on_the_page(login, officer, colleague, advisor,
                                                                             topic):
    set_notifications(colleague, ["bookings", "department_copies"], NOW)
    slot = factories.make_slot(advisor, starts_at=NOW + timedelta(days=7))
    answer = login(officer).post(f"/book/{topic.id}/slots/{slot.id}", data={
        "department": officer.department_id, "request_details": "ขอคำปรึกษา",
        "attendees-0-name": "นายอนุชา", "attendees-0-position": "นักวิเคราะห์"})
    assert answer.status_code == 302
    assert len(mail(colleague)) == 1 and mail(colleague)[0].calendar is None
