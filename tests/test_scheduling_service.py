from datetime import date, time, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from clinic.bookings.queries import open_slots_for_topic
from clinic.errors import DomainError, NotAllowed
from clinic.extensions import db
from clinic.i18n import to_bangkok
from clinic.scheduling.models import AdvisorLeave, Slot
from clinic.scheduling.services import SlotPlan, create_slots
from tests.factories import NOW, make_booking, make_slot, make_user

FIRST_DAY = date(2026, 12, 1)  # a Tuesday; 7 December 2026 is a substitute holiday


def plan(**overrides) -> SlotPlan:
    values = {"first_day": FIRST_DAY, "start": time(9, 0), "end": time(10, 30), "mode": "onsite", "location": "ห้อง 1"}
    return SlotPlan(**{**values, **overrides})


def slot_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Slot))


def test_advisor_creates_a_slot_in_bangkok_time_stored_as_utc(advisor):
    [slot] = create_slots(advisor, advisor, plan(), NOW)
    assert to_bangkok(slot.starts_at).hour == 9
    assert slot.starts_at.hour == 2  # 09:00 in Bangkok is 02:00 UTC
    assert slot.ends_at - slot.starts_at == timedelta(minutes=90)


def test_weekly_repeat_creates_one_slot_per_week(advisor):
    slots = create_slots(advisor, advisor, plan(weeks=4, mode="online", meeting_url="https://meet.opdc.go.th/a"), NOW)
    assert [to_bangkok(s.starts_at).date() for s in slots] == [FIRST_DAY + timedelta(weeks=i) for i in range(4)]
    assert all(s.meeting_url == "https://meet.opdc.go.th/a" and s.location == "" for s in slots)


def test_overlapping_slot_is_refused_and_nothing_is_created(advisor):
    create_slots(advisor, advisor, plan(first_day=FIRST_DAY + timedelta(weeks=1)), NOW)
    with pytest.raises(DomainError) as refused:  # the second week clashes
        create_slots(advisor, advisor, plan(weeks=2, start=time(10, 0), end=time(11, 0)), NOW)
    assert "ซ้อน" in str(refused.value.message)
    assert slot_count() == 1


def test_two_advisors_may_hold_the_same_hours(advisor, other_advisor):
    create_slots(advisor, advisor, plan(), NOW)
    create_slots(other_advisor, other_advisor, plan(), NOW)
    assert slot_count() == 2


def test_the_database_refuses_an_overlap_that_bypasses_the_service(advisor):
    make_slot(advisor, NOW + timedelta(days=3))
    with pytest.raises(IntegrityError), db.session.begin_nested():
        make_slot(advisor, NOW + timedelta(days=3, minutes=30))


def test_a_cancelled_slot_does_not_block_new_hours(advisor):
    make_slot(advisor, NOW + timedelta(days=3), status="cancelled")
    make_slot(advisor, NOW + timedelta(days=3))
    assert slot_count() == 2


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"end": time(9, 0)}, "end"),
        ({"end": time(8, 0)}, "end"),
        ({"end": time(9, 10)}, "end"),
        ({"start": time(8, 0), "end": time(17, 0)}, "end"),
        ({"mode": "carrier-pigeon"}, "mode"),
        ({"location": "  "}, "location"),
        ({"mode": "online", "meeting_url": "http://insecure.example"}, "meeting_url"),
        ({"capacity": 0}, "capacity"),
        ({"capacity": 21}, "capacity"),
        ({"weeks": 0}, "weeks"),
        ({"weeks": 27}, "weeks"),
        ({"first_day": date(2026, 11, 24)}, "first_day"),  # in the past
        ({"first_day": date(2026, 12, 10)}, "first_day"),  # Constitution Day, a public holiday
    ],
)
def test_bad_slot_plans_are_refused(advisor, overrides, field):
    with pytest.raises(DomainError) as refused:
        create_slots(advisor, advisor, plan(**overrides), NOW)
    assert refused.value.field == field
    assert slot_count() == 0


def test_repeat_that_reaches_a_holiday_creates_nothing(advisor):
    with pytest.raises(DomainError):  # 10 December 2026 is Constitution Day, the third Thursday
        create_slots(advisor, advisor, plan(first_day=date(2026, 11, 26), weeks=3), NOW)
    assert slot_count() == 0


def test_no_slot_on_a_day_of_leave(advisor):
    db.session.add(AdvisorLeave(advisor_id=advisor.id, first_day=FIRST_DAY, last_day=FIRST_DAY + timedelta(days=4)))
    with pytest.raises(DomainError) as refused:
        create_slots(advisor, advisor, plan(), NOW)
    assert "ลา" in str(refused.value.message)


def test_only_an_administrator_opens_a_closed_day(advisor, admin):
    holiday = plan(first_day=date(2026, 12, 10))
    with pytest.raises(NotAllowed):
        create_slots(advisor, advisor, holiday, NOW, open_closed_days=True)
    [slot] = create_slots(admin, advisor, holiday, NOW, open_closed_days=True)
    assert slot.opened_on_closed_day


def test_advisor_manages_only_their_own_calendar(advisor, other_advisor, officer):
    with pytest.raises(NotAllowed):
        create_slots(other_advisor, advisor, plan(), NOW)
    with pytest.raises(NotAllowed):
        create_slots(officer, officer, plan(), NOW)


def test_open_slots_lists_free_future_slots_of_experts_only(advisor, other_topic, topic, officer):
    outsider = make_user("advisor", expertise=[other_topic])
    free = make_slot(advisor, NOW + timedelta(days=2))
    full = make_slot(advisor, NOW + timedelta(days=3))
    make_booking(full, officer, topic)
    half = make_slot(advisor, NOW + timedelta(days=4), capacity=2)
    make_booking(half, officer, topic)
    make_slot(advisor, NOW + timedelta(hours=1))  # inside the lead time
    make_slot(advisor, NOW - timedelta(days=1))  # past
    make_slot(advisor, NOW + timedelta(days=5), status="cancelled")
    make_slot(outsider, NOW + timedelta(days=2))

    found = open_slots_for_topic(topic, NOW)

    assert [(o.slot.id, o.seats_left) for o in found] == [(free.id, 1), (half.id, 1)]


def test_open_slots_hide_holidays_and_leave_unless_opened_by_an_administrator(advisor, topic):
    working = make_slot(advisor, NOW + timedelta(days=2))  # the minimum notice: two working days
    make_slot(advisor, NOW + timedelta(days=15))  # 10 December 2026, Constitution Day
    opened = make_slot(advisor, NOW + timedelta(days=15, hours=3), opened_on_closed_day=True)
    on_leave = make_slot(advisor, NOW + timedelta(days=8))
    day = to_bangkok(on_leave.starts_at).date()
    db.session.add(AdvisorLeave(advisor_id=advisor.id, first_day=day, last_day=day))

    assert [o.slot.id for o in open_slots_for_topic(topic, NOW)] == [working.id, opened.id]
