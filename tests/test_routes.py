"""Routes through the Flask test client: access, bad input, and what a user reads."""

import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from clinic.bookings.models import Booking, Document
from clinic.extensions import db
from clinic.records.models import InternalNote
from clinic.scheduling.models import Slot
from tests.factories import NOW, make_booking, make_published_record, make_slot
from tests.helpers import change_events

PDF = b"%PDF-1.4\n%%EOF\n"



def post_multipart(client, url: str, data: dict):
    """Werkzeug's test client spools a large multipart body to a temporary file and never closes it."""
    response = client.post(url, data=data, content_type="multipart/form-data")
    response.request.environ["wsgi.input"].close()
    return response


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def booking_form(**overrides):
    data = {
        "request_details": "ขอคำปรึกษาการปรับโครงสร้าง",
        "attendees-0-name": "นายอนุชา โรงงานดี",
        "attendees-0-position": "นักจัดการงานทั่วไป",
    }
    data.update(overrides)
    return data


class TestBooking:
    def test_officer_books_and_lands_on_the_receipt(self, login, officer, department, topic, slot):
        client = login(officer)
        form = booking_form(department=department.id, document=(io.BytesIO(PDF), "ผังโครงสร้าง.pdf"))
        response = client.post(f"/book/{topic.id}/slots/{slot.id}", data=form, content_type="multipart/form-data")
        assert response.status_code == 302
        booking = db.session.scalar(select(Booking))
        assert response.headers["Location"].endswith(f"/bookings/{booking.id}")
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert booking.reference in page
        assert "25 พ.ย. 2569 10:00 น." in page  # received at NOW, shown in Bangkok with the BE year
        assert "ผังโครงสร้าง.pdf" in page

    def test_open_slots_show_bangkok_time_and_be_year(self, login, officer, topic, slot):
        page = login(officer).get(f"/book/{topic.id}").get_data(as_text=True)
        assert "2 ธ.ค. 2569" in page and "10:00 น." in page  # NOW + 7 days, 03:00 UTC
        assert "นายสมชาย ใจดี" in page

    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            ({"request_details": ""}, "ระบุเรื่องที่ต้องการรับคำปรึกษา"),
            ({"request_details": "ก" * 4001}, "ยาวเกิน 4000 ตัวอักษร"),
            ({"attendees-0-name": "", "attendees-0-position": ""}, "ระบุผู้เข้าร่วมอย่างน้อย 1 คน"),
            ({"attendees-0-position": ""}, "ระบุทั้งชื่อและตำแหน่ง"),
            ({"attendees-0-name": "ก" * 201}, "ยาวเกิน 200 ตัวอักษร"),
            ({"document": (io.BytesIO(b"MZ\x90\x00"), "ผังโครงสร้าง.pdf")}, "รับเฉพาะไฟล์ PDF, DOCX หรือ XLSX"),
            ({"document": (io.BytesIO(PDF), "ร่างกฎกระทรวง.docx")}, "เนื้อหาไฟล์ไม่ตรงกับชื่อไฟล์"),
            ({"document": (io.BytesIO(PDF + b"0" * (10 * 1024 * 1024)), "ใหญ่.pdf")}, "ไฟล์ใหญ่เกิน 10 MB"),
        ],
    )
    def test_bad_booking_input_shows_a_thai_message_and_changes_nothing(
        self, login, officer, department, topic, slot, overrides, message
    ):
        client = login(officer)
        data = booking_form(department=department.id, **overrides)
        response = post_multipart(client, f"/book/{topic.id}/slots/{slot.id}", data)
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
        assert count(Booking) == 0 and count(Document) == 0 and change_events() == 0

    def test_booking_for_a_department_outside_ones_scope_is_refused(
        self, login, officer, sister_department, topic, slot
    ):
        response = login(officer).post(f"/book/{topic.id}/slots/{slot.id}", data=booking_form(department=sister_department.id))
        assert response.status_code == 422
        assert "เลือกส่วนราชการในความรับผิดชอบของคุณ" in response.get_data(as_text=True)
        assert count(Booking) == 0

    def test_a_taken_slot_says_so_and_a_500_never_happens(self, login, officer, other_department_officer, department,
                                                           topic, slot):
        make_booking(slot, other_department_officer, topic)
        response = login(officer).post(f"/book/{topic.id}/slots/{slot.id}", data=booking_form(department=department.id))
        assert response.status_code == 409
        assert "ช่วงเวลานี้เพิ่งถูกจองไป" in response.get_data(as_text=True)
        assert count(Booking) == 1

    def test_a_past_slot_redirects_back_to_the_list(self, login, officer, topic, advisor):
        past = make_slot(advisor, NOW - timedelta(days=1))
        response = login(officer).get(f"/book/{topic.id}/slots/{past.id}")
        assert response.status_code == 302

    @pytest.mark.parametrize("url", ["/book/999999", "/book/1/slots/999999", "/bookings/999999", "/documents/999999",
                                     "/bookings/abc", "/no-such-page"])
    def test_unknown_objects_are_404(self, login, officer, url):
        assert login(officer).get(url).status_code == 404

    HUGE = "99999999999999999999"

    def test_ids_beyond_what_the_database_holds_are_404_not_500(self, login, officer, admin):
        client = login(officer)
        for url in (f"/bookings/{self.HUGE}", f"/documents/{self.HUGE}", f"/book/{self.HUGE}",
                    f"/book/1/slots/{self.HUGE}", f"/casefile?department={self.HUGE}"):
            assert client.get(url).status_code == 404, url
        assert client.post(f"/revisions/{self.HUGE}/acknowledge").status_code == 404
        assert client.post(f"/action-items/{self.HUGE}", data={"status": "done"}).status_code == 404
        report = login(admin).get(f"/admin/reports/sessions?department={self.HUGE}&topic=-1&advisor=x")
        assert report.status_code == 422

    def test_a_department_id_beyond_the_database_is_refused_in_the_form(self, login, officer, topic, slot):
        response = login(officer).post(f"/book/{topic.id}/slots/{slot.id}", data=booking_form(department=self.HUGE))
        assert response.status_code == 422
        assert count(Booking) == 0

    def test_upload_over_the_request_limit_is_413_not_500(self, login, officer, department, topic, slot):
        data = booking_form(department=department.id, document=(io.BytesIO(b"0" * (13 * 1024 * 1024)), "a.pdf"))
        response = post_multipart(login(officer), f"/book/{topic.id}/slots/{slot.id}", data)
        assert response.status_code == 413
        assert "10 MB" in response.get_data(as_text=True)


