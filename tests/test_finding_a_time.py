"""Finding a time on the booking page: the first slot available across advisors, a month of days with free slots,
and "any advisor" at a chosen time, which books the advisor with the fewest sessions to come. Each page issues a
fixed number of queries, whatever the number of slots."""

from datetime import UTC, date, datetime, timedelta
from urllib.parse import quote

import pytest
from sqlalchemy import select

from clinic.bookings.queries import first_available, least_loaded_slot, open_days_for_topic
from clinic.bookings.rules import BookingRules
from clinic.extensions import db
from clinic.scheduling.models import AdvisorLeave, ClinicDay, ClinicDayAccess
from tests.factories import NOW, make_booking, make_ministry, make_slot, make_user
from tests.helpers import counted_queries

RULES = BookingRules()


def at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(hours=hour - 7)


MONDAY = date(2026, 11, 30)  # bookable from NOW (Wednesday 25 November), which books from Friday 27 on


def test_first_available_is_the_earliest_bookable_across_advisors(advisor, other_advisor, topic, officer):
    make_slot(advisor, at(MONDAY + timedelta(days=2), 9))
    early = make_slot(other_advisor, at(MONDAY, 13))
    make_slot(advisor, at(date(2026, 11, 26), 9))  # Thursday: inside the minimum notice of two working days
    found = first_available(topic, NOW, RULES, [officer.department])
    assert found is not None and found.slot.id == early.id


def test_first_available_passes_over_leave_and_a_clinic_day_of_another_ministry(app, advisor, other_advisor, topic,
                                                                                 other_department_officer):
    db.session.add(AdvisorLeave(advisor_id=advisor.id, first_day=MONDAY, last_day=MONDAY))
    make_slot(advisor, at(MONDAY, 9))
    clinic_day = ClinicDay(ministry=make_ministry(), day=MONDAY, venue="กระทรวง", access=ClinicDayAccess.HOST_MINISTRY)
    clinic_day.topics = [topic]
    db.session.add(clinic_day)
    db.session.flush()
    make_slot(other_advisor, at(MONDAY, 10), clinic_day_id=clinic_day.id)
    later = make_slot(other_advisor, at(MONDAY, 14))
    found = first_available(topic, NOW, RULES, [other_department_officer.department])
    assert found is not None and found.slot.id == later.id


def test_the_month_counts_each_days_bookable_slots(advisor, other_advisor, topic):
    make_slot(advisor, at(MONDAY, 9))
    make_slot(other_advisor, at(MONDAY, 9))
    make_slot(advisor, at(date(2026, 12, 9), 9))
    full = make_slot(advisor, at(date(2026, 12, 9), 13))
    make_booking(full, make_user("officer"), topic)
    make_slot(advisor, at(date(2026, 12, 10), 9))  # Constitution Day: closed
    counts = open_days_for_topic(topic, NOW, RULES, date(2026, 11, 1), date(2026, 12, 31))
    assert counts == {MONDAY: 2, date(2026, 12, 9): 1}


def test_any_advisor_takes_the_one_with_fewest_sessions_to_come(app, advisor, other_advisor, topic, officer):
    busy = make_slot(advisor, at(MONDAY, 9))
    free = make_slot(other_advisor, at(MONDAY, 9))
    for hour in (13, 15):
        make_booking(make_slot(other_advisor, at(MONDAY + timedelta(days=1), hour)), make_user("officer"), topic)
    make_booking(make_slot(advisor, NOW - timedelta(days=3)), make_user("officer"), topic, status="confirmed")  # past
    chosen = least_loaded_slot(topic, NOW, RULES, at(MONDAY, 9), None, [officer.department])
    assert chosen is not None and chosen.id == busy.id  # other_advisor has two sessions to come, advisor none
    make_booking(make_slot(advisor, at(MONDAY + timedelta(days=2), 9)), make_user("officer"), topic)
    make_booking(make_slot(advisor, at(MONDAY + timedelta(days=2), 11)), make_user("officer"), topic)
    make_booking(make_slot(advisor, at(MONDAY + timedelta(days=2), 13)), make_user("officer"), topic)
    chosen = least_loaded_slot(topic, NOW, RULES, at(MONDAY, 9), None, [officer.department])
    assert chosen is not None and chosen.id == free.id


