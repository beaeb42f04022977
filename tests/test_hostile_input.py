"""Whatever lands in a form or a query string, the answer is a clear 4xx, never a 500, on both databases."""

import io
from datetime import timedelta

import pytest

from tests.factories import NOW, make_booking, make_slot
from tests.helpers import change_events

NASTY = [
    "\x00", "ก\x00ข", "' OR 1=1 --", "<script>alert(1)</script>", "🙂" * 50, "-1", "1e309", "NaN", "๑๒๓",
    "\u202e", " " * 5000, "x" * 20000,
]


@pytest.fixture
def forms(officer, advisor, topic, slot):
    held = make_booking(make_slot(advisor, NOW - timedelta(days=1)), officer, topic, status="confirmed")
    pending = make_booking(make_slot(advisor, NOW + timedelta(days=3)), officer, topic)
    return [
        (officer, f"/book/{topic.id}/slots/{slot.id}",
         ["department", "request_details", "attendees-0-name", "attendees-0-position"]),
        (officer, f"/bookings/{pending.id}/cancel", ["cancel-reason"]),
        (advisor, f"/bookings/{pending.id}/decline", ["decline-reason"]),
        (advisor, "/advisor/slots/new",
         ["first_day", "start", "end", "mode", "location", "meeting_url", "capacity", "weeks"]),
        (advisor, f"/bookings/{held.id}/record",
         ["attended", "attendance", "issues_raised", "guidance", "internal_note", "item-description", "item-owner",
          "item-due_on", "add_item"]),
        (advisor, f"/bookings/{held.id}/notes", ["body"]),
        (officer, "/login", ["email", "password"]),
    ]


def test_no_form_answers_a_500_whatever_it_is_sent(login, forms, admin):
    for user, url, fields in forms:
        client = login(user)
        if url == "/login":
            client.post("/logout")
        for value in NASTY:
            response = client.post(url, data=dict.fromkeys(fields, value))
            assert response.status_code < 500, (url, repr(value)[:40], response.status_code)
    client = login(admin)
    for value in NASTY:
        keys = ("date_from", "department", "fiscal_year", "status", "page")
        response = client.get("/admin/reports/sessions", query_string=dict.fromkeys(keys, value))
        assert response.status_code < 500, repr(value)[:40]


def test_a_nul_character_is_a_bad_request_that_changes_nothing(login, officer, booking):
    client = login(officer)
    response = client.post(f"/bookings/{booking.id}/cancel", data={"cancel-reason": "ติด\x00ภารกิจ"})
    assert response.status_code == 400
    assert "คำขอไม่ถูกต้อง" in response.get_data(as_text=True)
    assert booking.status == "pending"
    assert change_events() == 0


def test_a_nul_in_an_uploaded_file_name_is_a_bad_request(login, officer, department, topic, slot):
    data = {"department": department.id, "request_details": "ขอคำปรึกษา", "attendees-0-name": "นายก",
            "attendees-0-position": "นักวิเคราะห์", "document": (io.BytesIO(b"%PDF-1.4\n"), "a\x00.pdf")}
    response = login(officer).post(f"/book/{topic.id}/slots/{slot.id}", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
