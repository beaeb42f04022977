"""Clinic days held at a ministry: an administrator makes one, its sessions become slots, the advisors who cannot sit
are reported (never dropped), only the departments it admits book it, and cancelling it cancels and tells."""

import threading
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from clinic.audit.models import AuditEvent
from clinic.bookings.clinic_days import (
    Clash,
    ClinicDayInput,
    cancel_clinic_day,
    create_clinic_day,
    plan_sessions,
    update_clinic_day,
)
from clinic.bookings.models import Booking, BookingStatus
from clinic.bookings.services import AttendeeInput, BookingRequest, book_slot
from clinic.errors import Conflict, DomainError, NotAllowed
from clinic.extensions import db
from clinic.notifications.models import OutboxMessage
from clinic.scheduling.models import AdvisorLeave, ClinicDay, ClinicDayAccess, ClinicDayStatus, Slot, SlotSource
from tests.factories import NOW, make_booking, make_ministry, make_slot, make_user

DAY = date(2026, 12, 9)  # a Wednesday, two weeks after NOW; no holiday


def bangkok(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC) - timedelta(hours=7)


def clinic_input(ministry, advisors, topics, **overrides) -> ClinicDayInput:
    values = dict(
        ministry_id=ministry.id, day=DAY, venue="กระทรวงอุตสาหกรรม ถนนพระรามที่ 6", room="ห้องประชุม 1 ชั้น 2",
        starts=time(9), ends=time(12), session_minutes=60, capacity=2, access=ClinicDayAccess.HOST_MINISTRY,
        advisor_ids=[a.id for a in advisors], topic_ids=[t.id for t in topics], note="",
    )
    values.update(overrides)
    return ClinicDayInput(**values)


def open_slots_of(clinic_day: ClinicDay) -> list[Slot]:
    return list(db.session.scalars(
        select(Slot).where(Slot.clinic_day_id == clinic_day.id, Slot.status == "open").order_by(Slot.starts_at, Slot.advisor_id)
    ))


def request_for(slot, officer, topic, department=None) -> BookingRequest:
    return BookingRequest(slot=slot, department=department or officer.department, topic=topic,
                          request_details="ขอคำปรึกษาเรื่องโครงสร้าง", attendees=[AttendeeInput("นายทดสอบ", "นักวิเคราะห์")])


def test_a_clinic_day_makes_a_session_per_advisor_and_hour_at_its_venue(admin, ministry, advisor, other_advisor, topic):
    outcome = create_clinic_day(admin, clinic_input(ministry, [advisor, other_advisor], [topic]), NOW)

    slots = open_slots_of(outcome.clinic_day)
    assert [(s.advisor_id, s.starts_at.astimezone(UTC)) for s in slots] == sorted(
        [(a.id, bangkok(h)) for h in (9, 10, 11) for a in (advisor, other_advisor)], key=lambda p: (p[1], p[0])
    )
    assert {s.location for s in slots} == {"กระทรวงอุตสาหกรรม ถนนพระรามที่ 6 · ห้องประชุม 1 ชั้น 2"}
    assert {s.capacity for s in slots} == {2}
    assert {s.source for s in slots} == {SlotSource.MANUAL}  # regeneration of weekly hours keeps them
    assert outcome.plan.conflicts == []
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "clinic_day.created"))
    assert event is not None and event.actor_id == admin.id


