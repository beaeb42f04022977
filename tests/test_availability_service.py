"""Availability, dated exceptions and leave, and the regeneration of slots they cause: services at the fixed clock
NOW (Wednesday 25 November 2026, 10:00 in Bangkok), without HTTP."""

from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from clinic.audit.models import AuditEvent
from clinic.bookings.models import Booking
from clinic.bookings.queries import bookings_during_leave, slots_holding_bookings
from clinic.bookings.services import AttendeeInput, BookingRequest, book_slot
from clinic.errors import DomainError, NotAllowed
from clinic.extensions import db
from clinic.i18n import BANGKOK, to_bangkok
from clinic.scheduling.generation import Closed, Hours
from clinic.scheduling.models import AdvisorLeave, Availability, DateOverride, Slot, SlotSource, SlotStatus
from clinic.scheduling.services import (
    AvailabilityInput,
    DateOverrideInput,
    LeaveInput,
    Regeneration,
    add_date_override,
    add_leave,
    plan_slots,
    regenerate_slots,
    remove_date_override,
    remove_leave,
    save_availability,
)
from tests.factories import NOW, make_booking, make_slot

WEEKS = 2  # Wednesday 25 November to Tuesday 8 December 2026; Monday 7 December is a substitute holiday


@pytest.fixture
def regeneration(app):
    return Regeneration(WEEKS, slots_holding_bookings)


def hours(text: str) -> Hours:
    start, end = text.split("-")
    return Hours(time.fromisoformat(start), time.fromisoformat(end))


def weekly(**overrides) -> AvailabilityInput:
    values = {
        "weekly": {d: [hours("09:00-12:00")] for d in range(5)},  # Monday to Friday, three sessions each
        "session_minutes": 60,
        "buffer_minutes": 0,
        "mode": "onsite",
        "location": "ห้องประชุม 1 ชั้น 8",
        "meeting_url": "",
        "capacity": 1,
        "valid_from": date(2026, 11, 25),
        "valid_until": None,
    }
    return AvailabilityInput(**{**values, **overrides})


def open_slots(advisor, source=SlotSource.GENERATED) -> list[Slot]:
    return list(
        db.session.scalars(
            select(Slot)
            .where(Slot.advisor_id == advisor.id, Slot.status == SlotStatus.OPEN, Slot.source == source)
            .order_by(Slot.starts_at)
        )
    )


def bangkok(day: date, at: str) -> datetime:
    return datetime.combine(day, time.fromisoformat(at), BANGKOK)


def times_on(advisor, day: date) -> list[str]:
    return [f"{to_bangkok(s.starts_at):%H:%M}" for s in open_slots(advisor) if to_bangkok(s.starts_at).date() == day]


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# Saving availability generates the slots


def test_saving_availability_generates_the_slots_of_the_horizon(advisor, regeneration):
    availability, plan = save_availability(advisor, advisor, weekly(), NOW, regeneration)
    # Today 11:00 only (10:00 has begun); then nine working days of three sessions, less Monday 7 December.
    assert len(plan.create) == 1 + 8 * 3
    assert times_on(advisor, date(2026, 11, 25)) == ["11:00"]
    assert times_on(advisor, date(2026, 11, 26)) == ["09:00", "10:00", "11:00"]
    assert times_on(advisor, date(2026, 12, 7)) == []  # the substitute day for Father's Day
    assert times_on(advisor, date(2026, 12, 9)) == []  # beyond the horizon
    slot = open_slots(advisor)[0]
    assert (slot.mode, slot.location, slot.capacity) == ("onsite", "ห้องประชุม 1 ชั้น 8", 1)
    assert [h.weekday for h in availability.hours] == [0, 1, 2, 3, 4]
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["availability.saved", "slots.regenerated"]


def test_regenerating_again_changes_nothing(advisor, regeneration):
    save_availability(advisor, advisor, weekly(), NOW, regeneration)
    before = [(s.id, s.starts_at) for s in open_slots(advisor)]
    events = count(AuditEvent)

    plan = regenerate_slots(None, advisor, NOW, regeneration)

    assert not plan.changes and plan.conflicts == [] and plan.skipped == []
    assert [(s.id, s.starts_at) for s in open_slots(advisor)] == before
    assert count(AuditEvent) == events  # nothing done, nothing recorded


