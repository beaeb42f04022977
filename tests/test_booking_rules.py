"""The booking rules at a fixed clock: working-day notice (weekends and Thai public holidays skipped), how far
ahead, one seat per department, the department's allowance, the cancel cut-off, and requests that expire."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from clinic.audit.models import AuditEvent
from clinic.bookings.models import Booking
from clinic.bookings.rules import BookingRules
from clinic.bookings.services import book_slot, cancel_booking, confirm_booking, expire_pending
from clinic.errors import Conflict, DomainError, NotAllowed
from clinic.extensions import db
from clinic.notifications.models import OutboxMessage
from clinic.scheduling.queries import holiday_name
from tests.factories import NOW, make_booking, make_slot, make_user
from tests.test_bookings_service import request_for

FRIDAY = datetime(2026, 12, 4, 3, 0, tzinfo=UTC)  # Friday 4 December 2026, 10:00 in Bangkok


def book(actor, slot, topic, tmp_path, now=NOW, rules=None, department=None):
    request = request_for(slot, department or actor.department, topic)
    return book_slot(actor, request, now, str(tmp_path), 1024, rules or BookingRules())


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_notice_counts_working_days_and_skips_a_monday_holiday(officer, topic, advisor, tmp_path):
    assert holiday_name(datetime(2026, 12, 7).date())  # the substitute day for 5 December, a Saturday
    tuesday = make_slot(advisor, FRIDAY + timedelta(days=4))
    wednesday = make_slot(advisor, FRIDAY + timedelta(days=5))
    with pytest.raises(DomainError) as refused:
        book(officer, tuesday, topic, tmp_path, now=FRIDAY)
    assert refused.value.field == "slot" and "2 วันทำการ" in str(refused.value.message)
    assert count(Booking) == 0
    assert book(officer, wednesday, topic, tmp_path, now=FRIDAY).status == "pending"


def test_notice_without_a_holiday_lets_friday_book_tuesday(officer, topic, advisor, tmp_path):
    friday = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
    monday = make_slot(advisor, friday + timedelta(days=3))
    tuesday = make_slot(advisor, friday + timedelta(days=4))
    with pytest.raises(DomainError):
        book(officer, monday, topic, tmp_path, now=friday)
    assert book(officer, tuesday, topic, tmp_path, now=friday).slot_id == tuesday.id


def test_earliest_day_from_the_rules(app):  # working days read the holidays administrators decided
    rules = BookingRules(min_notice_working_days=2)
    assert rules.earliest_day(FRIDAY.date()) == datetime(2026, 12, 9).date()
    assert BookingRules(min_notice_working_days=0).earliest_day(FRIDAY.date()) == FRIDAY.date()


def test_a_slot_beyond_the_horizon_cannot_be_booked_even_by_url(officer, topic, advisor, tmp_path):
    far = make_slot(advisor, NOW + timedelta(days=300))
    edge = make_slot(advisor, NOW + timedelta(days=90))
    with pytest.raises(DomainError) as refused:
        book(officer, far, topic, tmp_path)
    assert refused.value.field == "slot" and "90 วัน" in str(refused.value.message)
    assert book(officer, edge, topic, tmp_path).slot_id == edge.id


def test_one_department_takes_one_seat_of_a_group_slot(officer, colleague, topic, advisor, tmp_path):
    slot = make_slot(advisor, capacity=5)
    book(officer, slot, topic, tmp_path)
    with pytest.raises(Conflict) as refused:
        book(colleague, slot, topic, tmp_path)
    assert "1 ที่นั่งต่อช่วงเวลา" in str(refused.value.message)
    other = make_user("officer")
    assert book(other, slot, topic, tmp_path).seat_number == 2


def test_the_database_refuses_a_second_active_seat_of_one_department(officer, topic, advisor):
    slot = make_slot(advisor, capacity=3)
    make_booking(slot, officer, topic, seat_number=1)
    db.session.commit()
    with pytest.raises(IntegrityError):
        make_booking(slot, officer, topic, seat_number=2)
    db.session.rollback()


def test_a_department_holds_at_most_its_allowance_of_future_bookings(officer, topic, advisor, tmp_path):
    slots = [make_slot(advisor, NOW + timedelta(days=7, hours=h)) for h in range(5)]
    past = make_slot(advisor, NOW - timedelta(days=3))
    make_booking(past, officer, topic, status="confirmed")  # a session that took place does not count
    for slot in slots[:3]:
        book(officer, slot, topic, tmp_path)
    with pytest.raises(Conflict) as refused:
        book(officer, slots[3], topic, tmp_path)
    assert refused.value.field == "department" and "3 รายการ" in str(refused.value.message)
    cancel_booking(officer, db.session.scalar(select(Booking).where(Booking.slot_id == slots[0].id)), "ไม่ไป", NOW)
    assert book(officer, slots[3], topic, tmp_path).status == "pending"
    assert book(officer, slots[4], topic, tmp_path, rules=BookingRules(max_active_per_department=4))


def test_cancel_cut_off_binds_the_department_not_the_advisor_or_an_administrator(officer, advisor, admin, topic,
                                                                                 other_advisor):
    slot = make_slot(advisor)
    late = slot.starts_at - timedelta(hours=23)
    booking = make_booking(slot, officer, topic)
    with pytest.raises(DomainError) as refused:
        cancel_booking(officer, booking, "ติดภารกิจ", late)
    assert refused.value.field == "reason" and booking.status == "pending"
    cancel_booking(officer, booking, "ติดภารกิจ", slot.starts_at - timedelta(hours=24))  # on the dot: allowed
    again = make_booking(slot, officer, topic, reference="OPDC-T-AGAIN")
    with pytest.raises(NotAllowed):
        cancel_booking(other_advisor, again, "ไม่ใช่ของฉัน", late)
    cancel_booking(advisor, again, "ที่ปรึกษาติดราชการ", late)
    assert again.status == "cancelled" and again.cancelled_by_id == advisor.id
    third = make_booking(slot, officer, topic, reference="OPDC-T-THIRD")
    cancel_booking(admin, third, "ปิดห้องประชุม", late)
    assert third.cancel_reason == "ปิดห้องประชุม"


def test_pending_requests_expire_once_their_session_starts(officer, advisor, topic):
    started = make_slot(advisor, NOW - timedelta(minutes=5))
    later = make_slot(advisor, NOW + timedelta(days=3))
    stale = make_booking(started, officer, topic)
    confirmed = make_booking(make_slot(advisor, NOW - timedelta(days=1)), officer, topic, status="confirmed")
    waiting = make_booking(later, officer, topic)

    expired = expire_pending(NOW)

    assert [b.id for b in expired] == [stale.id]
    assert (stale.status, confirmed.status, waiting.status) == ("expired", "confirmed", "pending")
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.object_id == stale.id)) == "booking.expired"
    mail = db.session.scalars(select(OutboxMessage)).all()
    assert [m.recipient for m in mail] == [officer.email] and stale.reference in mail[0].subject
    assert expire_pending(NOW) == []  # idempotent
    assert count(OutboxMessage) == 1
    other = make_user("officer")
    make_booking(started, other, topic)  # the seat is free again
    with pytest.raises(NotAllowed):  # nor can the advisor confirm a request once its session began
        confirm_booking(advisor, waiting, later.starts_at + timedelta(minutes=1))


def test_flask_bookings_expire_runs_for_cron(app, officer, advisor, topic):
    stale = make_booking(make_slot(advisor, NOW - timedelta(hours=1)), officer, topic)
    db.session.commit()
    runner = app.test_cli_runner()
    first = runner.invoke(args=["bookings", "expire"])
    assert first.exit_code == 0 and "expired 1" in first.output and stale.reference in first.output
    second = runner.invoke(args=["bookings", "expire"])
    assert second.exit_code == 0 and "expired 0" in second.output
