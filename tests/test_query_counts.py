"""Each page issues a fixed number of SQL queries, whatever the number of rows it shows (no N+1)."""

from datetime import timedelta

import pytest

from clinic.extensions import db
from clinic.records.models import Acknowledgement
from tests.factories import NOW, make_booking, make_published_record, make_slot
from tests.helpers import counted_queries


def fill(advisor, officer, topic, n: int, first: int = 0) -> None:
    """n sessions upcoming, and n held and published with an acknowledged record and an action item."""
    for i in range(first, first + n):
        upcoming = make_slot(advisor, NOW + timedelta(days=1, hours=2 * i))
        make_booking(upcoming, officer, topic)
        held = make_slot(advisor, NOW - timedelta(days=1, hours=2 * i))
        booking = make_booking(held, officer, topic, status="confirmed")
        record = make_published_record(booking, advisor, items=[("ทำตาราง", "department")])
        db.session.add(Acknowledgement(revision_id=record.revisions[0].id, department_id=booking.department_id,
                                       user_id=officer.id, acknowledged_at=NOW))
    db.session.commit()


PAGES = {
    "officer": ["/", "/casefile", "/book/{topic}"],
    "coordinator": ["/"],
    "admin": ["/", "/admin/advisors/calendar?date=2026-11-26", "/admin/feedback", "/next-steps"],
    "advisor": ["/", "/advisor/sessions", "/advisor/week?start=2026-11-23", "/advisor/week?start=2026-11-30", "/cases",
                "/casefile?department={department}", "/advisor/day?date=2026-11-26", "/advisor/month?month=2026-11-01",
                "/next-steps"],
}


@pytest.mark.parametrize("who", ["officer", "coordinator", "admin", "advisor"])
def test_pages_issue_the_same_queries_for_few_and_many_rows(app, login, advisor, officer, coordinator, admin, topic,
                                                            who):
    person = {"officer": officer, "coordinator": coordinator, "admin": admin, "advisor": advisor}[who]
    client = login(person)
    urls = [u.format(topic=topic.id, department=officer.department_id) for u in PAGES[who]]

    def measure() -> list[int]:
        counts = []
        for url in urls:
            db.session.expire_all()
            with counted_queries() as statements:
                assert client.get(url).status_code == 200
            counts.append(len(statements))
        return counts

    fill(advisor, officer, topic, 1)
    few = measure()
    fill(advisor, officer, topic, 6, first=1)
    many = measure()
    assert many == few, dict(zip(urls, zip(few, many, strict=True), strict=True))