def test_a_later_run_extends_the_rolling_horizon(advisor, regeneration):
    save_availability(advisor, advisor, weekly(), NOW, regeneration)
    plan = regenerate_slots(None, advisor, NOW + timedelta(days=7), regeneration)
    assert plan.withdraw == []
    assert times_on(advisor, date(2026, 12, 14)) == ["09:00", "10:00", "11:00"]


def test_changing_the_hours_withdraws_free_slots_and_keeps_booked_ones(advisor, officer, topic, regeneration):
    save_availability(advisor, advisor, weekly(), NOW, regeneration)
    booked = next(s for s in open_slots(advisor) if s.starts_at == bangkok(date(2026, 11, 26), "09:00"))
    booking = make_booking(booked, officer, topic)

    _availability, plan = save_availability(
        advisor, advisor, weekly(weekly={d: [hours("13:00-15:00")] for d in range(5)}), NOW, regeneration
    )

    assert booked.status == SlotStatus.OPEN and booking.status == "pending"
    assert [(c.slot_id, c.reason) for c in plan.conflicts] == [(booked.id, Closed.OUTSIDE_HOURS)]
    assert times_on(advisor, date(2026, 11, 26)) == ["09:00", "13:00", "14:00"]
    withdrawn = db.session.scalars(select(Slot).where(Slot.status == SlotStatus.CANCELLED)).all()
    assert len(withdrawn) == len(plan.withdraw) == 1 + 8 * 3 - 1
    # The conflict stays on the page until the advisor resolves it; running again does not drop it.
    again = regenerate_slots(None, advisor, NOW, regeneration)
    assert not again.changes and [c.slot_id for c in again.conflicts] == [booked.id]


def test_a_booked_slot_keeps_its_place_when_the_details_change(advisor, officer, topic, regeneration):
    save_availability(advisor, advisor, weekly(), NOW, regeneration)
    booked = open_slots(advisor)[1]
    make_booking(booked, officer, topic)

    _availability, plan = save_availability(advisor, advisor, weekly(location="ห้องประชุม 3"), NOW, regeneration)

    assert booked.status == SlotStatus.OPEN and booked.location == "ห้องประชุม 1 ชั้น 8"
    assert [(c.slot_id, c.reason) for c in plan.conflicts] == [(booked.id, Closed.DETAILS_CHANGED)]
    assert {s.location for s in open_slots(advisor) if s.id != booked.id} == {"ห้องประชุม 3"}


def test_a_cancelled_booking_no_longer_holds_its_slot(advisor, officer, topic, regeneration):
    save_availability(advisor, advisor, weekly(), NOW, regeneration)
    slot = open_slots(advisor)[1]
    make_booking(slot, officer, topic, status="cancelled")
    save_availability(advisor, advisor, weekly(weekly={0: [hours("13:00-14:00")]}), NOW, regeneration)
    assert slot.status == SlotStatus.CANCELLED


def test_manual_slots_are_kept_and_generated_ones_that_would_overlap_them_are_skipped(advisor, regeneration):
    manual = make_slot(advisor, bangkok(date(2026, 11, 26), "09:30"))  # a one-off slot added by hand
    _availability, plan = save_availability(advisor, advisor, weekly(), NOW, regeneration)
    assert manual.status == SlotStatus.OPEN and manual.source == SlotSource.MANUAL
    assert times_on(advisor, date(2026, 11, 26)) == ["11:00"]  # 09:00 and 10:00 overlap 09:30-10:30
    assert [(to_bangkok(s.wanted.starts_at).hour, s.blocker_id) for s in plan.skipped] == [(9, manual.id), (10, manual.id)]
    # Still reported, and still not created, on the next run; the manual slot is never withdrawn.
    again = regenerate_slots(None, advisor, NOW, regeneration)
    assert not again.changes and len(again.skipped) == 2
    save_availability(advisor, advisor, weekly(weekly={0: [hours("13:00-14:00")]}), NOW, regeneration)
    assert manual.status == SlotStatus.OPEN


