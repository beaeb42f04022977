"""Reschedules under concurrency, with real threads and connections (SQLite and PostgreSQL): two departments moving
onto the last seat of a slot, and a reschedule racing a new booking for that seat. Exactly one wins; the loser's
booking stays where it was; no error but the clear refusal."""

import threading
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select

from clinic.accounts.models import User
from clinic.bookings.models import Booking
from clinic.bookings.rescheduling import reschedule_booking
from clinic.bookings.rules import BookingRules
from clinic.bookings.services import AttendeeInput, BookingRequest, book_slot
from clinic.errors import Conflict
from clinic.extensions import db
from clinic.organisations.models import Department, Topic
from clinic.scheduling.models import Slot
from tests.factories import NOW, make_booking, make_slot, make_user


def run_at_once(app, jobs: list[Callable[[], object]]) -> list[str]:
    """Each job in a thread of its own with its own session, all released at once; 'won', 'refused' or the error."""
    outcomes: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(jobs))

    def run(job):
        with app.app_context():
            prepared = job()  # loads what it needs, returns the action
            db.session.commit()  # end the read transaction: on SQLite it holds the write lock
            barrier.wait()
            try:
                prepared()
                db.session.commit()
                outcome = "won"
            except Conflict:
                db.session.rollback()
                outcome = "refused"
            except Exception as error:
                db.session.rollback()
                outcome = f"error: {error!r}"
            finally:
                db.session.remove()
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def rescheduling(officer_id: int, booking_id: int, slot_id: int):
    def prepare():
        officer, booking, slot = db.session.get(User, officer_id), db.session.get(Booking, booking_id), \
            db.session.get(Slot, slot_id)
        booking.slot, booking.topic, booking.department, booking.booked_by, slot.advisor  # noqa: B018 (load them now)
        return lambda: reschedule_booking(officer, booking, slot, "", NOW, BookingRules())
    return prepare


def booking_of(officer_id: int, slot_id: int, topic_id: int, tmp_path):
    def prepare():
        officer = db.session.get(User, officer_id)
        request = BookingRequest(slot=db.session.get(Slot, slot_id),
                                 department=db.session.get(Department, officer.department_id),
                                 topic=db.session.get(Topic, topic_id), request_details="ขอคำปรึกษา",
                                 attendees=[AttendeeInput("นายทดสอบ", "นักวิเคราะห์")])
        request.slot.advisor.expertise  # noqa: B018
        return lambda: book_slot(officer, request, NOW, str(tmp_path), 1024, BookingRules())
    return prepare


def active_on(slot_id: int) -> list[int]:
    return list(db.session.scalars(select(Booking.id).where(
        Booking.slot_id == slot_id, Booking.status.in_(["pending", "confirmed"]))))


def test_two_officers_rescheduling_onto_the_last_seat_one_wins(app, advisor, topic):
    target = make_slot(advisor, NOW + timedelta(days=8), capacity=2)
    make_booking(target, make_user("officer"), topic)  # one seat of two already taken
    movers = []
    for n in range(2):
        officer = make_user("officer")
        booking = make_booking(make_slot(advisor, NOW + timedelta(days=7, hours=2 * n)), officer, topic)
        movers.append((officer.id, booking.id, booking.slot_id))
    target_id = target.id
    db.session.commit()

    outcomes = run_at_once(app, [rescheduling(o, b, target_id) for o, b, _s in movers])

    assert sorted(outcomes) == ["refused", "won"], outcomes
    db.session.expire_all()
    assert len(active_on(target_id)) == 2
    for _officer, booking_id, old_slot in movers:  # the winner moved, the loser stayed where it was
        assert db.session.get(Booking, booking_id).slot_id in (target_id, old_slot)
    assert sorted(db.session.get(Booking, b).slot_id == t for t, (_o, b, _s) in zip([target_id] * 2, movers,
                                                                                  strict=True)) == [False, True]


def test_a_reschedule_racing_a_booking_for_the_same_seat(app, advisor, topic, tmp_path):
    for _round in range(3):
        target = make_slot(advisor, NOW + timedelta(days=9, hours=3 * _round))
        mover = make_user("officer")
        booking = make_booking(make_slot(advisor, NOW + timedelta(days=7, hours=3 * _round)), mover, topic)
        newcomer = make_user("officer")
        ids = (mover.id, booking.id, target.id, newcomer.id, topic.id)
        db.session.commit()

        outcomes = run_at_once(app, [rescheduling(ids[0], ids[1], ids[2]),
                                     booking_of(ids[3], ids[2], ids[4], tmp_path)])

        assert sorted(outcomes) == ["refused", "won"], outcomes
        db.session.expire_all()
        assert len(active_on(ids[2])) == 1
