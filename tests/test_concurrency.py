"""The database, not Python, keeps a slot within its capacity: many simultaneous requests, one winner per seat."""

import threading

import pytest
from sqlalchemy import func, select

from clinic.bookings.models import Booking
from clinic.bookings.services import AttendeeInput, BookingRequest, book_slot
from clinic.errors import Conflict
from clinic.extensions import db
from clinic.organisations.models import Department, Topic
from clinic.scheduling.models import Slot
from tests.factories import NOW, make_slot


def race(app, slot_id: int, department_id: int, topic_id: int, officer_id: int, attempts: int, tmp_path):
    from clinic.accounts.models import User

    outcomes: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(attempts)

    def attempt():
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
                book_slot(officer, request, NOW, str(tmp_path), 1024)
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

    threads = [threading.Thread(target=attempt) for _ in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@pytest.mark.parametrize("capacity", [1, 3])
def test_simultaneous_bookings_never_exceed_capacity(app, advisor, officer, department, topic, tmp_path, capacity):
    slot = make_slot(advisor, capacity=capacity)
    ids = (slot.id, department.id, topic.id, officer.id)
    db.session.commit()

    outcomes = race(app, *ids, attempts=24, tmp_path=tmp_path)

    assert outcomes.count("booked") == capacity
    assert outcomes.count("taken") == 24 - capacity, outcomes
    active = db.session.scalar(
        select(func.count()).select_from(Booking).where(Booking.slot_id == slot.id, Booking.status == "pending")
    )
    assert active == capacity
    seats = sorted(db.session.scalars(select(Booking.seat_number).where(Booking.slot_id == slot.id)))
    assert seats == list(range(1, capacity + 1))
