"""Thai public holidays stay closed by default; an administrator opens one, or closes an extra day, with a reason.
Slot generation, the booking rules' working days and the booking page all follow; a day that holds bookings is
closed only when the administrator chooses to cancel them, and each department is told."""

import threading
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from clinic.audit.models import AuditEvent
from clinic.bookings.holidays import DayDecision, decide_day
from clinic.bookings.models import Booking, BookingStatus
from clinic.bookings.queries import open_slots_for_topic, slots_holding_bookings
from clinic.bookings.rules import BookingRules
from clinic.bookings.services import AttendeeInput, BookingRequest, book_slot
from clinic.errors import Conflict, DomainError, NotAllowed
from clinic.extensions import db
from clinic.notifications.models import OutboxMessage
from clinic.scheduling.generation import Hours
from clinic.scheduling.models import DayStatus, HolidayOverride, Slot
from clinic.scheduling.queries import closed_day_name
from clinic.scheduling.services import AvailabilityInput, Regeneration, save_availability
from tests.factories import NOW, make_booking, make_slot, make_user

REGENERATION = Regeneration(8, slots_holding_bookings)
CONSTITUTION_DAY = date(2026, 12, 10)  # a Thursday
EXTRA_DAY = date(2026, 12, 2)  # a Wednesday, no holiday


def on(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(hours=hour - 7)


def weekday_mornings(advisor, admin):
    every_day = {d: [Hours(time(9), time(12))] for d in range(5)}
    save_availability(admin, advisor, AvailabilityInput(
        weekly=every_day, session_minutes=60, buffer_minutes=0, mode="onsite", location="ห้อง 1", meeting_url="",
        capacity=1, valid_from=NOW.date(), valid_until=None,
    ), NOW, REGENERATION)


def slots_on(advisor, day: date) -> list[Slot]:
    return list(db.session.scalars(select(Slot).where(
        Slot.advisor_id == advisor.id, Slot.status == "open", Slot.starts_at >= on(day, 0), Slot.starts_at < on(day, 24),
    )))


def test_an_opened_holiday_gets_sessions_and_counts_as_a_working_day(admin, advisor):
    weekday_mornings(advisor, admin)
    assert slots_on(advisor, CONSTITUTION_DAY) == []
    assert closed_day_name(CONSTITUTION_DAY)

    outcome = decide_day(admin, DayDecision(CONSTITUTION_DAY, "open", "เปิดคลินิกพิเศษ"), NOW, REGENERATION)

    assert outcome.created == 3
    assert len(slots_on(advisor, CONSTITUTION_DAY)) == 3
    assert closed_day_name(CONSTITUTION_DAY) is None
    # From Tuesday 8 December, two working days on: Wednesday 9, then Thursday 10 counts now.
    assert BookingRules().earliest_day(date(2026, 12, 8)) == CONSTITUTION_DAY
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "holiday.open"))
    assert event.details["reason"] == "เปิดคลินิกพิเศษ"


def test_an_extra_closed_day_loses_its_free_sessions_and_is_skipped_by_the_notice(admin, advisor, topic):
    weekday_mornings(advisor, admin)
    assert len(slots_on(advisor, EXTRA_DAY)) == 3
    assert BookingRules().earliest_day(date(2026, 11, 30)) == EXTRA_DAY

    outcome = decide_day(admin, DayDecision(EXTRA_DAY, "close", "วันหยุดพิเศษตามมติคณะรัฐมนตรี"), NOW, REGENERATION)

    assert outcome.withdrawn == 3 and slots_on(advisor, EXTRA_DAY) == []
    assert closed_day_name(EXTRA_DAY) == "วันหยุดพิเศษตามมติคณะรัฐมนตรี"
    assert BookingRules().earliest_day(date(2026, 11, 30)) == date(2026, 12, 3)
    assert db.session.scalar(select(HolidayOverride.status)) == DayStatus.CLOSED


def test_a_slot_added_by_hand_on_a_closed_day_is_neither_offered_nor_bookable(admin, advisor, officer, topic, tmp_path):
    slot = make_slot(advisor, on(EXTRA_DAY, 9))
    assert [o.slot.id for o in open_slots_for_topic(topic, NOW)] == [slot.id]
    decide_day(admin, DayDecision(EXTRA_DAY, "close", "วันหยุดพิเศษ"), NOW, REGENERATION)

    assert open_slots_for_topic(topic, NOW) == []
    with pytest.raises(DomainError):
        book_slot(officer, BookingRequest(slot=slot, department=officer.department, topic=topic, request_details="ขอ",
                                          attendees=[AttendeeInput("นาย ก", "นักวิเคราะห์")]), NOW, str(tmp_path), 1024)


def test_closing_a_day_with_bookings_needs_the_choice_to_cancel_them_then_tells_each_department(
    admin, advisor, officer, topic
):
    booked = make_booking(make_slot(advisor, on(EXTRA_DAY, 9)), officer, topic)
    db.session.commit()

    with pytest.raises(DomainError) as refused:
        decide_day(admin, DayDecision(EXTRA_DAY, "close", "วันหยุดพิเศษ"), NOW, REGENERATION)
    assert refused.value.field == "cancel_bookings" and "1 รายการ" in str(refused.value.message)
    db.session.rollback()
    assert booked.status == BookingStatus.PENDING
    assert db.session.scalar(select(func.count(HolidayOverride.id))) == 0

    outcome = decide_day(admin, DayDecision(EXTRA_DAY, "close", "วันหยุดพิเศษ", cancel_bookings=True), NOW,
                         REGENERATION)

    assert [b.id for b in outcome.cancelled] == [booked.id]
    assert booked.status == BookingStatus.CANCELLED and booked.cancel_reason == "วันหยุดพิเศษ"
    assert set(db.session.scalars(select(OutboxMessage.recipient))) == {officer.email, advisor.email}


