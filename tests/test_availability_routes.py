"""The availability and leave pages through the Flask test client: who reaches them, what they show, and bad input
of every kind refused next to its field with nothing changed. Also `flask slots generate`."""

import re
from datetime import date, datetime, time

import pytest
from sqlalchemy import func, select

from clinic.extensions import db
from clinic.i18n import BANGKOK
from clinic.scheduling.models import (
    AdvisorLeave,
    Availability,
    DateOverride,
    Slot,
    SlotSource,
    SlotStatus,
    WeeklyHours,
)
from tests.factories import make_booking, make_slot, make_user
from tests.helpers import change_events

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def generated() -> int:
    return count(Slot, Slot.source == SlotSource.GENERATED, Slot.status == SlotStatus.OPEN)


def weekly_form(**overrides) -> dict:
    data = {day: "09:00-12:00" for day in WEEKDAYS[:5]}
    data.update(sat="", sun="", session_minutes="60", buffer_minutes="0", mode="onsite", location="ห้องประชุม 1",
                meeting_url="", capacity="1", valid_from="2026-11-25", valid_until="")
    data.update(overrides)
    return data


def field_error(page: str, name: str) -> str:
    found = re.search(rf'data-field-error="{re.escape(name)}">([^<]*)<', page)
    return found.group(1) if found else ""


@pytest.fixture
def advisor_client(login, advisor):
    return login(advisor)