class TestCaseFileAccess:
    @pytest.fixture
    def case(self, booking, advisor, app, tmp_path):
        record = make_published_record(booking, advisor, items=[("ทำตาราง", "department")])
        db.session.add(InternalNote(booking_id=booking.id, author_id=advisor.id, body="ความลับภายใน ก.พ.ร.",
                                    created_at=NOW))
        upload = tmp_path / "uploads"
        upload.mkdir(exist_ok=True)
        (upload / "abc.pdf").write_bytes(PDF)
        document = Document(booking_id=booking.id, filename="ผัง.pdf", stored_name="abc.pdf", kind="pdf",
                            size=len(PDF), sha256="0" * 64, uploaded_by_id=booking.booked_by_id, uploaded_at=NOW)
        db.session.add(document)
        db.session.flush()
        return {"booking": booking, "record": record, "document": document,
                "revision": record.revisions[0], "item": record.action_items[0]}

    def urls(self, case):
        b = case["booking"]
        return [
            ("get", f"/bookings/{b.id}"),
            ("get", f"/documents/{case['document'].id}"),
            ("post", f"/bookings/{b.id}/cancel"),
            ("post", f"/revisions/{case['revision'].id}/acknowledge"),
            ("post", f"/action-items/{case['item'].id}"),
            ("get", f"/bookings/{b.id}/record"),
            ("post", f"/bookings/{b.id}/record"),
            ("post", f"/bookings/{b.id}/notes"),
            ("get", f"/casefile?department={b.department_id}"),
        ]

    def test_another_departments_officer_gets_404_whatever_the_url(self, login, case, other_department_officer,
                                                                    sister_officer):
        for outsider in (other_department_officer, sister_officer):
            client = login(outsider)
            for method, url in self.urls(case):
                data = {"cancel-reason": "x", "status": "done", "body": "x", "guidance": "x", "publish": "1"}
                response = getattr(client, method)(url, data=data)
                assert response.status_code == 404, (outsider.name, url)
        assert case["booking"].status == "pending"
        assert case["item"].status == "open"

    def test_department_reads_its_case_file_but_never_internal_notes(self, login, case, officer, colleague, coordinator):
        for reader in (officer, colleague, coordinator):
            client = login(reader)
            page = client.get(f"/bookings/{case['booking'].id}").get_data(as_text=True)
            assert "ควรทบทวนภารกิจ" in page
            assert "ความลับภายใน" not in page and "บันทึกภายใน" not in page
            download = client.get(f"/documents/{case['document'].id}")
            assert download.data == PDF
            assert "attachment" in download.headers["Content-Disposition"]
            download.close()
            assert case["booking"].reference in client.get(f"/casefile?department={case['booking'].department_id}").get_data(as_text=True)

    def test_a_document_missing_from_the_disk_is_404(self, login, case, officer, tmp_path):
        (tmp_path / "uploads" / "abc.pdf").unlink()
        assert login(officer).get(f"/documents/{case['document'].id}").status_code == 404

    def test_opdc_reads_internal_notes(self, login, case, advisor, other_advisor):
        for reader in (advisor, other_advisor):
            page = login(reader).get(f"/bookings/{case['booking'].id}").get_data(as_text=True)
            assert "ความลับภายใน ก.พ.ร." in page

    def test_hidden_controls_and_refusals_agree(self, login, case, officer, other_advisor, advisor):
        booking = case["booking"]
        page = login(other_advisor).get(f"/bookings/{booking.id}").get_data(as_text=True)
        assert f"/bookings/{booking.id}/confirm" not in page and f"/bookings/{booking.id}/cancel" not in page
        assert login(other_advisor).post(f"/bookings/{booking.id}/confirm").status_code == 403
        page = login(advisor).get(f"/bookings/{booking.id}").get_data(as_text=True)
        assert f"/bookings/{booking.id}/confirm" in page
        page = login(officer).get(f"/bookings/{booking.id}").get_data(as_text=True)
        assert f"/bookings/{booking.id}/confirm" not in page and f"/bookings/{booking.id}/cancel" in page
        assert login(officer).post(f"/bookings/{booking.id}/confirm").status_code == 403
        assert booking.status == "pending"

    def test_officer_cannot_change_an_opdc_action_item(self, login, booking, advisor, officer):
        record = make_published_record(booking, advisor, items=[("ส่งแบบฟอร์ม", "opdc")])
        item = record.action_items[0]
        page = login(officer).get(f"/bookings/{booking.id}").get_data(as_text=True)
        assert f"/action-items/{item.id}" not in page
        assert login(officer).post(f"/action-items/{item.id}", data={"status": "done"}).status_code == 403
        assert item.status == "open"

    def test_roles_pages(self, login, officer, advisor, admin):
        assert login(officer).get("/advisor/sessions").status_code == 403
        assert login(officer).get("/admin/reports/sessions").status_code == 403
        assert login(advisor).get("/book").status_code == 403
        assert login(admin).get("/cases").status_code == 200
        assert login(officer).get("/cases").status_code == 403