def test_an_advisor_on_leave_or_booked_elsewhere_is_shown_as_a_conflict_not_dropped(
    admin, ministry, advisor, other_advisor, topic, officer
):
    third = make_user("advisor", name="นายประเสริฐ ที่ปรึกษา", expertise=[topic])
    db.session.add(AdvisorLeave(advisor_id=other_advisor.id, first_day=DAY, last_day=DAY))
    booked = make_slot(advisor, bangkok(10), ends_at=bangkok(11))
    make_booking(booked, officer, topic)
    free_generated = make_slot(third, bangkok(9), ends_at=bangkok(10), source=SlotSource.GENERATED)
    free_manual = make_slot(third, bangkok(11), ends_at=bangkok(12))

    outcome = create_clinic_day(admin, clinic_input(ministry, [advisor, other_advisor, third], [topic]), NOW)

    conflicts = {(c.advisor.id, c.starts_at, c.clash) for c in outcome.plan.conflicts}
    assert conflicts == {
        (other_advisor.id, bangkok(9), Clash.LEAVE), (other_advisor.id, bangkok(10), Clash.LEAVE),
        (other_advisor.id, bangkok(11), Clash.LEAVE),
        (advisor.id, bangkok(10), Clash.BOOKED),
        (third.id, bangkok(11), Clash.OTHER_SLOT),
    }
    made = {(s.advisor_id, s.starts_at.astimezone(UTC)) for s in open_slots_of(outcome.clinic_day)}
    assert made == {(advisor.id, bangkok(9)), (advisor.id, bangkok(11)), (third.id, bangkok(9)), (third.id, bangkok(10))}
    assert free_generated.status == "cancelled"  # a free hour at OPDC gives way: one cannot be in two places
    assert free_manual.status == "open" and booked.status == "open"
    # The page shows the same conflicts on a later visit.
    assert len(plan_sessions(outcome.clinic_day, NOW).conflicts) == 5


@pytest.mark.parametrize(("overrides", "field"), [
    ({"ministry_id": None}, "ministry"),
    ({"ministry_id": 999999}, "ministry"),
    ({"day": NOW.date()}, "day"),
    ({"day": NOW.date() - timedelta(days=3)}, "day"),
    ({"day": NOW.date() + timedelta(days=400)}, "day"),
    ({"day": date(2026, 12, 10)}, "day"),  # Constitution Day
    ({"venue": "  "}, "venue"),
    ({"venue": "ก" * 301}, "venue"),
    ({"room": ""}, "room"),
    ({"note": "ก" * 1001}, "note"),
    ({"starts": time(12), "ends": time(9)}, "ends"),
    ({"starts": time(9), "ends": time(9)}, "ends"),
    ({"ends": time(9, 30)}, "ends"),  # shorter than one session
    ({"session_minutes": 0}, "session_minutes"),
    ({"session_minutes": 481}, "session_minutes"),
    ({"capacity": 0}, "capacity"),
    ({"capacity": 1000}, "capacity"),
    ({"access": "everyone"}, "access"),
    ({"advisor_ids": []}, "advisors"),
    ({"advisor_ids": [999999]}, "advisors"),
    ({"topic_ids": []}, "topics"),
    ({"topic_ids": [999999]}, "topics"),
])
def test_bad_input_is_refused_next_to_its_field_and_changes_nothing(admin, ministry, advisor, topic, overrides, field):
    with pytest.raises(DomainError) as refused:
        create_clinic_day(admin, clinic_input(ministry, [advisor], [topic], **overrides), NOW)
    assert refused.value.field == field
    db.session.rollback()
    assert db.session.scalar(select(func.count(ClinicDay.id))) == 0
    assert db.session.scalar(select(func.count(Slot.id))) == 0


def test_an_officer_an_advisor_or_a_non_advisor_cannot_be_used(admin, ministry, advisor, officer, topic):
    with pytest.raises(NotAllowed):
        create_clinic_day(advisor, clinic_input(ministry, [advisor], [topic]), NOW)
    with pytest.raises(DomainError) as refused:
        create_clinic_day(admin, clinic_input(ministry, [officer], [topic]), NOW)
    assert refused.value.field == "advisors"


def test_one_clinic_day_per_ministry_and_day_and_a_cancelled_one_opens_again(admin, ministry, advisor, topic):
    first = create_clinic_day(admin, clinic_input(ministry, [advisor], [topic]), NOW).clinic_day
    with pytest.raises(DomainError) as refused:
        create_clinic_day(admin, clinic_input(ministry, [advisor], [topic]), NOW)
    assert refused.value.field == "day"
    cancel_clinic_day(admin, first, "", NOW)
    again = create_clinic_day(admin, clinic_input(ministry, [advisor], [topic], room="ห้อง 5"), NOW).clinic_day
    assert again.id == first.id and again.status == ClinicDayStatus.OPEN and again.room == "ห้อง 5"
    assert len(open_slots_of(again)) == 3