def test_taking_a_decision_back_leaves_one_row_per_day_at_most(admin):
    decide_day(admin, DayDecision(CONSTITUTION_DAY, "open", "เปิดพิเศษ"), NOW, REGENERATION)
    assert db.session.scalar(select(func.count(HolidayOverride.id))) == 1
    decide_day(admin, DayDecision(CONSTITUTION_DAY, "close", "กลับเป็นวันหยุด"), NOW, REGENERATION)
    assert db.session.scalar(select(func.count(HolidayOverride.id))) == 0
    assert closed_day_name(CONSTITUTION_DAY)


@pytest.mark.parametrize(("decision", "field"), [
    (DayDecision(NOW.date(), "close", "x"), "day"),
    (DayDecision(NOW.date() - timedelta(days=1), "close", "x"), "day"),
    (DayDecision(NOW.date() + timedelta(days=400), "close", "x"), "day"),
    (DayDecision(EXTRA_DAY, "open", "x"), "day"),  # a working day already
    (DayDecision(CONSTITUTION_DAY, "close", "x"), "day"),  # a public holiday: closed already
    (DayDecision(EXTRA_DAY, "close", "  "), "reason"),
    (DayDecision(EXTRA_DAY, "close", "ก" * 301), "reason"),
    (DayDecision(EXTRA_DAY, "shut", "x"), "action"),
])
def test_bad_decisions_are_refused_next_to_their_field_and_change_nothing(admin, decision, field):
    with pytest.raises(DomainError) as refused:
        decide_day(admin, decision, NOW, REGENERATION)
    assert refused.value.field == field
    db.session.rollback()
    assert db.session.scalar(select(func.count(HolidayOverride.id))) == 0


def test_only_an_administrator_decides(advisor):
    with pytest.raises(NotAllowed):
        decide_day(advisor, DayDecision(EXTRA_DAY, "close", "x"), NOW, REGENERATION)


def test_two_administrators_closing_one_day_at_once_make_one_row_and_no_error(app, topic):
    admins = [make_user("admin"), make_user("admin")]
    advisor = make_user("advisor", expertise=[topic])
    weekday_mornings(advisor, admins[0])
    ids = [a.id for a in admins]
    advisor_id = advisor.id
    db.session.commit()
    outcomes: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(2)

    def attempt(admin_id: int) -> None:
        from clinic.accounts.models import User

        with app.app_context():
            actor = db.session.get(User, admin_id)
            db.session.commit()
            barrier.wait()
            try:
                decide_day(actor, DayDecision(EXTRA_DAY, "close", "วันหยุดพิเศษ"), NOW, REGENERATION)
                db.session.commit()
                result = "closed"
            except Conflict:
                db.session.rollback()
                result = "try again"
            except DomainError:
                db.session.rollback()
                result = "closed already"
            except Exception as error:
                db.session.rollback()
                result = f"error: {error!r}"
            finally:
                db.session.remove()
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) in (["closed", "closed already"], ["closed", "try again"]), outcomes
    assert db.session.scalar(select(func.count(HolidayOverride.id))) == 1
    assert db.session.scalar(select(func.count(Slot.id)).where(
        Slot.advisor_id == advisor_id, Slot.status == "open", Slot.starts_at >= on(EXTRA_DAY, 0),
        Slot.starts_at < on(EXTRA_DAY, 24))) == 0


def test_the_holidays_page_lists_the_year_and_takes_a_decision(app, admin, login):
    client = login(admin)
    page = client.get("/admin/holidays").get_data(as_text=True)
    assert "วันรัฐธรรมนูญ" in page and 'data-day="2026-12-10"' in page
    response = client.post("/admin/holidays", data={"day": "2026-12-02", "action": "close", "reason": "มติ ครม."})
    assert response.status_code == 302
    page = client.get("/admin/holidays").get_data(as_text=True)
    assert "มติ ครม." in page and "ปิดวันนี้แล้ว" in page


def test_the_holidays_page_shows_the_bookings_of_a_day_before_closing_it(app, admin, advisor, officer, topic, login):
    booking = make_booking(make_slot(advisor, on(EXTRA_DAY, 9)), officer, topic)
    reference = booking.reference
    client = login(admin)
    response = client.post("/admin/holidays", data={"day": "2026-12-02", "action": "close", "reason": "มติ ครม."})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert reference in page and "ยืนยันการยกเลิกการจองเหล่านี้" in page
    assert db.session.scalar(select(Booking.status).where(Booking.reference == reference)) == "pending"
    response = client.post("/admin/holidays", data={"day": "2026-12-02", "action": "close", "reason": "มติ ครม.",
                                                    "cancel_bookings": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(Booking.status).where(Booking.reference == reference)) == "cancelled"


@pytest.mark.parametrize("data", [
    {"day": "", "action": "close", "reason": "x"},
    {"day": "2026-02-30", "action": "close", "reason": "x"},
    {"day": "2026-12-02", "action": "shut", "reason": "x"},
    {"day": "2026-12-02", "action": "close", "reason": ""},
    {"day": "2026-12-02", "action": "close", "reason": "ก" * 400},
])
def test_the_holidays_page_refuses_bad_input_and_changes_nothing(app, admin, login, data):
    response = login(admin).post("/admin/holidays", data=data)
    assert response.status_code == 422
    assert db.session.scalar(select(func.count(HolidayOverride.id))) == 0