class TestCancelAndDecide:
    def test_officer_cancels_with_a_reason(self, login, officer, booking):
        client = login(officer)
        assert client.post(f"/bookings/{booking.id}/cancel", data={"cancel-reason": ""}).status_code == 422
        assert booking.status == "pending"
        response = client.post(f"/bookings/{booking.id}/cancel", data={"cancel-reason": "ติดภารกิจด่วน"})
        assert response.status_code == 302
        assert booking.status == "cancelled"

    def test_advisor_confirms_or_declines(self, login, advisor, booking, officer, topic):
        client = login(advisor)
        response = client.post(f"/bookings/{booking.id}/decline", data={"decline-reason": ""})
        page = response.get_data(as_text=True)
        assert response.status_code == 422 and page.count("ระบุเหตุผล") == 1  # next to the decline reason only
        assert 'data-field-error="decline-reason"' in page
        assert client.post(f"/bookings/{booking.id}/confirm").status_code == 302
        assert booking.status == "confirmed"
        assert client.post(f"/bookings/{booking.id}/confirm").status_code == 403  # no longer pending


class TestSlots:
    def form(self, **overrides):
        data = {"first_day": "2026-12-01", "start": "09:00", "end": "10:30", "mode": "onsite", "location": "ห้อง 1",
                "capacity": "1", "weeks": "1"}
        data.update(overrides)
        return data

    @pytest.mark.parametrize("start", ["0001-01-01", "9999-12-31", "2026-02-30", "ก", ""])
    def test_week_view_survives_any_start_date(self, login, advisor, start):
        response = login(advisor).get(f"/advisor/week?start={start}")
        assert response.status_code == 200
        assert "สัปดาห์ของ 23 พ.ย. 2569" in response.get_data(as_text=True)  # falls back to this week

    def test_advisor_adds_repeating_slots(self, login, advisor):
        response = login(advisor).post("/advisor/slots/new", data=self.form(weeks="3"))
        assert response.status_code == 302
        assert count(Slot) == 3

    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            ({"first_day": ""}, "ระบุวันที่ให้ถูกต้อง"),
            ({"first_day": "31/2/2569"}, "ระบุวันที่ให้ถูกต้อง"),
            ({"start": "25:00"}, "ระบุเวลาให้ถูกต้อง"),
            ({"end": "08:00"}, "เวลาสิ้นสุดต้องหลังเวลาเริ่ม"),
            ({"first_day": "2026-11-01"}, "เวลาเริ่มต้องอยู่ในอนาคต"),
            ({"first_day": "2026-12-10"}, "วันหยุดราชการ"),
            ({"capacity": "0"}, "ระหว่าง 1 ถึง 20"),
            ({"capacity": "ห้า"}, "ระบุเป็นตัวเลข"),
            ({"weeks": "99"}, "ระหว่าง 1 ถึง 26"),
            ({"mode": "online", "meeting_url": "not a url"}, "ลิงก์ไม่ถูกต้อง"),
            ({"mode": "online", "meeting_url": ""}, "https://"),
            ({"location": ""}, "ระบุห้องประชุม"),
            ({"location": "ก" * 301}, "ยาวเกิน 300 ตัวอักษร"),
            ({"first_day": "9999-12-31", "weeks": "26"}, "ล่วงหน้าได้ไม่เกิน 1 ปี"),
        ],
    )
    def test_bad_slot_input_is_refused(self, login, advisor, overrides, message):
        response = login(advisor).post("/advisor/slots/new", data=self.form(**overrides))
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
        assert count(Slot) == 0

    def test_overlap_is_shown_next_to_the_field(self, login, advisor):
        client = login(advisor)
        client.post("/advisor/slots/new", data=self.form())
        response = client.post("/advisor/slots/new", data=self.form(start="10:00", end="11:00"))
        assert response.status_code == 422
        assert "ซ้อนกับช่วงเวลาที่มีอยู่แล้ว" in response.get_data(as_text=True)
        assert count(Slot) == 1


