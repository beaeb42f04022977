"""The sessions report as a service: filters, fiscal years, aggregated counts, the guidance summary,
a fixed number of queries, and the audit event of an export. No HTTP."""

import re
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from clinic.audit.models import AuditEvent
from clinic.bookings.models import Attendee
from clinic.errors import DomainError, NotAllowed
from clinic.extensions import db
from clinic.i18n import BANGKOK, bangkok_to_utc
from clinic.records.models import RecordRevision
from clinic.reports.services import (
    SUMMARY_FETCH,
    SessionFilters,
    count_sessions,
    iter_sessions,
    record_sessions_export,
    session_page,
    summarise,
    utc_window,
)
from tests import factories
from tests.factories import NOW
from tests.helpers import counted_queries


def at_bangkok(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return bangkok_to_utc(date(year, month, day), hour, minute)


def make_session(advisor, officer, topic, starts_at: datetime | None = None, **booking_values):
    slot = factories.make_slot(advisor, starts_at or NOW + timedelta(days=7))
    return factories.make_booking(slot, officer, topic, **booking_values)


def references(admin, filters: SessionFilters) -> list[str]:
    """The page's references in order of start (the page itself lists the newest first)."""
    return [row.reference for row in reversed(session_page(admin, filters).rows)]




def test_report_has_one_row_per_booking_with_names_and_times(admin, booking, advisor, department, ministry, topic):
    page = session_page(admin, SessionFilters())
    assert page.total == 1
    [row] = page.rows
    assert row.reference == booking.reference
    assert row.starts_at == booking.slot.starts_at
    assert (row.advisor, row.ministry, row.department, row.topic) == (
        advisor.name, ministry.name_th, department.name_th, topic.name_th,
    )
    assert (row.mode, row.status, row.attendees, row.open_items, row.done_items) == ("onsite", "pending", 1, 0, 0)
    assert row.guidance_summary == ""


def test_sessions_come_in_order_of_their_start(admin, advisor, officer, topic):
    later = make_session(advisor, officer, topic, NOW + timedelta(days=9))
    sooner = make_session(advisor, officer, topic, NOW + timedelta(days=2))
    assert references(admin, SessionFilters()) == [sooner.reference, later.reference]
    assert [row.reference for row in session_page(admin, SessionFilters()).rows] == [later.reference, sooner.reference]


def test_cancelled_and_declined_sessions_are_left_out_unless_included(admin, advisor, officer, topic):
    confirmed = make_session(advisor, officer, topic, NOW + timedelta(days=1), status="confirmed")
    pending = make_session(advisor, officer, topic, NOW + timedelta(days=2), status="pending")
    cancelled = make_session(advisor, officer, topic, NOW + timedelta(days=3), status="cancelled")
    declined = make_session(advisor, officer, topic, NOW + timedelta(days=4), status="declined")
    assert references(admin, SessionFilters()) == [confirmed.reference, pending.reference]
    assert references(admin, SessionFilters(include_cancelled=True)) == [
        confirmed.reference, pending.reference, cancelled.reference, declined.reference,
    ]


@pytest.mark.parametrize("status", ["pending", "confirmed", "declined", "cancelled"])
def test_status_filter_gives_that_status_even_when_cancelled_are_not_included(admin, advisor, officer, topic, status):
    made = {
        s: make_session(advisor, officer, topic, NOW + timedelta(days=i + 1), status=s)
        for i, s in enumerate(["pending", "confirmed", "declined", "cancelled"])
    }
    assert references(admin, SessionFilters(status=status)) == [made[status].reference]
    assert references(admin, SessionFilters(status=status, include_cancelled=True)) == [made[status].reference]


def test_date_range_is_cut_by_bangkok_days(admin, advisor, officer, topic):
    # 23:30 on 1 December in Bangkok is still 1 December, though it is 16:30 UTC.
    late_first = make_session(advisor, officer, topic, at_bangkok(2026, 12, 1, 23, 0))
    early_second = make_session(advisor, officer, topic, at_bangkok(2026, 12, 2, 0, 30))
    third = make_session(advisor, officer, topic, at_bangkok(2026, 12, 3, 9, 0))
    assert references(admin, SessionFilters(date_from=date(2026, 12, 2), date_to=date(2026, 12, 2))) == [
        early_second.reference
    ]
    assert references(admin, SessionFilters(date_to=date(2026, 12, 1))) == [late_first.reference]
    assert references(admin, SessionFilters(date_from=date(2026, 12, 2))) == [early_second.reference, third.reference]


def test_utc_window_of_a_bangkok_day():
    start, end = utc_window(SessionFilters(date_from=date(2026, 12, 2), date_to=date(2026, 12, 2)))
    assert start == datetime(2026, 12, 2, tzinfo=BANGKOK)
    assert end == datetime(2026, 12, 3, tzinfo=BANGKOK)
    assert utc_window(SessionFilters()) == (None, None)


def test_fiscal_year_runs_from_october_to_september_in_bangkok(admin, advisor, officer, topic):
    last_of_2569 = make_session(advisor, officer, topic, at_bangkok(2026, 9, 30, 23, 0))
    first_of_2570 = make_session(advisor, officer, topic, at_bangkok(2026, 10, 1, 0, 30))
    last_of_2570 = make_session(advisor, officer, topic, at_bangkok(2027, 9, 30, 16, 0))
    first_of_2571 = make_session(advisor, officer, topic, at_bangkok(2027, 10, 1, 9, 0))
    assert references(admin, SessionFilters(fiscal_year=2569)) == [last_of_2569.reference]
    assert references(admin, SessionFilters(fiscal_year=2570)) == [first_of_2570.reference, last_of_2570.reference]
    assert references(admin, SessionFilters(fiscal_year=2571)) == [first_of_2571.reference]


def test_fiscal_year_and_dates_together_give_their_overlap(admin, advisor, officer, topic):
    make_session(advisor, officer, topic, at_bangkok(2026, 9, 15))
    october = make_session(advisor, officer, topic, at_bangkok(2026, 10, 15))
    make_session(advisor, officer, topic, at_bangkok(2026, 12, 15))
    filters = SessionFilters(fiscal_year=2570, date_from=date(2026, 9, 1), date_to=date(2026, 11, 30))
    assert references(admin, filters) == [october.reference]
    assert references(admin, SessionFilters(fiscal_year=2569, date_from=date(2026, 10, 1))) == []


def test_ministry_department_topic_and_advisor_filters(
    admin, advisor, other_advisor, officer, sister_officer, other_department_officer, topic, other_topic,
    department, sister_department, ministry,
):
    ours = make_session(advisor, officer, topic, NOW + timedelta(days=1))
    sister = make_session(advisor, sister_officer, topic, NOW + timedelta(days=2))
    elsewhere = make_session(advisor, other_department_officer, topic, NOW + timedelta(days=3))
    other_subject = make_session(advisor, officer, other_topic, NOW + timedelta(days=4))
    other_advisors = make_session(other_advisor, officer, topic, NOW + timedelta(days=5))

    assert references(admin, SessionFilters(ministry_id=ministry.id)) == [
        ours.reference, sister.reference, other_subject.reference, other_advisors.reference,
    ]
    assert references(admin, SessionFilters(department_id=sister_department.id)) == [sister.reference]
    assert references(admin, SessionFilters(ministry_id=other_department_officer.department.ministry_id)) == [
        elsewhere.reference
    ]
    assert references(admin, SessionFilters(topic_id=other_topic.id)) == [other_subject.reference]
    assert references(admin, SessionFilters(advisor_id=other_advisor.id)) == [other_advisors.reference]
    both = SessionFilters(department_id=department.id, topic_id=topic.id, advisor_id=advisor.id)
    assert references(admin, both) == [ours.reference]


def test_an_id_that_matches_nothing_gives_no_rows(admin, booking):
    assert references(admin, SessionFilters(department_id=999_999)) == []
    assert count_sessions(admin, SessionFilters(advisor_id=999_999)) == 0


def test_attendees_and_action_items_are_counted(admin, advisor, booking):
    db.session.add_all([Attendee(booking=booking, name=f"ผู้เข้าร่วม {n}", position="นักวิเคราะห์") for n in (2, 3)])
    record = factories.make_published_record(
        booking, advisor, items=[("ทบทวนภารกิจ", "department"), ("จัดทำร่าง", "department"),
                                 ("ส่งร่าง", "department"), ("ให้ความเห็น", "opdc")],
    )
    items = record.action_items
    items[1].status = "in_progress"
    items[2].status = "done"
    items[3].status = "done"
    db.session.flush()
    [row] = session_page(admin, SessionFilters()).rows
    assert (row.attendees, row.open_items, row.done_items) == (3, 2, 2)


def test_guidance_summary_is_the_latest_published_revision(admin, advisor, booking):
    record = factories.make_published_record(booking, advisor, guidance="คำแนะนำฉบับแรก")
    db.session.add(RecordRevision(record=record, number=2, guidance="คำแนะนำฉบับที่สอง", author_id=advisor.id,
                                  created_at=NOW, updated_at=NOW, published_at=NOW, published_by_id=advisor.id))
    db.session.add(RecordRevision(record=record, number=3, guidance="ร่างที่ยังไม่เผยแพร่", author_id=advisor.id,
                                  created_at=NOW, updated_at=NOW))
    db.session.flush()
    [row] = session_page(admin, SessionFilters()).rows
    assert row.guidance_summary == "คำแนะนำฉบับที่สอง"


def test_a_draft_only_record_has_no_guidance_summary(admin, advisor, booking):
    record = factories.make_published_record(booking, advisor, guidance="เผยแพร่แล้ว")
    revision = db.session.scalar(select(RecordRevision).where(RecordRevision.record_id == record.id))
    revision.published_at = None
    revision.published_by_id = None
    db.session.flush()
    [row] = session_page(admin, SessionFilters()).rows
    assert row.guidance_summary == ""


def test_long_guidance_is_cut_to_about_two_hundred_characters_on_one_line(admin, advisor, booking):
    factories.make_published_record(booking, advisor, guidance="ควรทบทวน\nภารกิจ   ของกรม " * 100)
    [row] = session_page(admin, SessionFilters()).rows
    assert len(row.guidance_summary) == 200
    assert row.guidance_summary.startswith("ควรทบทวน ภารกิจ ของกรม ควรทบทวน")
    assert row.guidance_summary.endswith("…")
    assert "\n" not in row.guidance_summary


def test_summarise():
    assert summarise(None) == ""
    assert summarise("  สั้น\r\nๆ  ") == "สั้น ๆ"
    assert summarise("ก" * 200) == "ก" * 200
    assert summarise("ก" * 201) == "ก" * 199 + "…"
    # the database hands over SUMMARY_FETCH + 1 characters: more than SUMMARY_FETCH means it was cut
    assert summarise(" " * (SUMMARY_FETCH - 50) + "ข" * 51) == "ข" * 50 + "…"


def test_pages_of_the_report(admin, advisor, officer, topic):
    made = [make_session(advisor, officer, topic, NOW + timedelta(days=d)).reference for d in range(1, 6)]
    first = session_page(admin, SessionFilters(), page=1, per_page=2)
    last = session_page(admin, SessionFilters(), page=3, per_page=2)
    beyond = session_page(admin, SessionFilters(), page=99, per_page=2)
    newest_first = made[::-1]
    assert [r.reference for r in first.rows] == newest_first[:2]
    assert (first.total, first.pages, first.first_number, first.last_number) == (5, 3, 1, 2)
    assert [r.reference for r in last.rows] == newest_first[4:]
    assert (beyond.page, [r.reference for r in beyond.rows]) == (3, newest_first[4:])


def test_streaming_gives_every_row_in_order(admin, advisor, officer, topic):
    made = [make_session(advisor, officer, topic, NOW + timedelta(days=d)).reference for d in range(1, 8)]
    assert [row.reference for row in iter_sessions(admin, SessionFilters(), yield_per=3)] == made


def test_report_issues_a_fixed_number_of_queries_whatever_the_rows(admin, advisor, officer, topic):
    first = make_session(advisor, officer, topic, NOW + timedelta(days=1))
    factories.make_published_record(first, advisor, items=[("ทบทวน", "department")])

    def run() -> int:
        with counted_queries() as statements:
            page = session_page(admin, SessionFilters(include_cancelled=True))
            exported = list(iter_sessions(admin, SessionFilters(include_cancelled=True)))
        assert len(page.rows) == len(exported) == page.total
        return len(statements)

    with_one = run()
    for day in range(2, 31):
        booking = make_session(advisor, officer, topic, NOW + timedelta(days=day), status="confirmed")
        factories.make_published_record(booking, advisor, guidance=f"คำแนะนำ {day}",
                                        items=[("ทบทวน", "department"), ("ส่ง", "opdc")])
    db.session.flush()
    with_thirty = run()
    assert with_one == with_thirty
    assert with_one <= 4  # count, page, export (and on PostgreSQL the export's SET LOCAL jit = off)


def test_filters_that_cannot_be_a_report_are_refused(admin):
    with pytest.raises(DomainError) as error:
        count_sessions(admin, SessionFilters(date_from=date(2026, 12, 2), date_to=date(2026, 12, 1)))
    assert error.value.field == "date_to"
    assert "วันที่สิ้นสุด" in str(error.value.message)
    with pytest.raises(DomainError) as error:
        count_sessions(admin, SessionFilters(fiscal_year=2026))
    assert error.value.field == "fiscal_year"
    with pytest.raises(DomainError) as error:
        count_sessions(admin, SessionFilters(date_from=date(1, 1, 1)))
    assert error.value.field == "date_from"
    with pytest.raises(DomainError) as error:
        count_sessions(admin, SessionFilters(date_to=date(9999, 12, 31)))
    assert error.value.field == "date_to"
    with pytest.raises(DomainError) as error:
        count_sessions(admin, SessionFilters(status="lost"))
    assert error.value.field == "status"


@pytest.mark.parametrize("person", ["officer", "coordinator", "advisor"])
def test_only_an_administrator_reads_or_exports_the_report(request, person):
    user = request.getfixturevalue(person)
    with pytest.raises(NotAllowed):
        session_page(user, SessionFilters())
    with pytest.raises(NotAllowed):
        iter_sessions(user, SessionFilters())
    with pytest.raises(NotAllowed):
        record_sessions_export(user, SessionFilters(), NOW)


def test_an_export_writes_an_audit_event_with_its_filters(admin, department):
    filters = SessionFilters(fiscal_year=2570, department_id=department.id, date_from=date(2026, 11, 1))
    record_sessions_export(admin, filters, NOW)
    [audit] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "report.exported")).all()
    assert (audit.actor_id, audit.object_type, audit.object_id) == (admin.id, "users", admin.id)
    assert audit.occurred_at == NOW
    assert audit.details["format"] == "csv"
    assert audit.details["report"] == "sessions"
    assert audit.details["filters"] == {
        "date_from": "2026-11-01", "date_to": None, "fiscal_year": 2570, "ministry_id": None,
        "department_id": department.id, "topic_id": None, "advisor_id": None, "status": None,
        "include_cancelled": False,
    }


