"""The dashboard: sessions per month across the Thai fiscal year (labelled in BE), by topic, ministry and department,
advisors' utilisation, outcome rates and next steps, for administrators and advisors; the same figures in tables;
charts drawn by a vendored library from a JSON block, under the strict CSP."""

import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from clinic.errors import DomainError, NotAllowed
from clinic.extensions import db
from clinic.records.models import SessionFeedback
from clinic.reports.dashboard import dashboard
from clinic.reports.services import SessionFilters
from tests import factories
from tests.factories import NOW


@pytest.fixture
def sessions(officer, sister_officer, advisor, topic, other_topic):
    """FY 2570 (1 Oct 2026 – 30 Sep 2027): a held session in November with a next step overdue, one where nobody
    came, a cancelled and an expired request in December, an unbooked slot, and a pending request."""
    held = factories.make_slot(advisor, datetime(2026, 11, 2, 3, 0, tzinfo=UTC))
    record = factories.make_published_record(factories.make_booking(held, officer, topic, status="confirmed"), advisor,
                                             items=[("ส่งผัง", "department")])
    record.action_items[0].due_on = (NOW - timedelta(days=1)).date()
    empty = factories.make_slot(advisor, datetime(2026, 11, 3, 3, 0, tzinfo=UTC))
    nobody = factories.make_booking(empty, sister_officer, other_topic, status="confirmed")
    nobody.attendees[0].attended = False
    held_booking = record.booking
    held_booking.attendees[0].attended = True
    db.session.add(SessionFeedback(record=record, department_id=held_booking.department_id,
                                   given_by_id=officer.id, rating=4, comment="", created_at=NOW))
    december = factories.make_slot(advisor, datetime(2026, 12, 1, 3, 0, tzinfo=UTC), capacity=3)
    factories.make_booking(december, officer, topic, status="cancelled")
    factories.make_booking(december, sister_officer, topic, seat_number=2, status="expired")
    factories.make_slot(advisor, datetime(2026, 12, 3, 3, 0, tzinfo=UTC))
    factories.make_booking(factories.make_slot(advisor, NOW + timedelta(days=7)), officer, topic)
    db.session.commit()


def test_the_figures_of_a_fiscal_year(sessions, admin, topic):
    figures = dashboard(admin, SessionFilters(fiscal_year=2570), NOW.date(), NOW)
    assert [label for label, _n in figures.months][:3] == ["ต.ค. 2569", "พ.ย. 2569", "ธ.ค. 2569"]
    assert len(figures.months) == 12 and figures.months[-1][0] == "ก.ย. 2570"
    assert dict(figures.months)["พ.ย. 2569"] == 2 and dict(figures.months)["ธ.ค. 2569"] == 1  # the pending one
    assert figures.sessions == 3
    assert dict(figures.by_topic)[topic.name_th] == 2
    assert figures.outcomes == {"requests": 5, "cancelled": 1, "declined": 0, "expired": 1, "held": 2, "no_show": 1}
    assert figures.rate("cancelled") == 20.0 and figures.rate("no_show", "held") == 50.0
    assert (figures.open_steps, figures.overdue_steps) == (1, 1)
    assert figures.offered_hours == 5.0 and figures.booked_hours == 3.0  # 5 one-hour slots, 3 with an active booking
    assert (figures.rating_average, figures.ratings) == (4.0, 1)


def test_a_filter_cuts_every_figure(sessions, admin, department):
    figures = dashboard(admin, SessionFilters(fiscal_year=2570, department_id=department.id), NOW.date(), NOW)
    assert figures.sessions == 2 and figures.outcomes["requests"] == 3
    assert [name for name, _n in figures.by_department] == ["กรมโรงงานอุตสาหกรรม"]


def test_english_labels_keep_the_buddhist_era(sessions, admin):
    figures = dashboard(admin, SessionFilters(fiscal_year=2570), NOW.date(), NOW, language="en")
    assert figures.months[0][0] == "Oct 2569 BE"


def test_departments_cannot_read_the_dashboard_and_bad_filters_are_refused(sessions, officer, admin):
    with pytest.raises(NotAllowed):
        dashboard(officer, SessionFilters(), NOW.date(), NOW)
    with pytest.raises(DomainError):
        dashboard(admin, SessionFilters(date_from=NOW.date(), date_to=NOW.date() - timedelta(days=1)), NOW.date(), NOW)


def test_the_page_draws_from_json_and_shows_the_tables(sessions, login, admin, advisor):
    for person in (admin, advisor):
        page = login(person).get("/dashboard")
        html = page.get_data(as_text=True)
        assert page.status_code == 200
        data = json.loads(re.search(r'<script type="application/json" id="dashboard-data">(.*?)</script>', html,
                                    re.S).group(1))
        assert data["months"]["labels"][1] == "พ.ย. 2569" and data["months"]["values"][1] == 2
        assert 'data-testid="table-months"' in html and 'data-testid="rating"' in html and "4.00" in html
        assert "vendor/chartjs/chart.umd.js" in html and "<script>" not in html
        assert "script-src 'self'" in page.headers["Content-Security-Policy"]


def test_a_name_with_markup_cannot_break_out_of_the_json(sessions, login, admin, topic):
    topic.name_th = "</script><script>alert(1)</script>"
    db.session.commit()
    html = login(admin).get("/dashboard").get_data(as_text=True)
    assert "<script>alert(1)" not in html


def test_bad_filters_on_the_page(login, admin):
    answer = login(admin).get("/dashboard?fiscal_year=1")
    assert answer.status_code == 422 and 'data-testid="dashboard-invalid"' in answer.get_data(as_text=True)
