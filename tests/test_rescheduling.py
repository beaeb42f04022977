"""Rescheduling in one step: the booking keeps its reference and history, the new seat is claimed and the old one
freed together, under the booking rules and the cut-off; a confirmed booking stays confirmed with its advisor."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from clinic.audit.models import AuditEvent
from clinic.bookings.models import Booking, BookingMove
from clinic.bookings.rescheduling import reschedule_booking
from clinic.bookings.rules import BookingRules
from clinic.errors import Conflict, DomainError, NotAllowed
from clinic.extensions import db
from clinic.notifications.models import OutboxMessage
from tests.factories import NOW, make_booking, make_slot, make_user


def seats(slot_id):
    return sorted(db.session.scalars(
        select(Booking.seat_number).where(Booking.slot_id == slot_id, Booking.status.in_(["pending", "confirmed"]))
    ))


def test_an_officer_moves_a_booking_keeping_its_reference_and_recording_the_move(officer, advisor, topic, booking):
    reference, old_slot_id = booking.reference, booking.slot_id
    new_slot = make_slot(advisor, NOW + timedelta(days=8))

    move = reschedule_booking(officer, booking, new_slot, "", NOW)
    db.session.commit()

    db.session.expire_all()
    moved = db.session.get(Booking, booking.id)
    assert (moved.reference, moved.slot_id, moved.seat_number, moved.status) == (reference, new_slot.id, 1, "pending")
    assert seats(old_slot_id) == []
    assert [(m.from_slot_id, m.to_slot_id, m.moved_by_id, m.moved_at) for m in moved.moves] == [
        (old_slot_id, new_slot.id, officer.id, NOW)]
    assert move.status_before == move.status_after == "pending"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "booking.rescheduled"))
    assert event is not None and event.details["to_slot_id"] == new_slot.id
    recipients = set(db.session.scalars(select(OutboxMessage.recipient)))
    assert {officer.email, advisor.email} <= recipients
    subjects = set(db.session.scalars(select(OutboxMessage.subject)))
    assert any(reference in s and "เลื่อนนัด" in s for s in subjects)


def test_a_confirmed_booking_stays_confirmed_with_its_advisor_and_goes_back_to_pending_with_another(
        officer, advisor, other_advisor, topic, slot):
    booking = make_booking(slot, officer, topic, status="confirmed", decided_at=NOW, decided_by_id=advisor.id)
    same = make_slot(advisor, NOW + timedelta(days=8))
    other = make_slot(other_advisor, NOW + timedelta(days=9))

    reschedule_booking(officer, booking, same, "", NOW)
    db.session.flush()
    db.session.refresh(booking)
    assert booking.status == "confirmed"

    move = reschedule_booking(officer, booking, other, "", NOW)
    db.session.flush()
    db.session.refresh(booking)
    assert (booking.status, booking.decided_at) == ("pending", None)
    assert (move.status_before, move.status_after) == ("confirmed", "pending")
    assert other_advisor.email in set(db.session.scalars(select(OutboxMessage.recipient)))


def test_an_administrator_moving_it_to_another_advisor_sends_it_back_to_pending(officer, other_advisor, topic, slot):
    booking = make_booking(slot, officer, topic, status="confirmed")
    theirs = make_slot(other_advisor, NOW + timedelta(days=9))
    admin = make_user("admin")
    assert reschedule_booking(admin, booking, theirs, "", NOW).status_after == "pending"


def test_a_full_slot_refuses_and_nothing_changes(officer, other_department_officer, advisor, topic, booking):
    full = make_slot(advisor, NOW + timedelta(days=8))
    make_booking(full, other_department_officer, topic)
    db.session.commit()
    with pytest.raises(Conflict) as refused:
        reschedule_booking(officer, booking, full, "", NOW)
    assert refused.value.field == "slot" and "เพิ่งถูกจอง" in str(refused.value.message)
    db.session.rollback()
    assert db.session.get(Booking, booking.id).slot_id != full.id
    assert db.session.scalar(select(func.count()).select_from(BookingMove)) == 0


def test_the_same_rules_as_booking_apply(officer, advisor, topic, booking, other_topic):
    too_soon = make_slot(advisor, NOW + timedelta(hours=30))
    too_far = make_slot(advisor, NOW + timedelta(days=200))
    with pytest.raises(DomainError, match="วันทำการ"):
        reschedule_booking(officer, booking, too_soon, "", NOW)
    with pytest.raises(DomainError, match="ไม่เกิน"):
        reschedule_booking(officer, booking, too_far, "", NOW)
    with pytest.raises(DomainError, match="ช่วงเวลาอื่น"):
        reschedule_booking(officer, booking, booking.slot, "", NOW)
    stranger = make_user("advisor", expertise=[other_topic])
    with pytest.raises(DomainError, match="ไม่เปิดให้จอง"):
        reschedule_booking(officer, booking, make_slot(stranger, NOW + timedelta(days=8)), "", NOW)


def test_the_allowance_counts_the_moved_booking_once(officer, advisor, topic):
    slots = [make_slot(advisor, NOW + timedelta(days=7, hours=2 * n)) for n in range(4)]
    bookings = [make_booking(s, officer, topic) for s in slots[:3]]
    rules = BookingRules(max_active_per_department=3)
    move = reschedule_booking(officer, bookings[0], slots[3], "", NOW, rules)
    assert move.to_slot_id == slots[3].id


def test_one_seat_per_department_in_a_group_slot(officer, colleague, advisor, topic, booking):
    group = make_slot(advisor, NOW + timedelta(days=8), capacity=5)
    make_booking(group, colleague, topic)
    with pytest.raises(Conflict, match="1 ที่นั่ง"):
        reschedule_booking(officer, booking, group, "", NOW)


def test_the_cut_off_binds_the_department_and_advisors_override_it_with_a_reason(officer, advisor, topic):
    soon = make_slot(advisor, NOW + timedelta(hours=20))
    booking = make_booking(soon, officer, topic)
    later = make_slot(advisor, NOW + timedelta(days=8))
    with pytest.raises(DomainError, match="เลื่อนนัดได้ถึง"):
        reschedule_booking(officer, booking, later, "", NOW)
    with pytest.raises(DomainError) as missing:
        reschedule_booking(advisor, booking, later, "  ", NOW)
    assert missing.value.field == "reason"
    move = reschedule_booking(advisor, booking, later, "ที่ปรึกษาติดประชุม ครม.", NOW)
    assert move.reason == "ที่ปรึกษาติดประชุม ครม."


def test_other_departments_and_other_advisors_cannot(officer, other_department_officer, other_advisor, advisor,
                                                     booking):
    new_slot = make_slot(advisor, NOW + timedelta(days=8))
    for stranger in (other_department_officer, other_advisor):
        with pytest.raises(NotAllowed):
            reschedule_booking(stranger, booking, new_slot, "", NOW)


def test_a_booking_no_longer_active_cannot_be_moved(officer, advisor, topic, slot):
    booking = make_booking(slot, officer, topic, status="cancelled")
    with pytest.raises(NotAllowed):
        reschedule_booking(officer, booking, make_slot(advisor, NOW + timedelta(days=8)), "", NOW)
