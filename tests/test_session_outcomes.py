"""Held and no-show agree with the attendance recorded in the session's record, everywhere: the booking, the case
file, the report (rows, filter, CSV) and the advisor's list all read one rule (`clinic.bookings.outcomes`)."""

from datetime import timedelta

from sqlalchemy import select

from clinic.bookings.models import Booking
from clinic.bookings.outcomes import shown_status, shown_status_column
from clinic.extensions import db
from clinic.records.services import RecordContent, save_draft
from clinic.reports.services import SessionFilters, session_page
from tests.factories import NOW, make_booking, make_slot, make_user


def test_attendance_recorded_makes_held_or_no_show_the_same_in_python_and_sql(advisor, officer, topic):
    held = make_booking(make_slot(advisor, NOW - timedelta(days=3)), officer, topic, status="confirmed")
    absent = make_booking(make_slot(advisor, NOW - timedelta(days=2)), make_user("officer"), topic, status="confirmed")
    unrecorded = make_booking(make_slot(advisor, NOW - timedelta(days=1)), make_user("officer"), topic,
                              status="confirmed")
    cancelled = make_booking(make_slot(advisor, NOW - timedelta(days=4)), make_user("officer"), topic,
                             status="cancelled")
    save_draft(advisor, held, RecordContent("มาครบ", "", ""), {held.attendees[0].id}, NOW)
    save_draft(advisor, absent, RecordContent("ไม่มีผู้มา", "", ""), set(), NOW)
    db.session.flush()

    expected = {held.id: "held", absent.id: "no_show", unrecorded.id: "confirmed", cancelled.id: "cancelled"}
    assert {b.id: shown_status(b) for b in (held, absent, unrecorded, cancelled)} == expected
    assert {i: s for i, s in db.session.execute(select(Booking.id, shown_status_column()))} == expected


def test_the_report_case_file_and_advisors_list_show_them(client, login, advisor, officer, topic):
    admin = make_user("admin")
    held = make_booking(make_slot(advisor, NOW - timedelta(days=3)), officer, topic, status="confirmed")
    absent = make_booking(make_slot(advisor, NOW - timedelta(days=2)), officer, topic, status="confirmed")
    save_draft(advisor, held, RecordContent("มาครบ", "", ""), {held.attendees[0].id}, NOW)
    save_draft(advisor, absent, RecordContent("", "", ""), set(), NOW)
    db.session.commit()

    rows = {r.booking_id: r.status for r in session_page(admin, SessionFilters()).rows}
    assert rows == {held.id: "held", absent.id: "no_show"}
    assert [r.booking_id for r in session_page(admin, SessionFilters(status="no_show")).rows] == [absent.id]
    assert session_page(admin, SessionFilters(status="confirmed")).rows == []

    login(officer)
    case_file = client.get("/casefile").get_data(as_text=True)
    assert 'data-status="held"' in case_file and 'data-status="no_show"' in case_file
    login(advisor)
    sessions = client.get("/advisor/sessions").get_data(as_text=True)
    assert 'data-status="held"' in sessions and 'data-status="no_show"' in sessions
    weeks = "".join(client.get(f"/advisor/week?start={monday}").get_data(as_text=True)
                    for monday in ("2026-11-16", "2026-11-23"))  # Sunday 22 and Monday 23 November
    assert "ให้คำปรึกษาแล้ว" in weeks and "ไม่มาตามนัด" in weeks
    login(admin)
    report = client.get("/admin/reports/sessions").get_data(as_text=True)
    assert "ไม่มาตามนัด" in report and "ให้คำปรึกษาแล้ว" in report
    csv = client.get("/admin/reports/sessions.csv").get_data(as_text=True)
    assert "ไม่มาตามนัด" in csv
