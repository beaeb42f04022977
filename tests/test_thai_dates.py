"""Dates as Thai users write them: Buddhist-Era years in Thai, Gregorian in English, never off by 543 years."""

from datetime import date, time

import pytest

from clinic.forms import parse_date, parse_time, show_date


@pytest.mark.parametrize(("typed", "day"), [
    ("2/12/2569", date(2026, 12, 2)),  # BE, as Thai users write it
    ("02/12/2569", date(2026, 12, 2)),
    ("๒/๑๒/๒๕๖๙", date(2026, 12, 2)),  # Thai digits
    ("2-12-2569", date(2026, 12, 2)),
    ("2.12.2569", date(2026, 12, 2)),
    ("2/12/2026", date(2026, 12, 2)),  # Gregorian: a year below 2400
    ("2026-12-02", date(2026, 12, 2)),  # ISO, as browsers and scripts send it
    ("2569-12-02", date(2026, 12, 2)),
    ("29/2/2567", date(2024, 2, 29)),  # a BE leap year is the Gregorian leap year
])
def test_dates_are_read_in_either_era_where_unambiguous(typed, day):
    assert parse_date(typed) == day


@pytest.mark.parametrize("typed", ["2/12/69", "31/2/2569", "29/2/2568", "2/13/2569", "tomorrow", "", "1/1/12345"])
def test_ambiguous_or_impossible_dates_are_refused(typed):
    assert parse_date(typed) is None


def test_dates_are_shown_in_the_readers_era():
    assert show_date(date(2026, 12, 2), "th") == "2/12/2569"
    assert show_date(date(2026, 12, 2), "en") == "2/12/2026"
    assert parse_date(show_date(date(2026, 12, 2), "th")) == parse_date(show_date(date(2026, 12, 2), "en"))


@pytest.mark.parametrize(("typed", "moment"), [("9:00", time(9)), ("09:00", time(9)), ("13.30", time(13, 30)),
                                               ("1330", time(13, 30)), ("14:00 น.", time(14)), ("๑๔:๐๐", time(14))])
def test_times_are_24_hour(typed, moment):
    assert parse_time(typed) == moment


@pytest.mark.parametrize("typed", ["24:00", "9:60", "9 AM", "", "9"])
def test_bad_times_are_refused(typed):
    assert parse_time(typed) is None


def test_an_advisor_who_types_a_be_year_gets_that_day(login, advisor, app):
    """2569 is not "more than five years ahead": it is 2026."""
    response = login(advisor).post("/advisor/leave", data={"first_day": "7/12/2569", "last_day": "8/12/2569",
                                                           "reason": "ลาพักผ่อน"})
    assert response.status_code == 302
    page = login(advisor).get("/advisor/leave").get_data(as_text=True)
    assert "7 ธ.ค. 2569" in page