def test_any_advisor_on_the_page_opens_the_form_of_the_chosen_slot(app, advisor, other_advisor, topic, officer, login):
    make_slot(advisor, at(MONDAY, 9))
    free = make_slot(other_advisor, at(MONDAY, 9))
    make_booking(make_slot(advisor, at(MONDAY, 13)), make_user("officer"), topic)
    client = login(officer)
    page = client.get(f"/book/{topic.id}?day={MONDAY.isoformat()}").get_data(as_text=True)
    assert 'data-testid="any-advisor"' in page and "ว่าง 2 คน" in page
    response = client.get(f"/book/{topic.id}/any", query_string={"at": at(MONDAY, 9).isoformat()})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/book/{topic.id}/slots/{free.id}")


@pytest.mark.parametrize("value", ["", "yesterday", "2026-13-01T00:00", "9999-12-31T23:59:59-23:59", "\u0e51"])
def test_any_advisor_answers_a_bad_time_with_404(app, topic, officer, login, value):
    assert login(officer).get(f"/book/{topic.id}/any", query_string={"at": value}).status_code == 404


def test_any_advisor_at_a_time_nobody_is_free_says_so(app, advisor, topic, officer, login):
    response = login(officer).get(f"/book/{topic.id}/any", query_string={"at": at(MONDAY, 9).isoformat()},
                                  follow_redirects=True)
    assert "เวลานี้ไม่มีที่ปรึกษาว่างแล้ว" in response.get_data(as_text=True)


@pytest.mark.parametrize("query", ["month=2026-12", "month=1900-01", "month=x", "day=2026-11-30", "day=2030-01-01",
                                   "day=x&month=2026-13"])
def test_the_booking_page_takes_any_month_or_day(app, advisor, topic, officer, login, query):
    make_slot(advisor, at(MONDAY, 9))
    page = login(officer).get(f"/book/{topic.id}?{query}")
    assert page.status_code == 200
    assert 'data-testid="month"' in page.get_data(as_text=True)


def test_the_month_shows_the_days_with_free_slots(app, advisor, topic, officer, login):
    make_slot(advisor, at(date(2026, 12, 9), 9))
    page = login(officer).get(f"/book/{topic.id}?month=2026-12").get_data(as_text=True)
    assert "ธันวาคม 2569" in page
    assert 'data-day="2026-12-09"' in page and "ว่าง 1 ช่วง" in page


def test_the_booking_page_issues_the_same_queries_for_few_and_many_slots(app, advisor, other_advisor, topic, officer,
                                                                         login):
    client = login(officer)
    urls = [f"/book/{topic.id}", f"/book/{topic.id}?day={MONDAY.isoformat()}", f"/book/{topic.id}?month=2026-12",
            f"/book/{topic.id}/any?at={quote(at(MONDAY, 9).isoformat())}"]

    def add(n: int, first: int) -> None:
        for i in range(first, first + n):
            for who in (advisor, other_advisor):
                slot = make_slot(who, at(MONDAY + timedelta(days=i // 4), 9 + 2 * (i % 4)))
                if i % 3 == 0:
                    make_booking(slot, make_user("officer"), topic)
        db.session.commit()

    def measure() -> list[int]:
        counts = []
        for url in urls:
            db.session.expire_all()
            with counted_queries() as statements:
                assert client.get(url).status_code in (200, 302)
            counts.append(len(statements))
        return counts

    add(2, 0)
    make_slot(advisor, at(date(2026, 12, 9), 9))  # a December day too: each page reads what it would read for many
    db.session.commit()
    few = measure()
    add(30, 2)
    many = measure()
    assert many == few, dict(zip(urls, zip(few, many, strict=True), strict=True))
    assert db.session.scalar(select(db.func.count()).select_from(ClinicDay)) == 0