class TestAvailabilityPage:
    def test_a_first_visit_shows_an_empty_form_in_thai(self, advisor_client):
        response = advisor_client.get("/advisor/availability")
        page = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "เวลาประจำสัปดาห์" in page and "วันจันทร์" in page and 'value="25/11/2569"' in page
        assert "ช่วงเวลาที่เปิดจากเวลาประจำใน 8 สัปดาห์ข้างหน้า: 0 ช่วง" in page

    def test_saving_weekly_hours_generates_slots_and_says_so(self, advisor_client, advisor):
        response = advisor_client.post("/advisor/availability", data=weekly_form(), follow_redirects=True)
        page = response.get_data(as_text=True)
        assert response.status_code == 200
        # Today 11:00; 39 working days of the 8 weeks less 3 holidays (7, 10 and 31 December) and New Year's Day.
        created = 1 + (39 - 4) * 3
        assert f"บันทึกเวลาให้คำปรึกษาแล้ว · เปิดช่วงเวลาใหม่ {created} ช่วง ถอน 0 ช่วงที่ยังไม่มีผู้จอง" in page
        assert generated() == created
        assert 'value="09:00-12:00"' in page  # the form shows what was saved
        assert f"8 สัปดาห์ข้างหน้า: {created} ช่วง" in page

    def test_saving_the_same_hours_again_changes_nothing(self, advisor_client):
        advisor_client.post("/advisor/availability", data=weekly_form())
        before = count(Slot)
        response = advisor_client.post("/advisor/availability", data=weekly_form(), follow_redirects=True)
        assert "เปิดช่วงเวลาใหม่ 0 ช่วง ถอน 0 ช่วง" in response.get_data(as_text=True)
        assert count(Slot) == before

    def test_hours_are_read_in_several_spellings(self, advisor_client):
        form = weekly_form(mon="09.00–10.00; 13:00 - 14:00", tue="9:00-10:00\n10:00-11:00", wed="", thu="", fri="")
        assert advisor_client.post("/advisor/availability", data=form).status_code == 302
        ranges = db.session.scalars(select(Availability)).one().hours
        assert [(h.weekday, h.starts, h.ends) for h in ranges] == [
            (0, time(9), time(10)), (0, time(13), time(14)), (1, time(9), time(10)), (1, time(10), time(11))
        ]

    @pytest.mark.parametrize(
        ("overrides", "field", "message"),
        [
            ({"mon": "09:00-12:00, 11:00-13:00"}, "mon", "ช่วง 09:00-12:00 ซ้อนกับช่วง 11:00-13:00"),
            ({"tue": "12:00-09:00"}, "tue", "ช่วง 12:00-09:00: เวลาสิ้นสุดต้องหลังเวลาเริ่ม"),
            ({"wed": "09:00-09:30"}, "wed", "ช่วง 09:00-09:30 สั้นกว่าเวลาให้คำปรึกษาหนึ่งครั้ง (60 นาที)"),
            ({"thu": "9 โมงถึงเที่ยง"}, "thu", "เขียนช่วงเวลาแบบ 09:00-12:00"),
            ({"fri": "25:00-26:00"}, "fri", "ใช้เวลาแบบ 24 ชั่วโมง"),
            ({"sat": "ก" * 201}, "sat", "ยาวเกิน 200 ตัวอักษร"),
            ({day: "" for day in WEEKDAYS}, "mon", "ระบุเวลาให้คำปรึกษาอย่างน้อย 1 ช่วง"),
            ({"session_minutes": "500"}, "session_minutes", "ต้องอยู่ระหว่าง 15 ถึง 480 นาที"),
            ({"session_minutes": ""}, "session_minutes", "ระบุจำนวนนาที"),
            ({"session_minutes": "หนึ่งชั่วโมง"}, "session_minutes", "ระบุเป็นตัวเลข"),
            ({"buffer_minutes": "121"}, "buffer_minutes", "ต้องอยู่ระหว่าง 0 ถึง 120 นาที"),
            ({"buffer_minutes": "-1"}, "buffer_minutes", "ต้องอยู่ระหว่าง 0 ถึง 120 นาที"),
            ({"valid_until": "2026-11-01", "valid_from": "2026-10-01"}, "valid_until", "ช่วงวันที่ใช้สิ้นสุดไปแล้ว"),
            ({"valid_until": "2026-12-01", "valid_from": "2026-12-10"}, "valid_until", "วันสิ้นสุดต้องไม่ก่อนวันเริ่มใช้"),
            ({"valid_from": "31/2/2569"}, "valid_from", "ระบุวันที่ให้ถูกต้อง"),  # no 31 February (2569 BE is read)
            ({"valid_from": ""}, "valid_from", "ระบุวันที่ให้ถูกต้อง"),
            ({"capacity": "0"}, "capacity", "จำนวนที่นั่งต้องอยู่ระหว่าง 1 ถึง 20"),
            ({"capacity": "1000"}, "capacity", "จำนวนที่นั่งต้องอยู่ระหว่าง 1 ถึง 20"),
            ({"mode": "online", "meeting_url": "http://meet.opdc.go.th/a"}, "meeting_url", "ขึ้นต้นด้วย https://"),
            ({"mode": "online", "meeting_url": "meet.opdc.go.th"}, "meeting_url", "ขึ้นต้นด้วย https://"),
            ({"mode": "fax"}, "mode", "ตัวเลือกไม่ถูกต้อง"),
            ({"location": ""}, "location", "ระบุห้องประชุม"),
        ],
    )
    def test_bad_input_is_refused_next_to_its_field_and_changes_nothing(self, advisor_client, overrides, field,
                                                                         message):
        response = advisor_client.post("/advisor/availability", data=weekly_form(**overrides))
        page = response.get_data(as_text=True)
        assert response.status_code == 422
        assert message in field_error(page, field), page[page.find("availability-form"):][:3000]
        assert count(Availability) == count(Slot) == change_events() == 0

    def test_a_bad_change_keeps_the_saved_availability_and_slots(self, advisor_client):
        advisor_client.post("/advisor/availability", data=weekly_form())
        slots, events = count(Slot), change_events()
        response = advisor_client.post("/advisor/availability", data=weekly_form(mon="13:00-15:00", capacity="1000"))
        assert response.status_code == 422
        assert 'value="13:00-15:00"' in response.get_data(as_text=True)  # what was typed, to correct
        assert count(Slot) == slots and change_events() == events
        assert [h.starts for h in db.session.scalars(select(Availability)).one().hours][0] == time(9)

    def test_a_booked_session_that_no_longer_fits_is_listed_as_a_conflict(self, advisor_client, advisor, officer,
                                                                           topic):
        advisor_client.post("/advisor/availability", data=weekly_form())
        booked = db.session.scalar(select(Slot).where(
            Slot.starts_at == datetime(2026, 11, 26, 9, tzinfo=BANGKOK)))
        reference = make_booking(booked, officer, topic).reference
        db.session.commit()

        response = advisor_client.post("/advisor/availability", data=weekly_form(thu="13:00-16:00"),
                                       follow_redirects=True)
        page = response.get_data(as_text=True)
        assert "มีนัดหมาย 1 ช่วงที่ไม่ตรงกับเวลาให้คำปรึกษาแล้ว" in page
        conflicts = page[page.find('data-testid="conflicts"'):]
        assert "พฤ. 26 พ.ย. 2569 09:00 น. – 10:00 น." in conflicts
        assert "ไม่อยู่ในเวลาให้คำปรึกษาแล้ว" in conflicts and reference in conflicts
        db.session.refresh(booked)
        assert booked.status == SlotStatus.OPEN

    def test_a_manual_slot_in_the_way_is_listed_as_skipped(self, advisor_client, advisor):
        make_slot(advisor, datetime(2026, 11, 26, 9, 30, tzinfo=BANGKOK))
        response = advisor_client.post("/advisor/availability", data=weekly_form(), follow_redirects=True)
        skipped = response.get_data(as_text=True).split('data-testid="skipped"')[1]
        assert "พฤ. 26 พ.ย. 2569 09:00 น. – 10:00 น." in skipped and "ซ้อนกับช่วงเวลาที่เพิ่มเอง" in skipped

    def test_the_page_speaks_english(self, advisor_client):
        page = advisor_client.get("/advisor/availability?lang=en").get_data(as_text=True)
        assert "Weekly hours" in page and "Monday" in page and "Session length (minutes)" in page