class TestRecordRoutes:
    @pytest.fixture
    def held(self, advisor, officer, topic):
        return make_booking(make_slot(advisor, NOW - timedelta(days=1)), officer, topic, status="confirmed")

    def test_advisor_records_publishes_and_officer_acknowledges(self, login, advisor, officer, held):
        client = login(advisor)
        attendee = held.attendees[0]
        response = client.post(f"/bookings/{held.id}/record", data={
            "attended": [str(attendee.id)], "attendance": "2 คน", "issues_raised": "การแบ่งกอง",
            "guidance": "ให้วิเคราะห์ภารกิจ", "internal_note": "บันทึกลับ", "publish": "1"})
        assert response.status_code == 302
        response = client.post(f"/bookings/{held.id}/record", data={
            "guidance": "ให้วิเคราะห์ภารกิจ ฉบับแก้", "item-description": "จัดทำตาราง", "item-owner": "department",
            "item-due_on": "2026-12-31", "add_item": "1"})
        assert response.status_code == 302
        page = login(officer).get(f"/bookings/{held.id}").get_data(as_text=True)
        assert "จัดทำตาราง" not in page  # a step of the unpublished draft is not the department's yet
        client = login(advisor)
        assert client.post(f"/bookings/{held.id}/record", data={
            "guidance": "ให้วิเคราะห์ภารกิจ ฉบับแก้", "publish": "1"}).status_code == 302

        client = login(officer)
        page = client.get(f"/bookings/{held.id}").get_data(as_text=True)
        assert "ให้วิเคราะห์ภารกิจ" in page and "จัดทำตาราง" in page and "บันทึกลับ" not in page
        from clinic.records.queries import record_for

        revision = record_for(held).published
        assert client.post(f"/revisions/{revision.id}/acknowledge").status_code == 302
        assert len(revision.acknowledgements) == 1
        item = record_for(held).action_items[0]
        assert client.post(f"/action-items/{item.id}", data={"status": "done", "note": "ส่งแล้ว"}).status_code == 302
        assert item.status == "done"

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"item-description": "", "item-owner": "department", "item-due_on": "2026-12-31"}, "ระบุสิ่งที่ต้องดำเนินการ"),
            ({"item-description": "x", "item-owner": "nobody", "item-due_on": "2026-12-31"}, "ตัวเลือกไม่ถูกต้อง"),
            ({"item-description": "x", "item-owner": "opdc", "item-due_on": "pasta"}, "ระบุวันที่ให้ถูกต้อง"),
            ({"item-description": "x", "item-owner": "opdc", "item-due_on": "2026-01-01"}, "วันครบกำหนดต้องไม่อยู่ในอดีต"),
            ({"item-description": "x", "item-owner": "opdc", "item-due_on": "9999-12-31"}, "ไม่เกิน 5 ปีข้างหน้า"),
        ],
    )
    def test_bad_action_items_are_refused_and_keep_what_was_typed(self, login, advisor, held, data, message):
        typed = {"guidance": "คำแนะนำที่พิมพ์ไว้", "add_item": "1"}
        response = login(advisor).post(f"/bookings/{held.id}/record", data={**data, **typed})
        page = response.get_data(as_text=True)
        assert response.status_code == 422
        assert message in page
        assert "คำแนะนำที่พิมพ์ไว้" in page
        from clinic.records.models import ActionItem, ConsultationRecord

        assert count(ActionItem) == 0 and count(ConsultationRecord) == 0

    def test_adding_a_step_keeps_the_record_text_as_a_draft(self, login, advisor, held):
        client = login(advisor)
        response = client.post(f"/bookings/{held.id}/record", data={
            "issues_raised": "การแบ่งกอง", "guidance": "ให้วิเคราะห์ภารกิจ", "item-description": "จัดทำตาราง",
            "item-owner": "opdc", "item-due_on": "2026-12-31", "add_item": "1"})
        assert response.status_code == 302
        page = client.get(f"/bookings/{held.id}/record").get_data(as_text=True)
        assert "ให้วิเคราะห์ภารกิจ" in page and "การแบ่งกอง" in page and "จัดทำตาราง" in page

    def test_attendance_choices_that_are_not_ids_get_a_thai_message(self, login, advisor, held):
        response = login(advisor).post(f"/bookings/{held.id}/record", data={"attended": "ก", "guidance": "x"})
        assert response.status_code == 422
        assert "ตัวเลือกไม่ถูกต้อง" in response.get_data(as_text=True)

    def test_publishing_without_guidance_is_refused(self, login, advisor, held):
        response = login(advisor).post(f"/bookings/{held.id}/record", data={"guidance": "", "publish": "1"})
        assert response.status_code == 422
        assert "ระบุคำแนะนำที่ให้ก่อนเผยแพร่" in response.get_data(as_text=True)