def test_a_period_that_ends_withdraws_the_slots_after_it(advisor, regeneration):
    save_availability(advisor, advisor, weekly(), NOW, regeneration)
    save_availability(advisor, advisor, weekly(valid_until=date(2026, 11, 30)), NOW, regeneration)
    assert max(to_bangkok(s.starts_at).date() for s in open_slots(advisor)) == date(2026, 11, 30)


def test_an_online_availability_makes_online_slots(advisor, regeneration):
    save_availability(advisor, advisor, weekly(mode="online", location="ห้องที่ไม่ใช้",
                                               meeting_url=" https://meet.opdc.go.th/somchai ", capacity=3),
                      NOW, regeneration)
    assert {(s.mode, s.location, s.meeting_url, s.capacity) for s in open_slots(advisor)} == {
        ("online", "", "https://meet.opdc.go.th/somchai", 3)
    }


def test_a_buffer_spaces_the_sessions(advisor, regeneration):
    save_availability(advisor, advisor, weekly(session_minutes=45, buffer_minutes=15), NOW, regeneration)
    assert times_on(advisor, date(2026, 11, 26)) == ["09:00", "10:00", "11:00"]
    save_availability(advisor, advisor, weekly(session_minutes=60, buffer_minutes=30), NOW, regeneration)
    assert times_on(advisor, date(2026, 11, 26)) == ["09:00", "10:30"]


# Bad availability changes nothing


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"weekly": {0: [hours("09:00-12:00"), hours("11:00-13:00")]}}, "mon", "ซ้อนกับช่วง"),
        ({"weekly": {1: [hours("12:00-09:00")]}}, "tue", "เวลาสิ้นสุดต้องหลังเวลาเริ่ม"),
        ({"weekly": {2: [hours("09:00-09:30")]}}, "wed", "สั้นกว่าเวลาให้คำปรึกษาหนึ่งครั้ง"),
        ({"weekly": {3: [hours(f"{h:02d}:00-{h:02d}:59") for h in range(8, 15)]}}, "thu", "ไม่เกิน 6 ช่วง"),
        ({"weekly": {}}, "mon", "อย่างน้อย 1 ช่วง"),
        ({"session_minutes": 10}, "session_minutes", "ระหว่าง 15 ถึง 480 นาที"),
        ({"session_minutes": 481}, "session_minutes", "ระหว่าง 15 ถึง 480 นาที"),
        ({"buffer_minutes": -5}, "buffer_minutes", "ระหว่าง 0 ถึง 120 นาที"),
        ({"buffer_minutes": 121}, "buffer_minutes", "ระหว่าง 0 ถึง 120 นาที"),
        ({"capacity": 0}, "capacity", "ระหว่าง 1 ถึง 20"),
        ({"capacity": 1000}, "capacity", "ระหว่าง 1 ถึง 20"),
        ({"mode": "carrier-pigeon"}, "mode", "เลือกรูปแบบ"),
        ({"location": "   "}, "location", "ระบุห้องประชุม"),
        ({"mode": "online", "meeting_url": "http://meet.example.com/a"}, "meeting_url", "https://"),
        ({"mode": "online", "meeting_url": "https://"}, "meeting_url", "https://"),
        ({"mode": "online", "meeting_url": "https://meet.example.com/a b"}, "meeting_url", "https://"),
        ({"valid_from": date(2026, 12, 10), "valid_until": date(2026, 12, 1)}, "valid_until", "ไม่ก่อนวันเริ่มใช้"),
        ({"valid_from": date(2026, 1, 1), "valid_until": date(2026, 11, 24)}, "valid_until", "สิ้นสุดไปแล้ว"),
        ({"valid_from": date(2028, 1, 1)}, "valid_from", "ไม่เกิน 1 ปี"),
    ],
)
def test_bad_availability_is_refused_next_to_its_field_and_changes_nothing(
    advisor, regeneration, overrides, field, message
):
    with pytest.raises(DomainError) as refused:
        save_availability(advisor, advisor, weekly(**overrides), NOW, regeneration)
    assert refused.value.field == field
    assert message in str(refused.value.message)
    assert count(Availability) == count(Slot) == count(AuditEvent) == 0


