"""The advisor's day (a printable agenda), week and month, and the administrator's day of every advisor side by
side: sessions, free slots, leave and clinic days, from one query function (three queries whatever the range)."""

from datetime import date, timedelta

from clinic.bookings.queries import calendar_days
from clinic.extensions import db
from clinic.scheduling.models import AdvisorLeave, ClinicDay
from tests import factories
from tests.factories import NOW
from tests.helpers import counted_queries

THURSDAY = date(2026, 11, 26)
SESSION = NOW + timedelta(days=1)  # Thursday 26 November 2026, 10:00 in Bangkok


def test_calendar_days_gathers_slots_bookings_and_leave_in_three_queries(advisor, other_advisor, officer, topic):
    booked = factories.make_slot(advisor, starts_at=SESSION)
    booking = factories.make_booking(booked, officer, topic, status="confirmed")
    free = factories.make_slot(advisor, starts_at=SESSION + timedelta(hours=2))
    db.session.add(AdvisorLeave(advisor_id=other_advisor.id, first_day=THURSDAY, last_day=THURSDAY, reason="ลาพักผ่อน"))
    db.session.flush()
    ids = [advisor.id, other_advisor.id]
    db.session.expire_all()
    with counted_queries() as statements:
        calendars = calendar_days(ids, THURSDAY - timedelta(days=3), THURSDAY + timedelta(days=3))
    assert len(statements) == 3
    [thursday] = [c for c in calendars[ids[0]] if c.day == THURSDAY]
    assert [s.id for s in thursday.slots] == [booked.id, free.id]
    assert [b.id for b in thursday.bookings[booked.id]] == [booking.id]
    assert thursday.leave is None
    [away] = [c for c in calendars[ids[1]] if c.day == THURSDAY]
    assert away.leave is not None and away.slots == []
    assert len(calendars[ids[0]]) == 7


def test_a_range_longer_than_six_weeks_is_cut(advisor):
    assert len(calendar_days([advisor.id], THURSDAY, THURSDAY + timedelta(days=400))[advisor.id]) == 42


def test_the_day_agenda_shows_each_session_with_its_attendees(login, advisor, officer, topic):
    booking = factories.make_booking(factories.make_slot(advisor, starts_at=SESSION), officer, topic,
                                     status="confirmed")
    page = login(advisor).get("/advisor/day?date=2026-11-26").get_data(as_text=True)
    assert booking.reference in page and "นายทดสอบ ระบบ" in page and "ขอคำปรึกษาเรื่องโครงสร้าง" in page
    assert "พฤ. 26 พ.ย. 2569" in page


def test_the_month_shows_sessions_leave_and_clinic_days(login, advisor, officer, topic, ministry):
    clinic = ClinicDay(ministry_id=ministry.id, day=date(2026, 12, 3), venue="กระทรวงอุตสาหกรรม ห้อง 301")
    db.session.add(clinic)
    db.session.flush()
    factories.make_slot(advisor, starts_at=NOW + timedelta(days=8), clinic_day_id=clinic.id)
    factories.make_booking(factories.make_slot(advisor, starts_at=SESSION), officer, topic, status="confirmed")
    db.session.add(AdvisorLeave(advisor_id=advisor.id, first_day=date(2026, 11, 30), last_day=date(2026, 11, 30)))
    page = login(advisor).get("/advisor/month?month=2026-11-01").get_data(as_text=True)
    assert "พฤศจิกายน 2569" in page
    november_26 = page[page.index('data-day="2026-11-26"'):]
    assert officer.department.abbreviation in november_26[:november_26.index("</td>")]
    november_30 = page[page.index('data-day="2026-11-30"'):]
    assert "data-leave" in november_30[:november_30.index("</td>")]
    december = login(advisor).get("/advisor/month?month=2026-12-15").get_data(as_text=True)
    assert "ธันวาคม 2569" in december and "กระทรวงอุตสาหกรรม ห้อง 301" in december


def test_bad_dates_show_today_not_an_error(login, advisor):
    client = login(advisor)
    for url in ("/advisor/month?month=2026-13-01", "/advisor/day?date=๒๕๖๙", "/advisor/day?date=99999-01-01",
                "/advisor/month?month=", "/advisor/week?start=0001-01-01"):
        assert client.get(url).status_code == 200, url


def test_administrators_see_every_advisor_side_by_side(login, admin, advisor, other_advisor, officer, topic):
    booking = factories.make_booking(factories.make_slot(advisor, starts_at=SESSION), officer, topic)
    factories.make_slot(other_advisor, starts_at=SESSION)
    page = login(admin).get("/admin/advisors/calendar?date=2026-11-26").get_data(as_text=True)
    assert f'data-advisor="{advisor.id}"' in page and f'data-advisor="{other_advisor.id}"' in page
    assert booking.reference in page
    assert login(advisor).get("/admin/advisors/calendar").status_code == 403
