"""The reschedule page: from the booking's detail, choose another slot; bad input changes nothing."""

from datetime import timedelta

from sqlalchemy import func, select

from clinic.bookings.models import Booking, BookingMove
from clinic.extensions import db
from tests.factories import NOW, make_booking, make_slot, make_user


def test_an_officer_reschedules_from_the_booking_page(client, login, officer, advisor, topic, booking):
    new_slot = make_slot(advisor, NOW + timedelta(days=8))
    db.session.commit()
    login(officer)
    detail = client.get(f"/bookings/{booking.id}").get_data(as_text=True)
    assert f"/bookings/{booking.id}/reschedule" in detail
    page = client.get(f"/bookings/{booking.id}/reschedule")
    assert page.status_code == 200 and f'value="{new_slot.id}"' in page.get_data(as_text=True)

    answer = client.post(f"/bookings/{booking.id}/reschedule", data={"slot": new_slot.id})

    assert answer.status_code == 302 and answer.location.endswith(f"/bookings/{booking.id}")
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).slot_id == new_slot.id
    history = client.get(f"/bookings/{booking.id}").get_data(as_text=True)
    assert 'data-testid="moves"' in history


def test_bad_choices_are_refused_next_to_the_field_and_change_nothing(client, login, officer, other_department_officer,
                                                                    advisor, topic, booking):
    full = make_slot(advisor, NOW + timedelta(days=8))
    make_booking(full, other_department_officer, topic)
    old_slot = booking.slot_id
    db.session.commit()
    login(officer)
    for data in ({}, {"slot": "x"}, {"slot": "0"}, {"slot": "999999"}, {"slot": str(old_slot)},
                 {"slot": str(full.id)}, {"slot": str(full.id), "reason": "ก" * 1001}):
        answer = client.post(f"/bookings/{booking.id}/reschedule", data=data)
        assert answer.status_code in (409, 422), (data, answer.status_code)
        assert 'data-field-error="' in answer.get_data(as_text=True), data
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).slot_id == old_slot
    assert db.session.scalar(select(func.count()).select_from(BookingMove)) == 0


def test_after_the_cut_off_the_department_is_sent_to_the_advisor_and_the_advisor_gives_a_reason(
        client, login, officer, advisor, topic):
    soon = make_booking(make_slot(advisor, NOW + timedelta(hours=20)), officer, topic)
    later = make_slot(advisor, NOW + timedelta(days=8))
    db.session.commit()
    login(officer)
    refused = client.post(f"/bookings/{soon.id}/reschedule", data={"slot": later.id})
    assert refused.status_code == 422 and "ติดต่อที่ปรึกษา" in refused.get_data(as_text=True)
    login(advisor)
    assert client.post(f"/bookings/{soon.id}/reschedule", data={"slot": later.id}).status_code == 422
    done = client.post(f"/bookings/{soon.id}/reschedule", data={"slot": later.id, "reason": "ติดประชุม"})
    assert done.status_code == 302


def test_another_advisor_is_refused(client, login, booking):
    login(make_user("advisor"))
    assert client.get(f"/bookings/{booking.id}/reschedule").status_code == 403