def test_an_advisor_manages_only_their_own_availability(advisor, other_advisor, admin, officer, regeneration):
    with pytest.raises(NotAllowed):
        save_availability(other_advisor, advisor, weekly(), NOW, regeneration)
    with pytest.raises(NotAllowed):
        save_availability(officer, advisor, weekly(), NOW, regeneration)
    with pytest.raises(DomainError):
        save_availability(admin, officer, weekly(), NOW, regeneration)  # not an advisor
    save_availability(admin, advisor, weekly(), NOW, regeneration)
    assert db.session.scalar(select(AuditEvent.actor_id).where(AuditEvent.action == "availability.saved")) == admin.id


# Dated exceptions


def test_a_day_off_withdraws_that_days_free_slots_and_removing_it_brings_them_back(advisor, regeneration):
    save_availability(advisor, advisor, weekly(), NOW, regeneration)
    override, plan = add_date_override(advisor, advisor, DateOverrideInput(date(2026, 12, 2), "day_off"), NOW,
                                       regeneration)
    assert len(plan.withdraw) == 3 and times_on(advisor, date(2026, 12, 2)) == []

    remove_date_override(advisor, override, NOW, regeneration)
    assert times_on(advisor, date(2026, 12, 2)) == ["09:00", "10:00", "11:00"]
    assert count(DateOverride) == 0


def test_extra_hours_add_slots_on_that_date(advisor, regeneration):
    save_availability(advisor, advisor, weekly(), NOW, regeneration)
    _override, plan = add_date_override(
        advisor, advisor, DateOverrideInput(date(2026, 11, 28), "extra", Hours(time(9), time(11)), "วันเสาร์พิเศษ"), NOW,
        regeneration,
    )
    assert len(plan.create) == 2
    assert times_on(advisor, date(2026, 11, 28)) == ["09:00", "10:00"]


def test_a_day_off_with_a_booked_session_reports_it_and_cancels_nothing(advisor, officer, topic, regeneration):
    save_availability(advisor, advisor, weekly(), NOW, regeneration)
    booked = next(s for s in open_slots(advisor) if to_bangkok(s.starts_at).date() == date(2026, 12, 2))
    booking = make_booking(booked, officer, topic, status="confirmed")
    _override, plan = add_date_override(advisor, advisor, DateOverrideInput(date(2026, 12, 2), "day_off"), NOW,
                                        regeneration)
    assert booking.status == "confirmed" and booked.status == SlotStatus.OPEN
    assert [(c.slot_id, c.reason) for c in plan.conflicts] == [(booked.id, Closed.DAY_OFF)]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (DateOverrideInput(date(2026, 11, 24), "day_off"), "day", "ไม่อยู่ในอดีต"),
        (DateOverrideInput(date(2028, 1, 4), "day_off"), "day", "ไม่เกิน 1 ปี"),
        (DateOverrideInput(date(2026, 12, 2), "holiday"), "kind", "เวลาเพิ่มเติมหรือวันหยุด"),
        (DateOverrideInput(date(2026, 12, 2), "extra", None), "hours", "ระบุเวลาเพิ่มเติม"),
        (DateOverrideInput(date(2026, 12, 2), "extra", Hours(time(15), time(13))), "hours", "หลังเวลาเริ่ม"),
        (DateOverrideInput(date(2026, 12, 2), "extra", Hours(time(13), time(13, 30))), "hours", "สั้นกว่า"),
        (DateOverrideInput(date(2026, 12, 7), "extra", Hours(time(13), time(15))), "day", "วันหยุดราชการ"),
        (DateOverrideInput(date(2026, 12, 2), "day_off", note="ก" * 301), "note", "ยาวเกิน"),
    ],
)
def test_bad_dates_are_refused_next_to_their_field_and_change_nothing(advisor, regeneration, data, field, message):
    save_availability(advisor, advisor, weekly(), NOW, regeneration)
    slots, events = count(Slot), count(AuditEvent)
    with pytest.raises(DomainError) as refused:
        add_date_override(advisor, advisor, data, NOW, regeneration)
    assert refused.value.field == field and message in str(refused.value.message)
    assert count(DateOverride) == 0 and count(Slot) == slots and count(AuditEvent) == events