class TestDates:
    def form(self, **overrides) -> dict:
        data = {"date-day": "2026-12-02", "date-kind": "day_off", "date-hours": "", "date-note": ""}
        data.update(overrides)
        return data

    def test_a_day_off_and_its_removal(self, advisor_client):
        advisor_client.post("/advisor/availability", data=weekly_form())
        before = generated()
        response = advisor_client.post("/advisor/availability/dates", data=self.form(), follow_redirects=True)
        page = response.get_data(as_text=True)
        assert "บันทึกวันที่กำหนดเป็นพิเศษแล้ว · เปิดช่วงเวลาใหม่ 0 ช่วง ถอน 3 ช่วง" in page
        assert "พ. 2 ธ.ค. 2569" in page.split('data-testid="overrides"')[1]
        assert generated() == before - 3
        override = db.session.scalars(select(DateOverride)).one()
        response = advisor_client.post(f"/advisor/availability/dates/{override.id}/delete", follow_redirects=True)
        assert "ลบวันที่กำหนดเป็นพิเศษแล้ว · เปิดช่วงเวลาใหม่ 3 ช่วง" in response.get_data(as_text=True)
        assert generated() == before

    def test_extra_hours(self, advisor_client):
        advisor_client.post("/advisor/availability", data=weekly_form())
        before = generated()
        response = advisor_client.post("/advisor/availability/dates", data=self.form(
            **{"date-day": "2026-11-28", "date-kind": "extra", "date-hours": "09:00-11:00",
               "date-note": "เปิดพิเศษวันเสาร์"}))
        assert response.status_code == 302
        assert generated() == before + 2

    @pytest.mark.parametrize(
        ("overrides", "field", "message"),
        [
            ({"date-day": "2026-11-20"}, "date-day", "วันที่ต้องไม่อยู่ในอดีต"),
            ({"date-day": ""}, "date-day", "ระบุวันที่ให้ถูกต้อง"),
            ({"date-kind": "holiday"}, "date-kind", "ตัวเลือกไม่ถูกต้อง"),
            ({"date-kind": "extra", "date-hours": ""}, "date-hours", "ระบุเวลาเพิ่มเติม เช่น 13:00-16:00"),
            ({"date-kind": "extra", "date-hours": "15:00-13:00"}, "date-hours", "เวลาสิ้นสุดต้องหลังเวลาเริ่ม"),
            ({"date-kind": "extra", "date-hours": "13:00-13:30"}, "date-hours", "สั้นกว่าเวลาให้คำปรึกษาหนึ่งครั้ง (60 นาที)"),
            ({"date-kind": "extra", "date-hours": "25:00-26:00"}, "date-hours", "ใช้เวลาแบบ 24 ชั่วโมง"),
            ({"date-kind": "extra", "date-hours": "บ่ายโมง"}, "date-hours", "เขียนช่วงเวลาแบบ 09:00-12:00"),
            ({"date-kind": "extra", "date-hours": "09:00-10:00, 13:00-14:00"}, "date-hours", "ระบุช่วงเวลาเดียว"),
            ({"date-kind": "extra", "date-day": "2026-12-10", "date-hours": "13:00-15:00"}, "date-day",
             "วันที่ 10 ธ.ค. 2569 เป็นวันหยุดราชการ (วันรัฐธรรมนูญ)"),
            ({"date-note": "ก" * 301}, "date-note", "ยาวเกิน 300 ตัวอักษร"),
        ],
    )
    def test_bad_dates_are_refused_next_to_their_field(self, advisor_client, overrides, field, message):
        advisor_client.post("/advisor/availability", data=weekly_form())
        slots, events = count(Slot), change_events()
        response = advisor_client.post("/advisor/availability/dates", data=self.form(**overrides))
        page = response.get_data(as_text=True)
        assert response.status_code == 422
        assert message in field_error(page, field)
        assert count(DateOverride) == 0 and count(Slot) == slots and change_events() == events

    def test_another_advisors_date_is_not_found(self, advisor_client, other_advisor):
        theirs = DateOverride(advisor_id=other_advisor.id, day=date(2026, 12, 2), kind="day_off")
        db.session.add(theirs)
        db.session.commit()
        assert advisor_client.post(f"/advisor/availability/dates/{theirs.id}/delete").status_code == 404
        assert count(DateOverride) == 1