def test_only_the_host_ministrys_departments_book_a_host_only_clinic_day(
    admin, ministry, advisor, topic, officer, other_department_officer, tmp_path
):
    clinic_day = create_clinic_day(admin, clinic_input(ministry, [advisor], [topic]), NOW).clinic_day
    slot = open_slots_of(clinic_day)[0]

    with pytest.raises(NotAllowed) as refused:
        book_slot(other_department_officer, request_for(slot, other_department_officer, topic), NOW, str(tmp_path), 1024)
    assert refused.value.field == "department"
    assert "เฉพาะส่วนราชการในสังกัด" in str(refused.value.message)
    assert db.session.scalar(select(func.count(Booking.id))) == 0

    booking = book_slot(officer, request_for(slot, officer, topic), NOW, str(tmp_path), 1024)
    assert booking.slot_id == slot.id and booking.department_id == officer.department_id


def test_a_clinic_day_open_to_all_takes_any_department_on_its_topics_only(
    admin, ministry, advisor, topic, other_topic, other_department_officer, tmp_path
):
    clinic_day = create_clinic_day(
        admin, clinic_input(ministry, [advisor], [other_topic], access=ClinicDayAccess.ALL), NOW
    ).clinic_day
    slot = open_slots_of(clinic_day)[0]
    with pytest.raises(DomainError):  # the advisor's expertise, not the clinic day's topic
        book_slot(other_department_officer, request_for(slot, other_department_officer, topic), NOW, str(tmp_path), 1024)
    booking = book_slot(other_department_officer, request_for(slot, other_department_officer, other_topic), NOW,
                        str(tmp_path), 1024)
    assert booking.topic_id == other_topic.id


def test_cancelling_a_clinic_day_with_bookings_needs_a_reason_then_cancels_and_tells_each_department(
    admin, ministry, advisor, topic, officer, sister_officer, tmp_path
):
    clinic_day = create_clinic_day(admin, clinic_input(ministry, [advisor], [topic]), NOW).clinic_day
    first, second, _third = open_slots_of(clinic_day)
    mine = book_slot(officer, request_for(first, officer, topic), NOW, str(tmp_path), 1024)
    theirs = book_slot(sister_officer, request_for(second, sister_officer, topic), NOW, str(tmp_path), 1024)
    db.session.commit()
    mail_before = db.session.scalar(select(func.count(OutboxMessage.id)))

    with pytest.raises(DomainError) as refused:
        cancel_clinic_day(admin, clinic_day, "  ", NOW)
    assert refused.value.field == "reason" and "2" in str(refused.value.message)
    db.session.rollback()
    assert clinic_day.status == ClinicDayStatus.OPEN and mine.status == BookingStatus.PENDING

    cancelled = cancel_clinic_day(admin, clinic_day, "กระทรวงงดใช้ห้องประชุม", NOW)

    assert {b.id for b in cancelled} == {mine.id, theirs.id}
    assert {b.status for b in cancelled} == {BookingStatus.CANCELLED}
    assert {b.cancel_reason for b in cancelled} == {"กระทรวงงดใช้ห้องประชุม"}
    assert open_slots_of(clinic_day) == []
    assert clinic_day.status == ClinicDayStatus.CANCELLED
    recipients = set(db.session.scalars(select(OutboxMessage.recipient).where(OutboxMessage.id > mail_before)))
    assert recipients == {officer.email, sister_officer.email, advisor.email}
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"booking.cancelled", "clinic_day.cancelled"} <= actions