def test_dates_that_contradict_each_other_are_refused(advisor, regeneration):
    day = date(2026, 12, 2)
    with pytest.raises(DomainError) as refused:  # extra hours need weekly hours to take their place and length from
        add_date_override(advisor, advisor, DateOverrideInput(day, "extra", Hours(time(13), time(15))), NOW, regeneration)
    assert "ประจำสัปดาห์ก่อน" in str(refused.value.message)
    save_availability(advisor, advisor, weekly(), NOW, regeneration)
    add_date_override(advisor, advisor, DateOverrideInput(day, "extra", Hours(time(13), time(15))), NOW, regeneration)
    for data, message in (
        (DateOverrideInput(day, "extra", Hours(time(14), time(16))), "ซ้อนกับเวลาเพิ่มเติม 13:00-15:00"),
        (DateOverrideInput(day, "day_off"), "ลบเวลาเพิ่มเติมก่อน"),
    ):
        with pytest.raises(DomainError) as refused:
            add_date_override(advisor, advisor, data, NOW, regeneration)
        assert message in str(refused.value.message)
    add_date_override(advisor, advisor, DateOverrideInput(date(2026, 12, 3), "day_off"), NOW, regeneration)
    for data, message in (
        (DateOverrideInput(date(2026, 12, 3), "day_off"), "เป็นวันหยุดอยู่แล้ว"),
        (DateOverrideInput(date(2026, 12, 3), "extra", Hours(time(13), time(15))), "เป็นวันหยุด"),
    ):
        with pytest.raises(DomainError) as refused:
            add_date_override(advisor, advisor, data, NOW, regeneration)
        assert message in str(refused.value.message)


# Leave


def test_leave_withdraws_free_slots_and_keeps_booked_sessions_as_conflicts(advisor, officer, topic, regeneration):
    save_availability(advisor, advisor, weekly(), NOW, regeneration)
    booked = next(s for s in open_slots(advisor) if s.starts_at == bangkok(date(2026, 12, 1), "10:00"))
    booking = make_booking(booked, officer, topic, status="confirmed")

    leave, plan = add_leave(advisor, advisor, LeaveInput(date(2026, 11, 30), date(2026, 12, 2), "ไปราชการต่างจังหวัด"),
                            NOW, regeneration)

    assert booking.status == "confirmed" and booked.status == SlotStatus.OPEN  # not silently cancelled
    assert [(c.slot_id, c.reason) for c in plan.conflicts] == [(booked.id, Closed.LEAVE)]
    assert len(plan.withdraw) == 3 * 3 - 1
    for day in (date(2026, 11, 30), date(2026, 12, 2)):
        assert times_on(advisor, day) == []
    assert bookings_during_leave(advisor, [leave], NOW) == {leave.id: [booking]}
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.object_type == "advisor_leaves")) == "leave.added"


