"""The waitlist of a full slot: one live entry per department, offers in order when a seat frees (cancel, decline,
reschedule away), claimed with one click under the booking rules, lapsing to the next in line; and the full slot's
page offers the waitlist instead of a form."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from clinic.accounts.models import User
from clinic.bookings.models import Booking, WaitlistEntry
from clinic.bookings.offers import expire_offers
from clinic.bookings.rescheduling import reschedule_booking
from clinic.bookings.rules import BookingRules
from clinic.bookings.services import AttendeeInput, cancel_booking, decline_booking
from clinic.bookings.waitlist import WaitlistRequest, claim_offer, join_waitlist, leave_waitlist
from clinic.errors import Conflict, DomainError
from clinic.extensions import db
from clinic.notifications.models import OutboxMessage
from tests.factories import NOW, make_booking, make_slot, make_user

RULES = BookingRules(waitlist_offer_hours=24)


def join(officer, slot, topic, now=NOW):
    return join_waitlist(officer, WaitlistRequest(slot, officer.department, topic, "ขอคำปรึกษาโครงสร้าง",
                                                  [AttendeeInput("นายรอ คิว", "นักวิเคราะห์")]), now, RULES)


@pytest.fixture
def full(advisor, officer, topic):
    slot = make_slot(advisor, NOW + timedelta(days=7))
    make_booking(slot, officer, topic)
    return slot


def test_one_live_entry_per_department_and_slot(full, topic):
    waiting = make_user("officer")
    join(waiting, full, topic)
    with pytest.raises(Conflict, match="รายการรอ"):
        join(make_user("officer", department=waiting.department), full, topic)
    # the database holds it, whatever the code does
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(WaitlistEntry(slot_id=full.id, department_id=waiting.department_id, topic_id=topic.id,
                                     joined_by_id=waiting.id, joined_at=NOW, status="waiting",
                                     request_details="x", attendees=[]))
        db.session.flush()


def test_a_slot_with_free_seats_or_a_seat_of_ones_own_is_not_waited_for(advisor, officer, topic, full):
    free = make_slot(advisor, NOW + timedelta(days=8))
    with pytest.raises(Conflict, match="ยังมีที่ว่าง"):
        join(make_user("officer"), free, topic)
    with pytest.raises(Conflict, match="จองที่นั่ง"):
        join(officer, full, topic)
    with pytest.raises(DomainError, match="ผู้เข้าร่วม"):
        someone = make_user("officer")
        join_waitlist(someone, WaitlistRequest(full, someone.department, topic, "x", []), NOW, RULES)


def test_a_cancellation_offers_the_seat_to_the_first_in_line_who_claims_it(officer, full, topic):
    first, second = make_user("officer"), make_user("officer")
    entry = join(first, full, topic, NOW)
    later = join(second, full, topic, NOW + timedelta(minutes=1))
    booking = db.session.scalar(select(Booking).where(Booking.slot_id == full.id))

    cancel_booking(officer, booking, "ติดภารกิจ", NOW, RULES)

    assert (entry.status, later.status) == ("offered", "waiting")
    assert entry.offer_expires_at == NOW + timedelta(hours=24)
    assert first.email in set(db.session.scalars(select(OutboxMessage.recipient)))
    claimed = claim_offer(first, entry, NOW + timedelta(hours=1), "/tmp", 1024, RULES)
    assert (claimed.slot_id, claimed.department_id, claimed.status) == (full.id, first.department_id, "pending")
    assert [a.name for a in claimed.attendees] == ["นายรอ คิว"]
    assert entry.status == "claimed" and entry.booking_id == claimed.id
    assert claim_offer(first, entry, NOW + timedelta(hours=1), "/tmp", 1024, RULES).id == claimed.id  # twice: one


def test_an_offer_that_passes_goes_to_the_next_and_cannot_be_claimed(advisor, officer, full, topic):
    first, second = make_user("officer"), make_user("officer")
    entry, later = join(first, full, topic, NOW), join(second, full, topic, NOW + timedelta(minutes=1))
    decline_booking(advisor, db.session.scalar(select(Booking).where(Booking.slot_id == full.id)), "ไม่ตรงหัวข้อ",
                    NOW, RULES)
    assert entry.status == "offered"
    lapsed = expire_offers(NOW + timedelta(hours=25), RULES)
    assert lapsed == [entry] and entry.status == "lapsed" and later.status == "offered"
    with pytest.raises(Conflict, match="หมดเวลา"):
        claim_offer(first, entry, NOW + timedelta(hours=25), "/tmp", 1024, RULES)
    assert expire_offers(NOW + timedelta(hours=25), RULES) == []  # again: nothing more


def test_a_reschedule_away_offers_the_old_seat_and_leaving_passes_an_offer_on(advisor, officer, full, topic):
    first, second = make_user("officer"), make_user("officer")
    entry, later = join(first, full, topic, NOW), join(second, full, topic, NOW + timedelta(minutes=1))
    booking = db.session.scalar(select(Booking).where(Booking.slot_id == full.id))
    reschedule_booking(officer, booking, make_slot(advisor, NOW + timedelta(days=8)), "", NOW, RULES)
    assert entry.status == "offered"
    leave_waitlist(first, entry, NOW, RULES)
    assert entry.status == "left" and later.status == "offered"


def test_the_full_slots_page_offers_the_waitlist_not_the_form(client, login, full, topic):
    waiting = make_user("officer")
    login(waiting)
    page = client.get(f"/book/{topic.id}/slots/{full.id}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-testid="slot-full"' in text and "ยืนยันการจอง" not in text
    bad = client.post(f"/book/{topic.id}/slots/{full.id}/waitlist", data={"request_details": ""})
    assert bad.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(WaitlistEntry)) == 0
    answer = client.post(f"/book/{topic.id}/slots/{full.id}/waitlist", data={
        "department": waiting.department_id, "request_details": "ขอคำปรึกษา",
        "attendees-0-name": "นายรอ คิว", "attendees-0-position": "นักวิเคราะห์"})
    assert answer.status_code == 302 and answer.location.endswith("/waitlist")
    assert "รอลำดับที่ 1" in client.get("/waitlist").get_data(as_text=True)
    assert 'data-testid="already-waiting"' in client.get(f"/book/{topic.id}/slots/{full.id}").get_data(as_text=True)


def test_someone_elses_entry_is_404_and_a_claim_without_an_offer_changes_nothing(client, login, full, topic):
    waiting = make_user("officer")
    entry = join(waiting, full, topic)
    login(make_user("officer"))
    assert client.post(f"/waitlist/{entry.id}/claim").status_code == 404
    assert client.post(f"/waitlist/{entry.id}/leave").status_code == 404
    login(waiting)
    assert client.post(f"/waitlist/{entry.id}/claim").status_code == 302
    db.session.expire_all()
    assert db.session.get(WaitlistEntry, entry.id).status == "waiting"
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 1


def test_two_departments_offered_seats_claim_the_last_one_at_once_and_one_wins(app, advisor, topic):
    slot = make_slot(advisor, NOW + timedelta(days=7), capacity=2)
    holders = [make_user("officer") for _ in range(2)]
    bookings = [make_booking(slot, h, topic, seat_number=n + 1) for n, h in enumerate(holders)]
    waiting = [make_user("officer") for _ in range(2)]
    entries = [join(w, slot, topic, NOW + timedelta(minutes=n)) for n, w in enumerate(waiting)]
    cancel_booking(holders[0], bookings[0], "ติดภารกิจ", NOW, RULES)
    entries[1].status, entries[1].offered_at, entries[1].offer_expires_at = "offered", NOW, NOW + timedelta(hours=1)
    jobs = [(w.id, e.id) for w, e in zip(waiting, entries, strict=True)]
    db.session.commit()

    outcomes: list[str] = []
    barrier = threading.Barrier(len(jobs))

    def attempt(officer_id, entry_id):
        with app.app_context():
            officer, entry = db.session.get(User, officer_id), db.session.get(WaitlistEntry, entry_id)
            entry.slot.advisor.expertise, entry.department, entry.topic  # noqa: B018
            db.session.commit()
            barrier.wait()
            try:
                claim_offer(officer, entry, NOW, "/tmp", 1024, RULES)
                db.session.commit()
                outcomes.append("won")
            except Conflict:
                db.session.rollback()
                outcomes.append("refused")
            except Exception as error:
                db.session.rollback()
                outcomes.append(f"error: {error!r}")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=attempt, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["refused", "won"], outcomes
    db.session.expire_all()
    active = db.session.scalar(select(func.count()).select_from(Booking).where(
        Booking.slot_id == slot.id, Booking.status.in_(["pending", "confirmed"])))
    assert active == 2