def test_editing_keeps_booked_sessions_moves_the_free_ones_and_takes_the_new_room_to_all(
    admin, ministry, advisor, other_advisor, topic, officer, tmp_path
):
    data = clinic_input(ministry, [advisor, other_advisor], [topic])
    clinic_day = create_clinic_day(admin, data, NOW).clinic_day
    booked = next(s for s in open_slots_of(clinic_day) if s.advisor_id == advisor.id)  # 09:00
    book_slot(officer, request_for(booked, officer, topic), NOW, str(tmp_path), 1024)

    outcome = update_clinic_day(
        admin, clinic_day, replace(data, session_minutes=90, room="ห้อง 7", advisor_ids=[advisor.id]), NOW
    )

    slots = open_slots_of(clinic_day)
    assert {(s.advisor_id, s.starts_at.astimezone(UTC), s.ends_at.astimezone(UTC)) for s in slots} == {
        (advisor.id, bangkok(9), bangkok(10)),  # booked: kept, reported
        (advisor.id, bangkok(10, 30), bangkok(12)),  # 09:00-10:30 is in the way of the booked hour
    }
    assert [s.id for s in outcome.plan.kept] == [booked.id]
    assert {(c.advisor.id, c.starts_at, c.clash) for c in outcome.plan.conflicts} == {
        (advisor.id, bangkok(9), Clash.BOOKED)  # the new 09:00-10:30 would overlap the booked hour
    }
    assert {s.location for s in slots} == {"กระทรวงอุตสาหกรรม ถนนพระรามที่ 6 · ห้อง 7"}
    assert db.session.scalar(select(func.count(Slot.id)).where(Slot.advisor_id == other_advisor.id,
                                                                Slot.status == "open")) == 0


def test_editing_cannot_move_a_clinic_day_to_another_ministry_or_date(admin, ministry, advisor, topic):
    data = clinic_input(ministry, [advisor], [topic])
    clinic_day = create_clinic_day(admin, data, NOW).clinic_day
    with pytest.raises(DomainError) as refused:
        update_clinic_day(admin, clinic_day, replace(data, day=DAY + timedelta(days=1)), NOW)
    assert refused.value.field == "day"
    with pytest.raises(DomainError) as refused:
        update_clinic_day(admin, clinic_day, replace(data, ministry_id=make_ministry().id), NOW)
    assert refused.value.field == "ministry"


def test_two_administrators_making_clinic_days_for_one_advisor_at_once_never_double_book_them(app, topic):
    """Two ministries, the same day, the same advisor, two administrators at the same moment: one clinic day gets
    the advisor's sessions, the other reports them as conflicts (or is told to try again). Never an overlap."""
    admins = [make_user("admin"), make_user("admin")]
    advisor = make_user("advisor", expertise=[topic])
    ministries = [make_ministry(), make_ministry()]
    jobs = [(admins[i].id, clinic_input(ministries[i], [advisor], [topic])) for i in range(2)]
    advisor_id = advisor.id
    db.session.commit()
    outcomes: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(2)

    def attempt(admin_id: int, data: ClinicDayInput) -> None:
        from clinic.accounts.models import User

        with app.app_context():
            actor = db.session.get(User, admin_id)
            db.session.commit()
            barrier.wait()
            try:
                outcome = create_clinic_day(actor, data, NOW)
                db.session.commit()
                result = f"made {len(outcome.created)} conflicts {len(outcome.plan.conflicts)}"
            except Conflict:
                db.session.rollback()
                result = "try again"
            except Exception as error:
                db.session.rollback()
                result = f"error: {error!r}"
            finally:
                db.session.remove()
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) in (["made 0 conflicts 3", "made 3 conflicts 0"], ["made 3 conflicts 0", "try again"])
    assert db.session.scalar(
        select(func.count(Slot.id)).where(Slot.advisor_id == advisor_id, Slot.status == "open")
    ) == 3


def test_a_department_of_another_ministry_is_not_offered_a_host_only_session(app, admin, ministry, advisor, topic,
                                                                              officer, other_department_officer, login):
    create_clinic_day(admin, clinic_input(ministry, [advisor], [topic]), NOW)
    db.session.commit()

    page = login(officer).get(f"/book/{topic.id}").get_data(as_text=True)
    assert "วันคลินิก ณ กระทรวงอุตสาหกรรม" in page and "ห้องประชุม 1 ชั้น 2" in page
    assert page.count("/slots/") == 4  # its three sessions, and the first available among them

    page = login(other_department_officer).get(f"/book/{topic.id}").get_data(as_text=True)
    assert "วันคลินิก ณ กระทรวงอุตสาหกรรม" in page and "เฉพาะส่วนราชการในสังกัดกระทรวงอุตสาหกรรม" in page
    assert page.count("/slots/") == 0 and page.count('data-testid="not-for-you"') == 3