def test_removing_leave_brings_the_slots_back(advisor, regeneration):
    save_availability(advisor, advisor, weekly(), NOW, regeneration)
    leave, _plan = add_leave(advisor, advisor, LeaveInput(date(2026, 12, 1), date(2026, 12, 1)), NOW, regeneration)
    assert times_on(advisor, date(2026, 12, 1)) == []
    remove_leave(advisor, leave, NOW, regeneration)
    assert times_on(advisor, date(2026, 12, 1)) == ["09:00", "10:00", "11:00"]
    assert count(AdvisorLeave) == 0


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (LeaveInput(date(2026, 11, 24), date(2026, 11, 26)), "first_day", "ไม่เริ่มในอดีต"),
        (LeaveInput(date(2026, 12, 3), date(2026, 12, 1)), "last_day", "ไม่ก่อนวันแรก"),
        (LeaveInput(date(2026, 12, 1), date(2028, 1, 1)), "last_day", "ไม่เกิน 366 วัน"),
        (LeaveInput(date(2028, 1, 1), date(2028, 1, 2)), "first_day", "ไม่เกิน 1 ปี"),
        (LeaveInput(date(2026, 12, 1), date(2026, 12, 1), "ก" * 301), "reason", "ยาวเกิน"),
        (LeaveInput(date(2026, 12, 4), date(2026, 12, 8)), "first_day", "ซ้อนกับวันลา"),
    ],
)
def test_bad_leave_is_refused_next_to_its_field_and_changes_nothing(advisor, regeneration, data, field, message):
    save_availability(advisor, advisor, weekly(), NOW, regeneration)
    add_leave(advisor, advisor, LeaveInput(date(2026, 12, 8), date(2026, 12, 9)), NOW, regeneration)
    leaves, slots, events = count(AdvisorLeave), [s.id for s in open_slots(advisor)], count(AuditEvent)
    with pytest.raises(DomainError) as refused:
        add_leave(advisor, advisor, data, NOW, regeneration)
    assert refused.value.field == field and message in str(refused.value.message)
    assert count(AdvisorLeave) == leaves and [s.id for s in open_slots(advisor)] == slots
    assert count(AuditEvent) == events


def test_past_leave_cannot_be_removed_and_others_leave_is_not_yours(advisor, other_advisor, regeneration):
    past = AdvisorLeave(advisor_id=advisor.id, first_day=date(2026, 11, 2), last_day=date(2026, 11, 3))
    db.session.add(past)
    db.session.flush()
    with pytest.raises(DomainError):
        remove_leave(advisor, past, NOW, regeneration)
    with pytest.raises(NotAllowed):
        add_leave(other_advisor, advisor, LeaveInput(date(2026, 12, 1), date(2026, 12, 1)), NOW, regeneration)


# What the booking side sees


def test_a_withdrawn_slot_can_no_longer_be_booked(advisor, officer, topic, regeneration, tmp_path):
    save_availability(advisor, advisor, weekly(), NOW, regeneration)
    slot = next(s for s in open_slots(advisor) if s.starts_at == bangkok(date(2026, 12, 1), "09:00"))
    add_leave(advisor, advisor, LeaveInput(date(2026, 12, 1), date(2026, 12, 1)), NOW, regeneration)
    assert slot.status == SlotStatus.CANCELLED
    request = BookingRequest(slot, officer.department, topic, "ขอคำปรึกษา", [AttendeeInput("นาย ก", "นักวิเคราะห์")])
    with pytest.raises(DomainError):
        book_slot(officer, request, NOW, str(tmp_path), 1000)
    assert count(Booking) == 0


def test_the_plan_shown_on_the_page_matches_what_regeneration_does(advisor, officer, topic, regeneration):
    save_availability(advisor, advisor, weekly(), NOW, regeneration)
    make_booking(open_slots(advisor)[0], officer, topic)
    db.session.add(AdvisorLeave(advisor_id=advisor.id, first_day=date(2026, 11, 25), last_day=date(2026, 11, 27)))
    preview = plan_slots(advisor, NOW, regeneration).reconciliation
    done = regenerate_slots(None, advisor, NOW, regeneration)
    assert (preview.withdraw, preview.conflicts) == (done.withdraw, done.conflicts)
    assert plan_slots(advisor, NOW, regeneration).reconciliation.conflicts == done.conflicts


# Races between regeneration and booking (each side in its own thread, session and transaction)


def slot_at(advisor_id: int, starts_at: datetime) -> Slot:
    return db.session.scalar(select(Slot).where(Slot.advisor_id == advisor_id, Slot.starts_at == starts_at))


