"""The slot generator and the reconciliation plan: pure functions, at the fixed clock NOW (Wednesday 25 November
2026, 10:00 in Bangkok), with the real Thai public holidays. No database."""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from clinic.i18n import to_bangkok
from clinic.scheduling.generation import (
    Closed,
    Exceptions,
    ExistingSlot,
    Hours,
    Rules,
    WantedSlot,
    merged,
    plan_reconciliation,
    sessions_in,
    unwanted_reason,
    wanted_slots,
)
from clinic.scheduling.models import SlotMode, SlotSource
from clinic.scheduling.queries import holiday_name
from tests.factories import NOW

MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY = range(5)


def hours(text: str) -> Hours:
    start, end = text.split("-")
    return Hours(time.fromisoformat(start), time.fromisoformat(end))


def rules(**overrides) -> Rules:
    values = {
        "weekly": {d: [hours("09:00-12:00")] for d in (MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY)},
        "session": timedelta(minutes=60),
        "buffer": timedelta(0),
        "valid_from": date(2026, 11, 1),
        "valid_until": None,
        "mode": SlotMode.ONSITE,
        "location": "ห้องประชุม 1",
    }
    return Rules(**{**values, **overrides})


def generate(rule: Rules | None = None, exceptions: Exceptions | None = None, now: datetime = NOW, weeks: int = 8):
    return wanted_slots(rule if rule is not None else rules(), exceptions or Exceptions(), now, weeks, holiday_name)


def on(slots: list[WantedSlot], day: date) -> list[str]:
    """The sessions of `day` as Bangkok times: ['09:00-10:00', ...]."""
    return [
        f"{to_bangkok(s.starts_at):%H:%M}-{to_bangkok(s.ends_at):%H:%M}"
        for s in slots if to_bangkok(s.starts_at).date() == day
    ]


def days_of(slots: list[WantedSlot]) -> set[date]:
    return {to_bangkok(s.starts_at).date() for s in slots}


# Sessions within a range


def test_whole_sessions_fill_a_range_and_a_part_session_is_left_out():
    assert [str(s) for s in sessions_in(hours("09:00-12:30"), timedelta(minutes=60), timedelta(0))] == [
        "09:00-10:00", "10:00-11:00", "11:00-12:00"
    ]


def test_the_buffer_follows_each_session():
    found = sessions_in(hours("09:00-12:00"), timedelta(minutes=50), timedelta(minutes=10))
    assert [str(s) for s in found] == ["09:00-09:50", "10:00-10:50", "11:00-11:50"]
    found = sessions_in(hours("09:00-12:00"), timedelta(minutes=60), timedelta(minutes=30))
    assert [str(s) for s in found] == ["09:00-10:00", "10:30-11:30"]  # 12:00-13:00 would end after the range


def test_a_range_shorter_than_a_session_holds_none():
    assert sessions_in(hours("09:00-09:45"), timedelta(minutes=60), timedelta(0)) == []


def test_a_range_may_end_late_in_the_day():
    assert [str(s) for s in sessions_in(hours("22:00-23:59"), timedelta(minutes=60), timedelta(0))] == ["22:00-23:00"]


def test_overlapping_and_touching_ranges_are_joined():
    assert merged([hours("13:00-15:00"), hours("09:00-12:00"), hours("11:00-12:30"), hours("15:00-16:00")]) == [
        hours("09:00-12:30"), hours("13:00-16:00")
    ]


# The horizon and the clock


def test_slots_are_stored_in_utc_for_bangkok_hours():
    slots = generate()
    first = slots[0]
    assert first.starts_at.tzinfo == UTC
    assert first.starts_at == datetime(2026, 11, 25, 4, 0, tzinfo=UTC)  # 11:00 Bangkok, today


def test_sessions_that_already_started_today_are_not_generated():
    # At 10:00 the 09:00 session has started and the 10:00 one starts now: only 11:00 is left today.
    assert on(generate(), date(2026, 11, 25)) == ["11:00-12:00"]


def test_the_horizon_runs_the_given_number_of_weeks_from_today():
    slots = generate(weeks=2)
    assert max(days_of(slots)) == date(2026, 12, 8)  # the last day is 13 days after today (a Tuesday)
    assert on(slots, date(2026, 12, 9)) == []
    assert max(days_of(generate(weeks=8))) == date(2027, 1, 19)


def test_weekends_without_hours_get_nothing_and_weekend_hours_are_kept():
    assert on(generate(), date(2026, 11, 28)) == []  # Saturday
    saturday = rules(weekly={5: [hours("09:00-11:00")]})
    assert on(generate(saturday), date(2026, 11, 28)) == ["09:00-10:00", "10:00-11:00"]


def test_several_ranges_on_one_weekday():
    rule = rules(weekly={THURSDAY: [hours("09:00-10:00"), hours("13:00-15:00")]})
    assert on(generate(rule), date(2026, 11, 26)) == ["09:00-10:00", "13:00-14:00", "14:00-15:00"]