def test_the_booking_form_refuses_another_ministry_next_to_the_department(app, admin, ministry, advisor, topic,
                                                                         other_department_officer, login):
    clinic_day = create_clinic_day(admin, clinic_input(ministry, [advisor], [topic]), NOW).clinic_day
    slot_id = open_slots_of(clinic_day)[0].id
    client = login(other_department_officer)
    response = client.post(f"/book/{topic.id}/slots/{slot_id}", data={
        "department": other_department_officer.department_id, "request_details": "ขอคำปรึกษา",
        "attendees-0-name": "นายทดสอบ", "attendees-0-position": "นักวิเคราะห์",
    })
    assert response.status_code == 403
    assert "เฉพาะส่วนราชการในสังกัด" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Booking.id))) == 0


def form_data(host, sitting, subjects, **overrides) -> dict:
    data = {
        "ministry": str(host.id), "day": DAY.isoformat(), "venue": "กระทรวงอุตสาหกรรม", "room": "ห้อง 1",
        "starts": "09:00", "ends": "12:00", "session_minutes": "60", "capacity": "1", "access": "host_ministry",
        "advisors": [str(a.id) for a in sitting], "topics": [str(t.id) for t in subjects], "note": "",
    }
    data.update(overrides)
    return data


def test_an_administrator_creates_edits_and_cancels_a_clinic_day_on_its_pages(app, admin, ministry, advisor, topic,
                                                                            login):
    client = login(admin)
    assert client.get("/admin/clinic-days/new").status_code == 200
    response = client.post("/admin/clinic-days/new", data=form_data(ministry, [advisor], [topic]))
    assert response.status_code == 302
    clinic_day = db.session.scalar(select(ClinicDay))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "สร้างวันคลินิกแล้ว" in page and page.count("09:00") >= 1
    assert "กระทรวงอุตสาหกรรม" in client.get("/admin/clinic-days").get_data(as_text=True)

    response = client.post(f"/admin/clinic-days/{clinic_day.id}",
                           data=form_data(ministry, [advisor], [topic], room="ห้อง 9"))
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(ClinicDay, clinic_day.id).room == "ห้อง 9"

    response = client.post(f"/admin/clinic-days/{clinic_day.id}/cancel", data={"cancel-reason": ""})
    assert response.status_code == 302  # no bookings: no reason needed
    db.session.expire_all()
    assert db.session.get(ClinicDay, clinic_day.id).status == ClinicDayStatus.CANCELLED


@pytest.mark.parametrize(("overrides", "message"), [
    ({"day": "not a date"}, "ระบุวันที่ให้ถูกต้อง"),
    ({"starts": "25:00"}, "ระบุเวลาให้ถูกต้อง"),
    ({"session_minutes": "abc"}, "ระบุเป็นตัวเลข"),
    ({"capacity": "0"}, "จำนวนที่นั่งต้องอยู่ระหว่าง 1 ถึง 20"),
    ({"ministry": "x"}, "ตัวเลือกไม่ถูกต้อง"),
    ({"advisors": ["x"]}, "ตัวเลือกไม่ถูกต้อง"),
    ({"advisors": []}, "เลือกที่ปรึกษาอย่างน้อย 1 คน"),
    ({"access": "everyone"}, "ตัวเลือกไม่ถูกต้อง"),
    ({"ends": "08:00"}, "เวลาสิ้นสุดต้องหลังเวลาเริ่ม"),
])
def test_the_clinic_day_page_answers_bad_input_with_a_message_and_changes_nothing(app, admin, ministry, advisor,
                                                                                  topic, login, overrides, message):
    response = login(admin).post("/admin/clinic-days/new", data=form_data(ministry, [advisor], [topic], **overrides))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(ClinicDay.id))) == 0