def run(app, work, outcomes: dict, name: str, signal=None, release=None):
    """`work()` in a thread of its own with its own session; then `signal`, wait for `release`, commit."""
    import threading

    def body():
        with app.app_context():
            try:
                outcomes[name] = work()
                if signal is not None:
                    signal.set()
                    release.wait(20)
                db.session.commit()
            except DomainError as error:
                db.session.rollback()
                outcomes[name] = error
            finally:
                if signal is not None:
                    signal.set()
                db.session.remove()

    thread = threading.Thread(target=body)
    thread.start()
    return thread


def booking_by(app, slot_id: int, officer_id: int, topic_id: int, tmp_path):
    from clinic.accounts.models import User
    from clinic.organisations.models import Topic

    def work():
        officer = db.session.get(User, officer_id)
        request = BookingRequest(db.session.get(Slot, slot_id), officer.department, db.session.get(Topic, topic_id),
                                 "ขอคำปรึกษา", [AttendeeInput("นาย ก", "นักวิเคราะห์")])
        return book_slot(officer, request, NOW, str(tmp_path), 1000).id

    return work


def leave_taken(advisor_id: int, day: date):
    from clinic.accounts.models import User

    def work():
        advisor = db.session.get(User, advisor_id)
        _leave, plan = add_leave(advisor, advisor, LeaveInput(day, day), NOW, Regeneration(WEEKS, slots_holding_bookings))
        return plan

    return work


def test_a_booking_made_while_its_slot_is_being_withdrawn_waits_and_is_refused(app, advisor, officer, topic,
                                                                                regeneration, tmp_path):
    import threading
    import time as clock

    save_availability(advisor, advisor, weekly(), NOW, regeneration)
    slot_id = slot_at(advisor.id, bangkok(date(2026, 12, 1), "09:00")).id
    ids = (advisor.id, officer.id, topic.id)
    db.session.commit()
    outcomes: dict = {}
    withdrawn, release = threading.Event(), threading.Event()

    regenerating = run(app, leave_taken(ids[0], date(2026, 12, 1)), outcomes, "leave", withdrawn, release)
    assert withdrawn.wait(20)  # the slot is withdrawn, not yet committed
    booking = run(app, booking_by(app, slot_id, ids[1], ids[2], tmp_path), outcomes, "booking")
    clock.sleep(0.5)
    assert booking.is_alive()  # waiting for the withdrawal to commit
    release.set()
    regenerating.join(20)
    booking.join(20)

    assert isinstance(outcomes["booking"], DomainError), outcomes
    assert slot_id in outcomes["leave"].withdraw
    db.session.rollback()
    assert db.session.get(Slot, slot_id).status == SlotStatus.CANCELLED
    assert count(Booking) == 0


def test_a_withdrawal_started_while_its_slot_is_being_booked_waits_and_keeps_the_slot(app, advisor, officer, topic,
                                                                                       regeneration, tmp_path):
    import threading
    import time as clock

    save_availability(advisor, advisor, weekly(), NOW, regeneration)
    slot_id = slot_at(advisor.id, bangkok(date(2026, 12, 1), "09:00")).id
    ids = (advisor.id, officer.id, topic.id)
    db.session.commit()
    outcomes: dict = {}
    booked, release = threading.Event(), threading.Event()

    booking = run(app, booking_by(app, slot_id, ids[1], ids[2], tmp_path), outcomes, "booking", booked, release)
    assert booked.wait(20)  # the booking is made, not yet committed
    regenerating = run(app, leave_taken(ids[0], date(2026, 12, 1)), outcomes, "leave")
    clock.sleep(0.5)
    assert regenerating.is_alive()  # waiting for the booking to commit
    release.set()
    booking.join(20)
    regenerating.join(20)

    plan = outcomes["leave"]
    assert isinstance(outcomes["booking"], int), outcomes
    assert slot_id not in plan.withdraw and [c.slot_id for c in plan.conflicts] == [slot_id]
    db.session.rollback()
    assert db.session.get(Slot, slot_id).status == SlotStatus.OPEN
    assert count(Booking) == 1