def test_every_slot_carries_the_mode_place_and_capacity():
    rule = rules(mode=SlotMode.ONLINE, location="", meeting_url="https://meet.opdc.go.th/a", capacity=3)
    assert {(s.mode, s.location, s.meeting_url, s.capacity) for s in generate(rule)} == {
        (SlotMode.ONLINE, "", "https://meet.opdc.go.th/a", 3)
    }


def test_no_availability_wants_nothing():
    assert wanted_slots(None, Exceptions(), NOW, 8, holiday_name) == []


# The period


def test_nothing_before_the_period_starts_or_after_it_ends():
    rule = rules(valid_from=date(2026, 12, 1), valid_until=date(2026, 12, 4))
    assert days_of(generate(rule)) == {date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 3), date(2026, 12, 4)}


def test_a_period_that_ended_wants_nothing():
    assert generate(rules(valid_from=date(2026, 1, 1), valid_until=date(2026, 11, 24))) == []


# Public holidays


def test_no_slots_on_a_public_holiday():
    assert holiday_name(date(2026, 12, 10))  # Constitution Day, a Thursday
    assert on(generate(), date(2026, 12, 10)) == []
    assert on(generate(), date(2026, 12, 9)) == ["09:00-10:00", "10:00-11:00", "11:00-12:00"]


def test_no_slots_on_a_substitute_holiday():
    # 5 December 2026 (Father's Day) is a Saturday; Monday 7 December is its substitute day off.
    assert "ชดเชย" in holiday_name(date(2026, 12, 7))
    assert on(generate(), date(2026, 12, 7)) == []
    assert on(generate(), date(2026, 12, 8)) != []


def test_no_slots_on_new_years_eve_and_day_across_the_year_end():
    slots = generate()
    assert on(slots, date(2026, 12, 31)) == [] and on(slots, date(2027, 1, 1)) == []
    assert on(slots, date(2026, 12, 30)) != [] and on(slots, date(2027, 1, 4)) != []


def test_extra_hours_on_a_holiday_are_not_generated_either():
    extra = Exceptions(extra={date(2026, 12, 10): [hours("13:00-15:00")]})
    assert on(generate(exceptions=extra), date(2026, 12, 10)) == []


# Leave and dated exceptions


def test_no_slots_on_days_of_leave():
    leave = Exceptions(leave=[(date(2026, 12, 1), date(2026, 12, 3))])
    slots = generate(exceptions=leave)
    assert not days_of(slots) & {date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 3)}
    assert on(slots, date(2026, 11, 30)) != [] and on(slots, date(2026, 12, 4)) != []


def test_a_day_off_removes_that_days_hours_only():
    slots = generate(exceptions=Exceptions(days_off=frozenset({date(2026, 12, 2)})))
    assert on(slots, date(2026, 12, 2)) == []
    assert on(slots, date(2026, 12, 9)) != []


def test_extra_hours_add_sessions_to_a_date():
    extra = Exceptions(extra={date(2026, 12, 2): [hours("13:00-15:00")], date(2026, 11, 28): [hours("09:00-10:00")]})
    slots = generate(exceptions=extra)
    assert on(slots, date(2026, 12, 2)) == ["09:00-10:00", "10:00-11:00", "11:00-12:00", "13:00-14:00", "14:00-15:00"]
    assert on(slots, date(2026, 11, 28)) == ["09:00-10:00"]  # a Saturday without weekly hours
    assert on(slots, date(2026, 12, 9)) == ["09:00-10:00", "10:00-11:00", "11:00-12:00"]  # only that date


def test_extra_hours_that_overlap_the_weekly_hours_extend_them():
    extra = Exceptions(extra={date(2026, 12, 2): [hours("11:30-14:00")]})
    assert on(generate(exceptions=extra), date(2026, 12, 2)) == [
        "09:00-10:00", "10:00-11:00", "11:00-12:00", "12:00-13:00", "13:00-14:00"
    ]


def test_extra_hours_apply_outside_the_period():
    rule = rules(valid_until=date(2026, 11, 30))
    extra = Exceptions(extra={date(2026, 12, 2): [hours("13:00-14:00")]})
    assert on(generate(rule, extra), date(2026, 12, 2)) == ["13:00-14:00"]


# Reconciliation


def existing(slot: WantedSlot, slot_id: int, **overrides) -> ExistingSlot:
    values = {
        "id": slot_id, "starts_at": slot.starts_at, "ends_at": slot.ends_at, "source": SlotSource.GENERATED,
        "mode": slot.mode, "location": slot.location, "meeting_url": slot.meeting_url, "capacity": slot.capacity,
    }
    return ExistingSlot(**{**values, **overrides})


def plan(wanted, slots, reason=Closed.OUTSIDE_HOURS):
    return plan_reconciliation(wanted, slots, NOW, lambda _slot: reason)


