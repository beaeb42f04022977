"""Forms that never lose work: every error at once, the typed text and an attached file kept across a failed
submission (the file held on the server, shown by name, removable), text beyond a limit refused, never cut."""

import io
import re

from sqlalchemy import func, select

from clinic.bookings import held_uploads
from clinic.bookings.models import Booking, Document
from clinic.extensions import db

PDF = b"%PDF-1.4\n%%EOF\n"


def errors(page: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, message in re.findall(r'data-field-error="([^"]+)">([^<]*)<', page):
        found.setdefault(name, []).append(message)
    return found


def held_token(page: str) -> str:
    found = re.search(r'name="held_document" type="hidden" value="([^"]*)"', page)
    return found.group(1) if found else ""


def test_an_empty_booking_form_flags_the_question_and_the_attendees_on_the_first_submit(login, officer, topic, slot):
    response = login(officer).post(f"/book/{topic.id}/slots/{slot.id}", data={"request_details": ""})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert set(errors(page)) == {"request_details", "attendees"}
    assert 'aria-describedby="request_details-count request_details-error"' in page
    assert 'aria-describedby="attendees-error"' in page


def test_a_file_survives_a_failed_submit_and_is_attached_on_the_next(login, officer, department, topic, slot, app):
    client = login(officer)
    url = f"/book/{topic.id}/slots/{slot.id}"
    first = client.post(url, data={"department": department.id, "request_details": "ขอคำปรึกษา",
                                   "document": (io.BytesIO(PDF), "ร่างโครงสร้าง.pdf")},
                        content_type="multipart/form-data")
    page = first.get_data(as_text=True)
    assert first.status_code == 422 and "ร่างโครงสร้าง.pdf" in page and "ขอคำปรึกษา" in page
    token = held_token(page)
    assert token
    second = client.post(url, data={"department": department.id, "request_details": "ขอคำปรึกษา",
                                    "attendees-0-name": "นายอนุชา โรงงานดี", "attendees-0-position": "นักวิเคราะห์",
                                    "held_document": token}, content_type="multipart/form-data")
    assert second.status_code == 302
    document = db.session.scalar(select(Document))
    assert document is not None and document.filename == "ร่างโครงสร้าง.pdf"
    assert held_uploads.find(token, app.config["UPLOAD_FOLDER"], officer.id) is None  # released once used


def test_a_held_file_can_be_removed_and_belongs_to_its_sender(login, officer, colleague, department, topic, slot, app):
    url = f"/book/{topic.id}/slots/{slot.id}"
    client = login(officer)
    page = client.post(url, data={"request_details": "", "document": (io.BytesIO(PDF), "ผัง.pdf")},
                       content_type="multipart/form-data").get_data(as_text=True)
    token = held_token(page)
    assert held_uploads.find(token, app.config["UPLOAD_FOLDER"], colleague.id) is None  # someone else's token: nothing
    removed = client.post(url, data={"request_details": "", "held_document": token, "remove_document": "y"},
                          content_type="multipart/form-data").get_data(as_text=True)
    assert "ผัง.pdf" not in removed and held_token(removed) == ""
    assert held_uploads.find(token, app.config["UPLOAD_FOLDER"], officer.id) is None


def test_text_beyond_the_limit_is_refused_with_a_message_not_cut(login, officer, department, topic, slot):
    long = "ก" * 4001
    response = login(officer).post(f"/book/{topic.id}/slots/{slot.id}", data={
        "department": department.id, "request_details": long,
        "attendees-0-name": "นายอนุชา โรงงานดี", "attendees-0-position": "นักวิเคราะห์"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and errors(page)["request_details"] == ["ยาวเกิน 4000 ตัวอักษร"]
    assert long in page  # given back whole, to shorten
    assert not re.search(r'\smaxlength="', page) and 'data-maxlength="4000"' in page  # no silent cut
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 0


def test_the_413_page_leads_back_to_the_form(login, officer, department, topic, slot):
    url = f"/book/{topic.id}/slots/{slot.id}"
    data = {"department": department.id, "document": (io.BytesIO(b"0" * (13 * 1024 * 1024)), "a.pdf")}
    response = login(officer).post(url, data=data, content_type="multipart/form-data")
    response.request.environ["wsgi.input"].close()
    assert response.status_code == 413
    assert f'data-restore-form="{url}"' in response.get_data(as_text=True)