class TestLeave:
    def form(self, **overrides) -> dict:
        data = {"first_day": "2026-12-01", "last_day": "2026-12-02", "reason": "ไปราชการต่างจังหวัด"}
        data.update(overrides)
        return data

    def test_leave_is_added_listed_and_removed(self, advisor_client):
        advisor_client.post("/advisor/availability", data=weekly_form())
        before = generated()
        response = advisor_client.post("/advisor/leave", data=self.form(), follow_redirects=True)
        page = response.get_data(as_text=True)
        assert "บันทึกวันลาแล้ว · เปิดช่วงเวลาใหม่ 0 ช่วง ถอน 6 ช่วง" in page
        leaves = page.split('data-testid="leaves"')[1]
        assert "อ. 1 ธ.ค. 2569" in leaves and "พ. 2 ธ.ค. 2569" in leaves and "ไปราชการต่างจังหวัด" in leaves
        assert generated() == before - 6
        leave = db.session.scalars(select(AdvisorLeave)).one()
        response = advisor_client.post(f"/advisor/leave/{leave.id}/delete", follow_redirects=True)
        assert "ลบวันลาแล้ว · เปิดช่วงเวลาใหม่ 6 ช่วง" in response.get_data(as_text=True)
        assert generated() == before

    def test_leave_over_a_booked_session_lists_it_and_cancels_nothing(self, advisor_client, advisor, officer, topic):
        slot = make_slot(advisor, datetime(2026, 12, 1, 14, tzinfo=BANGKOK))  # a manual slot, booked
        booking = make_booking(slot, officer, topic, status="confirmed")
        db.session.commit()
        response = advisor_client.post("/advisor/leave", data=self.form(), follow_redirects=True)
        page = response.get_data(as_text=True)
        conflict = page.split("data-leave-conflict")[1]
        assert booking.reference in conflict and "1 ธ.ค. 2569 14:00 น." in conflict and "กรอ." in conflict
        db.session.refresh(booking)
        assert booking.status == "confirmed"

    @pytest.mark.parametrize(
        ("overrides", "field", "message"),
        [
            ({"last_day": "2026-11-30"}, "last_day", "วันสุดท้ายต้องไม่ก่อนวันแรก"),
            ({"first_day": "2026-11-01"}, "first_day", "วันลาต้องไม่เริ่มในอดีต"),
            ({"first_day": "1/12/2571"}, "first_day", "ไม่เกิน 1 ปี"),  # 2028; 2569 BE is this year, read as 2026
            ({"first_day": "not a date"}, "first_day", "ระบุวันที่ให้ถูกต้อง"),
            ({"last_day": ""}, "last_day", "ระบุวันที่ให้ถูกต้อง"),
            ({"reason": "ก" * 301}, "reason", "ยาวเกิน 300 ตัวอักษร"),
        ],
    )
    def test_bad_leave_is_refused_next_to_its_field(self, advisor_client, overrides, field, message):
        response = advisor_client.post("/advisor/leave", data=self.form(**overrides))
        assert response.status_code == 422
        assert message in field_error(response.get_data(as_text=True), field)
        assert count(AdvisorLeave) == 0 and change_events() == 0

    def test_overlapping_leave_is_refused(self, advisor_client):
        advisor_client.post("/advisor/leave", data=self.form())
        response = advisor_client.post("/advisor/leave", data=self.form(first_day="2026-12-02", last_day="2026-12-04"))
        assert "ซ้อนกับวันลาที่มีอยู่แล้ว (1 ธ.ค. 2569 – 2 ธ.ค. 2569)" in field_error(
            response.get_data(as_text=True), "first_day")
        assert count(AdvisorLeave) == 1

    def test_another_advisors_leave_is_not_found(self, advisor_client, other_advisor):
        theirs = AdvisorLeave(advisor_id=other_advisor.id, first_day=date(2026, 12, 1), last_day=date(2026, 12, 1))
        db.session.add(theirs)
        db.session.commit()
        assert advisor_client.post(f"/advisor/leave/{theirs.id}/delete").status_code == 404
        assert count(AdvisorLeave) == 1