def test_a_new_availability_creates_every_wanted_slot():
    wanted = generate(weeks=1)
    result = plan(wanted, [])
    assert result.create == sorted(wanted) and result.withdraw == [] and result.conflicts == []


def test_slots_already_there_are_kept_so_a_second_run_changes_nothing():
    wanted = generate(weeks=1)
    result = plan(wanted, [existing(w, i) for i, w in enumerate(wanted, 1)])
    assert not result.changes and result.conflicts == [] and result.skipped == []


def test_free_slots_no_longer_wanted_are_withdrawn():
    wanted = generate(weeks=1)
    result = plan(wanted[1:], [existing(w, i) for i, w in enumerate(wanted, 1)])
    assert result.withdraw == [1] and result.create == []


def test_a_booked_slot_no_longer_wanted_is_kept_and_reported():
    wanted = generate(weeks=1)
    result = plan(wanted[1:], [existing(wanted[0], 1, held=True)], reason=Closed.LEAVE)
    assert result.withdraw == []
    assert [(c.slot_id, c.reason) for c in result.conflicts] == [(1, Closed.LEAVE)]


def test_a_free_slot_whose_details_changed_is_replaced():
    wanted = generate(weeks=1)
    result = plan(wanted[:1], [existing(wanted[0], 1, location="ห้องเดิม")])
    assert result.withdraw == [1] and result.create == wanted[:1]


def test_a_booked_slot_whose_details_changed_is_kept_and_reported():
    wanted = generate(weeks=1)
    result = plan(wanted[:1], [existing(wanted[0], 1, capacity=2, held=True)])
    assert result.withdraw == [] and result.create == []
    assert [(c.slot_id, c.reason) for c in result.conflicts] == [(1, Closed.DETAILS_CHANGED)]


def test_manual_slots_are_never_withdrawn_and_wanted_slots_that_overlap_them_are_skipped():
    wanted = generate(weeks=1)
    manual = existing(wanted[0], 7, source=SlotSource.MANUAL, starts_at=wanted[0].starts_at + timedelta(minutes=30),
                      ends_at=wanted[0].ends_at + timedelta(minutes=30))
    unrelated = existing(wanted[0], 8, source=SlotSource.MANUAL, starts_at=NOW + timedelta(days=30),
                         ends_at=NOW + timedelta(days=30, hours=1))
    result = plan(wanted, [manual, unrelated])
    assert result.withdraw == []
    # The manual slot is 11:30-12:30 today: only the 11:00-12:00 session overlaps it.
    assert [(s.wanted, s.blocker_id, s.blocker_source) for s in result.skipped] == [
        (wanted[0], 7, SlotSource.MANUAL)
    ]
    assert result.create == sorted(wanted[1:])


def test_a_wanted_slot_overlapping_a_kept_booked_slot_is_skipped():
    wanted = generate(weeks=1)
    shifted = existing(wanted[0], 1, held=True, starts_at=wanted[0].starts_at - timedelta(minutes=30),
                       ends_at=wanted[0].ends_at - timedelta(minutes=30))
    result = plan(wanted, [shifted])
    assert [c.slot_id for c in result.conflicts] == [1]
    assert [(s.wanted, s.blocker_id) for s in result.skipped] == [(wanted[0], 1)]


def test_slots_that_have_started_are_left_alone():
    started = ExistingSlot(1, NOW - timedelta(minutes=30), NOW + timedelta(minutes=30), SlotSource.GENERATED,
                           SlotMode.ONSITE, "ห้องประชุม 1", "", 1)
    result = plan([], [started])
    assert result.withdraw == [] and result.conflicts == []


@pytest.mark.parametrize(
    ("day", "exceptions", "rule", "reason"),
    [
        (date(2026, 12, 7), Exceptions(), rules(), Closed.HOLIDAY),
        (date(2026, 12, 2), Exceptions(leave=[(date(2026, 12, 1), date(2026, 12, 2))]), rules(), Closed.LEAVE),
        (date(2026, 12, 2), Exceptions(days_off=frozenset({date(2026, 12, 2)})), rules(), Closed.DAY_OFF),
        (date(2026, 12, 2), Exceptions(), rules(valid_until=date(2026, 12, 1)), Closed.OUTSIDE_PERIOD),
        (date(2026, 12, 2), Exceptions(), None, Closed.OUTSIDE_PERIOD),
        (date(2026, 12, 2), Exceptions(), rules(), Closed.OUTSIDE_HOURS),
    ],
)
def test_a_conflict_says_why_the_slot_no_longer_fits(day, exceptions, rule, reason):
    starts_at = datetime.combine(day, time(9), UTC)
    slot = ExistingSlot(1, starts_at, starts_at + timedelta(hours=1), SlotSource.GENERATED, SlotMode.ONSITE, "", "", 1)
    assert unwanted_reason(slot, rule, exceptions, holiday_name) == reason
