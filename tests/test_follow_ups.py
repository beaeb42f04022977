"""From a published record the advisor invites the department to book a follow-up; booked through the invitation's
link, the new session is linked to the earlier one and both pages and the case file show the chain. A follow-up of
another department's session, or of one not held, is refused and nothing is booked."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from clinic.bookings.models import Booking
from clinic.errors import DomainError, NotAllowed
from clinic.extensions import db
from clinic.notifications.models import OutboxMessage
from clinic.records.services import invite_follow_up, link_follow_up
from tests import factories
from tests.factories import NOW


@pytest.fixture
def held(advisor, officer, topic):
    booking = factories.make_booking(factories.make_slot(advisor, starts_at=NOW - timedelta(days=3)), officer, topic,
                                     status="confirmed")
    factories.make_published_record(booking, advisor)
    return booking


def test_the_advisor_invites_and_the_link_carries_the_session(held, advisor, officer):
    invite_follow_up(advisor, held, NOW)
    [invitation] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == officer.email)).all()
    assert f"/book/{held.topic_id}?follows={held.id}" in invitation.body


def test_only_the_sessions_advisor_invites_once_the_record_is_published(held, other_advisor, officer, advisor, topic):
    for person in (other_advisor, officer):
        with pytest.raises(NotAllowed):
            invite_follow_up(person, held, NOW)
    unrecorded = factories.make_booking(factories.make_slot(advisor, starts_at=NOW - timedelta(days=5)), officer,
                                        topic, status="confirmed")
    with pytest.raises(NotAllowed):
        invite_follow_up(advisor, unrecorded, NOW)


def test_booking_through_the_invitation_links_the_chain(login, held, advisor, officer, topic):
    slot = factories.make_slot(advisor, starts_at=NOW + timedelta(days=7))
    client = login(officer)
    form = client.get(f"/book/{topic.id}/slots/{slot.id}?follows={held.id}").get_data(as_text=True)
    assert held.reference in form and f'value="{held.id}"' in form
    answer = client.post(f"/book/{topic.id}/slots/{slot.id}", data={
        "department": officer.department_id, "request_details": "ติดตามผลการปรับโครงสร้าง",
        "attendees-0-name": "นายอนุชา โรงงานดี", "attendees-0-position": "ผู้อำนวยการกอง", "follows": str(held.id)})
    assert answer.status_code == 302
    new = db.session.scalar(select(Booking).where(Booking.slot_id == slot.id))
    assert new.follows_id == held.id
    assert held.reference in client.get(f"/bookings/{new.id}").get_data(as_text=True)
    assert new.reference in client.get(f"/bookings/{held.id}").get_data(as_text=True)
    case_file = client.get("/casefile").get_data(as_text=True)
    assert f'data-follows="{held.id}"' in case_file


def test_a_follow_up_of_another_departments_session_books_nothing(login, advisor, sister_officer, officer, topic,
                                                                 held):
    slot = factories.make_slot(advisor, starts_at=NOW + timedelta(days=7))
    before = db.session.scalar(select(func.count(Booking.id)))
    answer = login(sister_officer).post(f"/book/{topic.id}/slots/{slot.id}", data={
        "department": sister_officer.department_id, "request_details": "ขอคำปรึกษา",
        "attendees-0-name": "นายทดสอบ", "attendees-0-position": "นักวิเคราะห์", "follows": str(held.id)})
    assert answer.status_code == 422
    assert db.session.scalar(select(func.count(Booking.id))) == before


@pytest.mark.parametrize("value", ["0", "-1", "abc", "99999999999999999999", "๑๒๓๔๕", ""])
def test_a_follow_up_of_nothing_is_refused(held, advisor, officer, topic, value):
    later = factories.make_booking(factories.make_slot(advisor, starts_at=NOW + timedelta(days=7)), officer, topic)
    with pytest.raises(DomainError):
        link_follow_up(officer, later, value, NOW)
    with pytest.raises(DomainError):  # nor can a session follow itself or a later one
        link_follow_up(officer, held, str(later.id), NOW)
    assert later.follows_id is None