class TestAdministrator:
    def test_the_chooser_lists_advisors_and_leads_to_their_pages(self, login, admin, advisor, other_advisor):
        page = login(admin).get("/admin/advisors").get_data(as_text=True)
        assert advisor.name in page and other_advisor.name in page
        assert f"/admin/advisors/{advisor.id}/availability" in page and f"/admin/advisors/{advisor.id}/leave" in page

    def test_an_administrator_sets_an_advisors_availability_and_leave(self, login, admin, advisor):
        client = login(admin)
        url = f"/admin/advisors/{advisor.id}/availability"
        page = client.get(url).get_data(as_text=True)
        assert advisor.name in page and f'action="{url}"' in page
        response = client.post(url, data=weekly_form())
        assert response.status_code == 302 and response.headers["Location"].endswith(url)
        assert db.session.scalars(select(Availability)).one().advisor_id == advisor.id
        assert generated() > 0
        response = client.post(f"/admin/advisors/{advisor.id}/leave", data=TestLeave().form())
        assert response.status_code == 302
        assert db.session.scalars(select(AdvisorLeave)).one().advisor_id == advisor.id
        bad = client.post(url, data=weekly_form(capacity="0"))
        assert bad.status_code == 422 and "จำนวนที่นั่งต้องอยู่ระหว่าง 1 ถึง 20" in field_error(
            bad.get_data(as_text=True), "capacity")
        response = client.post(f"{url}/dates", data=TestDates().form())
        assert response.status_code == 302
        override = db.session.scalars(select(DateOverride)).one()
        assert client.post(f"{url}/dates/{override.id}/delete").status_code == 302

    def test_an_administrator_cannot_reach_a_non_advisor(self, login, admin, officer):
        client = login(admin)
        assert client.get(f"/admin/advisors/{officer.id}/availability").status_code == 404
        assert client.get(f"/admin/advisors/{admin.id}/leave").status_code == 404
        assert client.get("/admin/advisors/2147483647/availability").status_code == 404

    @pytest.mark.parametrize("who", ["officer", "coordinator", "advisor"])
    def test_only_an_administrator_reaches_the_admin_pages(self, login, request, who, other_advisor):
        client = login(request.getfixturevalue(who))
        assert client.get("/admin/advisors").status_code == 403
        assert client.get(f"/admin/advisors/{other_advisor.id}/availability").status_code == 403
        assert client.post(f"/admin/advisors/{other_advisor.id}/leave", data=TestLeave().form()).status_code == 403
        assert count(AdvisorLeave) == 0

    @pytest.mark.parametrize("who", ["officer", "coordinator", "admin"])
    def test_only_an_advisor_has_their_own_availability_page(self, login, request, who):
        client = login(request.getfixturevalue(who))
        assert client.get("/advisor/availability").status_code == 403
        assert client.get("/advisor/leave").status_code == 403
        assert client.post("/advisor/availability", data=weekly_form()).status_code == 403
        assert count(Availability) == 0


class TestGenerateCommand:
    def test_generating_twice_changes_nothing_the_second_time(self, app, advisor_client, advisor):
        advisor_client.post("/advisor/availability", data=weekly_form())
        slot = db.session.scalars(select(Slot).order_by(Slot.starts_at)).first()
        slot.status = SlotStatus.CANCELLED  # as if withdrawn by hand: the command puts it back
        idle = make_user("advisor")  # no availability: not touched
        gone = make_user("advisor", is_active_account=False)  # deactivated: no new slots
        db.session.add(Availability(advisor_id=gone.id, session_minutes=60, buffer_minutes=0, mode="online",
                                    meeting_url="https://meet.opdc.go.th/x", capacity=1, valid_from=date(2026, 11, 1),
                                    hours=[WeeklyHours(weekday=0, starts=time(9), ends=time(12))]))
        db.session.commit()
        runner = app.test_cli_runner()

        first = runner.invoke(args=["slots", "generate"])
        assert first.exit_code == 0, first.output
        assert f"{advisor.email}: created 1, withdrawn 0, conflicts 0, skipped 0" in first.output
        assert idle.email not in first.output and gone.email not in first.output
        assert count(Slot, Slot.advisor_id == gone.id) == 0
        slots = count(Slot)
        db.session.rollback()

        second = runner.invoke(args=["slots", "generate", "--advisor", advisor.email])
        assert second.exit_code == 0, second.output
        assert "created 0, withdrawn 0, conflicts 0, skipped 0" in second.output
        assert count(Slot) == slots

    def test_the_command_names_an_unknown_advisor(self, app):
        result = app.test_cli_runner().invoke(args=["slots", "generate", "--advisor", "nobody@opdc.go.th"])
        assert result.exit_code != 0 and "no advisor" in result.output
