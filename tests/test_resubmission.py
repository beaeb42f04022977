"""A booking form sent twice — a retry after a lost answer, a double click, Back and send — makes one booking:
the second sending finds the booking the first made, instead of a refusal or a second seat."""

import http.client
import threading
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from clinic.audit.models import AuditEvent
from clinic.bookings.models import Booking
from clinic.bookings.services import AttendeeInput, BookingRequest, book_slot
from clinic.extensions import db
from clinic.notifications.models import OutboxMessage
from clinic.organisations.models import Department, Topic
from clinic.scheduling.models import Slot
from tests.factories import NOW, PASSWORD, make_slot
from tests.test_routes import booking_form


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def request_with_key(slot, department, topic, key: str | None) -> BookingRequest:
    return BookingRequest(slot=slot, department=department, topic=topic, request_details="ขอคำปรึกษา",
                          attendees=[AttendeeInput("นายทดสอบ ระบบ", "นักวิเคราะห์")], submission_key=key)


def test_the_same_submission_twice_is_one_booking_one_event_and_one_set_of_mail(officer, department, topic, advisor,
                                                                                tmp_path):
    slot = make_slot(advisor, capacity=3)
    first = book_slot(officer, request_with_key(slot, department, topic, "k1"), NOW, str(tmp_path), 1024)
    db.session.commit()
    mail, events = count(OutboxMessage), count(AuditEvent)
    again = book_slot(officer, request_with_key(slot, department, topic, "k1"), NOW, str(tmp_path), 1024)
    db.session.commit()
    assert again.id == first.id
    assert count(Booking) == 1 and count(OutboxMessage) == mail and count(AuditEvent) == events


def test_a_new_submission_is_a_new_booking_and_keys_belong_to_their_user(officer, colleague, department, topic,
                                                                         advisor, tmp_path):
    slot = make_slot(advisor, capacity=3)
    mine = book_slot(officer, request_with_key(slot, department, topic, "k1"), NOW, str(tmp_path), 1024)
    second_slot = make_slot(advisor, NOW + timedelta(days=8))  # one seat per department in a slot
    other = book_slot(officer, request_with_key(second_slot, department, topic, "k2"), NOW, str(tmp_path), 1024)
    third_slot = make_slot(advisor, NOW + timedelta(days=9))
    theirs = book_slot(colleague, request_with_key(third_slot, department, topic, "k1"), NOW, str(tmp_path), 1024)
    assert len({mine.id, other.id, theirs.id}) == 3


@pytest.mark.parametrize("capacity", [1, 3])
def test_simultaneous_sendings_of_one_form_make_one_booking(app, advisor, officer, department, topic, tmp_path,
                                                            capacity):
    from clinic.accounts.models import User

    slot = make_slot(advisor, capacity=capacity)
    ids = (slot.id, department.id, topic.id, officer.id)
    db.session.commit()
    attempts = 8
    outcomes: list[object] = []
    barrier = threading.Barrier(attempts)

    def send() -> None:
        with app.app_context():
            slot_id, department_id, topic_id, officer_id = ids
            request = request_with_key(db.session.get(Slot, slot_id), db.session.get(Department, department_id),
                                       db.session.get(Topic, topic_id), "double-click")
            actor = db.session.get(User, officer_id)
            db.session.commit()
            barrier.wait()
            try:
                booking = book_slot(actor, request, NOW, str(tmp_path), 1024)
                db.session.commit()
                outcomes.append(booking.id)
            except Exception as error:
                db.session.rollback()
                outcomes.append(repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=send) for _ in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    booking_id = db.session.scalar(select(Booking.id))
    assert outcomes == [booking_id] * attempts
    assert count(Booking) == 1


def test_the_form_sent_again_lands_on_the_same_receipt(login, officer, department, topic, slot):
    client = login(officer)
    page = client.get(f"/book/{topic.id}/slots/{slot.id}").get_data(as_text=True)
    key = page.split('name="submission_key"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
    assert len(key) >= 20
    data = booking_form(department=department.id, submission_key=key)
    first = client.post(f"/book/{topic.id}/slots/{slot.id}", data=data)
    again = client.post(f"/book/{topic.id}/slots/{slot.id}", data=data)
    assert first.status_code == again.status_code == 302
    assert first.headers["Location"] == again.headers["Location"]
    assert count(Booking) == 1


def test_an_answer_lost_after_the_commit_is_found_again_by_the_retry(app, officer, department, topic, slot):
    """The officer's connection drops after the server committed the booking but before the answer arrived;
    sending the same form again returns that booking."""
    email, path = officer.email, f"/book/{topic.id}/slots/{slot.id}"
    body = urlencode(booking_form(department=department.id, submission_key="lost-answer-key"))
    db.session.commit()  # and read nothing more here: on SQLite an open transaction would hold the write lock
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        cookie = sign_in(server.server_port, email)
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}

        dropped = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=10)
        dropped.request("POST", path, body=body, headers=headers)
        dropped.sock.shutdown(2)  # the answer is never read
        dropped.close()
        wait_for(lambda: count_in_new_session(app) == 1)

        retry = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=10)
        retry.request("POST", path, body=body, headers=headers)
        answer = retry.getresponse()
        assert answer.status == 302
        booking_id = db.session.scalar(select(Booking.id))
        db.session.commit()
        assert answer.getheader("Location").endswith(f"/bookings/{booking_id}")
        assert count_in_new_session(app) == 1
    finally:
        server.shutdown()


def sign_in(port: int, email: str) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("POST", "/login", body=urlencode({"email": email, "password": PASSWORD}),
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    answer = connection.getresponse()
    assert answer.status == 302
    return answer.getheader("Set-Cookie").split(";", 1)[0]


def count_in_new_session(app) -> int:
    db.session.rollback()  # see what other connections committed
    found = count(Booking)
    db.session.rollback()  # and hold no lock while the server works
    return found


def wait_for(condition, seconds: float = 10.0) -> None:
    import time

    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the server never committed the booking"
        time.sleep(0.05)
