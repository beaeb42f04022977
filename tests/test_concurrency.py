"""The database, not Python, keeps a slot within its capacity and a department within its allowance of active
bookings: many simultaneous requests, one winner per seat, no more bookings than the allowance."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from clinic.bookings.models import Booking
from clinic.bookings.rules import BookingRules
from clinic.bookings.services import AttendeeInput, BookingRequest, book_slot
from clinic.errors import Conflict
from clinic.extensions import db
from clinic.organisations.models import Department, Topic
from clinic.scheduling.models import Slot
from tests.factories import NOW, make_slot, make_user


def race(app, topic_id: int, attempts: list[tuple[int, int, int]], tmp_path,
         rules: BookingRules | None = None) -> list[str]:
    """Each attempt (slot id, department id, officer id) books in a thread of its own, all at once."""
    from clinic.accounts.models import User

    outcomes: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(attempts))

    def attempt(slot_id: int, department_id: int, officer_id: int):
        with app.app_context():
            officer = db.session.get(User, officer_id)
            request = BookingRequest(
                slot=db.session.get(Slot, slot_id),
                department=db.session.get(Department, department_id),
                topic=db.session.get(Topic, topic_id),
                request_details="ขอคำปรึกษา",
                attendees=[AttendeeInput("นายทดสอบ", "นักวิเคราะห์")],
            )
            db.session.commit()  # end the read transaction: on SQLite it holds the write lock
            barrier.wait()
            try:
                book_slot(officer, request, NOW, str(tmp_path), 1024, rules or BookingRules())
                db.session.commit()
                outcome = "booked"
            except Conflict:
                db.session.rollback()
                outcome = "taken"
            except Exception as error:  # anything else is a failure of the invariant's handling
                db.session.rollback()
                outcome = f"error: {error!r}"
            finally:
                db.session.remove()
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=attempt, args=job) for job in attempts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@pytest.mark.parametrize("capacity", [1, 3])
def test_simultaneous_bookings_never_exceed_capacity(app, advisor, topic, tmp_path, capacity):
    slot = make_slot(advisor, capacity=capacity)
    officers = [make_user("officer") for _ in range(24)]  # one seat per department: 24 departments
    jobs = [(slot.id, o.department_id, o.id) for o in officers]
    topic_id = topic.id
    db.session.commit()  # and read nothing more: on SQLite a read after it would hold the write lock

    outcomes = race(app, topic_id, jobs, tmp_path)

    assert outcomes.count("booked") == capacity
    assert outcomes.count("taken") == 24 - capacity, outcomes
    active = db.session.scalar(
        select(func.count()).select_from(Booking).where(Booking.slot_id == slot.id, Booking.status == "pending")
    )
    assert active == capacity
    seats = sorted(db.session.scalars(select(Booking.seat_number).where(Booking.slot_id == slot.id)))
    assert seats == list(range(1, capacity + 1))


def test_one_department_asking_for_twenty_slots_at_once_gets_its_allowance(app, advisor, officer, department, topic,
                                                                           tmp_path):
    slots = [make_slot(advisor, NOW + timedelta(days=7, hours=n))
             for n in range(20)]
    jobs = [(s.id, department.id, officer.id) for s in slots]
    topic_id = topic.id
    db.session.commit()  # and read nothing more: on SQLite a read after it would hold the write lock

    outcomes = race(app, topic_id, jobs, tmp_path, BookingRules(max_active_per_department=3))

    assert outcomes.count("booked") == 3, outcomes
    assert outcomes.count("taken") == 17, outcomes
    active = db.session.scalar(
        select(func.count()).select_from(Booking).where(Booking.department_id == department.id)
    )
    assert active == 3


def test_one_department_cannot_take_two_seats_of_a_group_slot_at_once(app, advisor, officer, colleague, department,
                                                                      topic, tmp_path):
    slot = make_slot(advisor, capacity=5)
    jobs = [(slot.id, department.id, o.id) for o in (officer, colleague) * 5]
    topic_id = topic.id
    db.session.commit()  # and read nothing more: on SQLite a read after it would hold the write lock

    outcomes = race(app, topic_id, jobs, tmp_path)

    assert outcomes.count("booked") == 1 and outcomes.count("taken") == 9, outcomes