def test_filters_give_back_their_query_string():
    filters = SessionFilters(date_from=date(2026, 11, 1), fiscal_year=2570, ministry_id=3, status="cancelled",
                             include_cancelled=True)
    assert filters.query_args() == {
        "date_from": "2026-11-01", "fiscal_year": "2570", "ministry": "3", "status": "cancelled",
        "include_cancelled": "y",
    }


def test_the_set_based_export_gives_the_rows_of_the_page(admin, advisor, officer, sister_officer, topic):
    """The export reads counts and guidance through grouped joins, the page through per-row subqueries:
    the same rows either way, whatever mix of attendees, next steps, revisions and drafts."""
    plain = make_session(advisor, officer, topic, NOW + timedelta(days=1))
    counted = make_session(advisor, sister_officer, topic, NOW + timedelta(days=2), status="confirmed")
    revised = make_session(advisor, officer, topic, NOW + timedelta(days=3), status="confirmed")
    drafted = make_session(advisor, officer, topic, NOW + timedelta(days=4), status="cancelled")
    db.session.add_all([Attendee(booking=counted, name=f"ผู้เข้าร่วม {n}", position="นักวิเคราะห์") for n in (2, 3)])
    record = factories.make_published_record(counted, advisor, items=[("ก", "department"), ("ข", "opdc")])
    record.action_items[1].status = "done"
    record = factories.make_published_record(revised, advisor, guidance="ฉบับแรก")
    db.session.add(RecordRevision(record=record, number=2, guidance="ฉบับที่สอง " * 40, author_id=advisor.id,
                                  created_at=NOW, updated_at=NOW, published_at=NOW, published_by_id=advisor.id))
    db.session.add(RecordRevision(record=record, number=3, guidance="ร่าง", author_id=advisor.id,
                                  created_at=NOW, updated_at=NOW))
    record = factories.make_published_record(drafted, advisor, items=[("ค", "department")])
    revision = db.session.scalar(select(RecordRevision).where(RecordRevision.record_id == record.id))
    revision.published_at = None
    db.session.flush()
    filters = SessionFilters(include_cancelled=True)
    exported = list(iter_sessions(admin, filters, yield_per=2))
    assert exported == session_page(admin, filters).rows[::-1]  # the page shows the newest first, exports the oldest
    assert [r.reference for r in exported] == [b.reference for b in (plain, counted, revised, drafted)]
    assert [(r.attendees, r.open_items, r.done_items) for r in exported] == [(1, 0, 0), (3, 1, 1), (1, 0, 0),
                                                                             (1, 1, 0)]
    assert exported[2].guidance_summary.startswith("ฉบับที่สอง") and exported[3].guidance_summary == ""


def test_the_export_reads_no_subquery_per_row(admin, booking):
    """One statement, its counts joined from grouped subqueries: no correlated subquery in its columns."""
    with counted_queries() as statements:
        list(iter_sessions(admin, SessionFilters()))
    [export] = [s for s in statements if "FROM bookings" in s]
    columns = re.split(r"\sFROM bookings", export)[0]
    assert "SELECT" not in columns[len("SELECT"):], columns


def test_the_system_exports_without_a_user(booking):
    assert [row.reference for row in iter_sessions(None, SessionFilters())] == [booking.reference]
    with pytest.raises(DomainError):
        iter_sessions(None, SessionFilters(fiscal_year=3000))