class TestAccounts:
    def test_wrong_password_is_refused_in_thai(self, client, officer):
        response = client.post("/login", data={"email": officer.email, "password": "wrong"})
        assert response.status_code == 422
        assert "อีเมลหรือรหัสผ่านไม่ถูกต้อง" in response.get_data(as_text=True)

    def test_login_never_redirects_to_another_site(self, client, officer):
        from tests.factories import PASSWORD

        for target in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
            client.post("/logout")
            response = client.post(f"/login?next={target}", data={"email": officer.email, "password": PASSWORD})
            assert response.headers["Location"] == "/"

    def test_session_cookie_is_httponly_and_samesite(self, client, officer):
        from tests.factories import PASSWORD

        response = client.post("/login", data={"email": officer.email, "password": PASSWORD})
        cookie = response.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie

    def test_pages_carry_a_content_security_policy(self, client):
        assert "script-src 'self'" in client.get("/").headers["Content-Security-Policy"]

    def test_english_is_available(self, client):
        client.get("/language/en")
        assert '<html lang="en">' in client.get("/").get_data(as_text=True)

    @pytest.mark.config(LOGIN_RATE_LIMIT="3 per minute")
    def test_repeated_failed_sign_ins_are_slowed_down(self, client, officer, colleague):
        from tests.factories import PASSWORD

        for _ in range(3):
            assert client.post("/login", data={"email": officer.email, "password": "guess"}).status_code == 422
        blocked = client.post("/login", data={"email": officer.email, "password": PASSWORD})
        assert blocked.status_code == 429
        assert "ลองเข้าสู่ระบบหลายครั้งเกินไป" in blocked.get_data(as_text=True)  # and when to try again
        assert int(blocked.headers["Retry-After"]) > 0
        # Another person behind the same address still signs in.
        assert client.post("/login", data={"email": colleague.email, "password": PASSWORD}).status_code == 302

    @pytest.mark.config(LOGIN_RATE_LIMIT="2 per minute")
    def test_successful_sign_ins_do_not_count(self, client, officer):
        from tests.factories import PASSWORD

        for _ in range(4):
            client.post("/logout")
            assert client.post("/login", data={"email": officer.email, "password": PASSWORD}).status_code == 302

    @pytest.mark.config(WTF_CSRF_ENABLED=True)
    def test_forms_need_a_csrf_token(self, client, officer, booking):
        response = client.post("/login", data={"email": officer.email, "password": "x"})
        assert response.status_code == 400
        assert "แบบฟอร์มหมดอายุ" in response.get_data(as_text=True)
