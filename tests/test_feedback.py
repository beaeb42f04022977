"""After a held session (its record published) the department rates it 1 to 5 and comments, once; administrators
read every department's feedback, with the average; bad ratings change nothing."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from clinic.errors import Conflict, DomainError, NotAllowed
from clinic.extensions import db
from clinic.records.models import SessionFeedback
from clinic.records.services import give_feedback
from tests import factories
from tests.factories import NOW


@pytest.fixture
def held(advisor, officer, topic):
    slot = factories.make_slot(advisor, starts_at=NOW - timedelta(days=2))
    return factories.make_booking(slot, officer, topic, status="confirmed")


@pytest.fixture
def record(held, advisor):
    return factories.make_published_record(held, advisor)


def count() -> int:
    return db.session.scalar(select(func.count(SessionFeedback.id)))


def test_the_department_rates_a_held_session_once(record, officer, colleague):
    feedback = give_feedback(officer, record, "4", "ได้แนวทางชัดเจน", NOW)
    assert (feedback.rating, feedback.comment, feedback.department_id) == (4, "ได้แนวทางชัดเจน", officer.department_id)
    db.session.flush()
    db.session.expire(record)
    with pytest.raises(Conflict):
        give_feedback(colleague, record, 5, "", NOW)
    assert count() == 1


@pytest.mark.parametrize("rating", [None, "", "0", "6", "4.5", "สี่", "-1", 10**20])
def test_a_rating_outside_1_to_5_is_refused(record, officer, rating):
    with pytest.raises(DomainError):
        give_feedback(officer, record, rating, "", NOW)
    assert count() == 0


def test_only_the_department_rates_and_only_a_published_record(record, held, advisor, sister_officer, admin,
                                                               officer):
    for person in (advisor, sister_officer, admin):
        with pytest.raises(NotAllowed):
            give_feedback(person, record, 5, "", NOW)
    for revision in record.revisions:
        revision.published_at = None
    db.session.flush()
    with pytest.raises(NotAllowed):
        give_feedback(officer, record, 5, "", NOW)
    assert count() == 0


def test_the_pages_take_and_show_feedback(login, record, held, officer, advisor, admin):
    client = login(officer)
    assert 'data-testid="feedback-form"' in client.get(f"/bookings/{held.id}").get_data(as_text=True)
    refused = client.post(f"/records/{record.id}/feedback", data={"rating": "9", "comment": "x"})
    assert refused.status_code == 302 and count() == 0
    assert client.post(f"/records/{record.id}/feedback",
                       data={"rating": "5", "comment": "ที่ปรึกษาตอบครบทุกประเด็น"}).status_code == 302
    assert count() == 1
    page = client.get(f"/bookings/{held.id}").get_data(as_text=True)
    assert 'data-rating="5"' in page and 'data-testid="feedback-form"' not in page
    assert "ที่ปรึกษาตอบครบทุกประเด็น" in login(advisor).get(f"/bookings/{held.id}").get_data(as_text=True)
    assert login(advisor).get("/admin/feedback").status_code == 403
    listing = login(admin).get("/admin/feedback").get_data(as_text=True)
    assert "ที่ปรึกษาตอบครบทุกประเด็น" in listing and "5.00" in listing
