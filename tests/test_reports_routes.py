"""The sessions report over HTTP: the page, the CSV export, who may open them, and bad filters."""

import csv
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import event, select, text

from clinic.audit.models import AuditEvent
from clinic.extensions import db
from clinic.reports import services
from tests import factories
from tests.factories import NOW
from tests.test_reports_services import at_bangkok, make_session

PAGE = "/admin/reports/sessions"
CSV = "/admin/reports/sessions.csv"
HEADER = [
    "เลขที่อ้างอิง", "วันที่", "เวลาเริ่ม", "เวลาสิ้นสุด", "ปีงบประมาณ", "ที่ปรึกษา", "กระทรวง", "ส่วนราชการ",
    "หัวข้อ", "รูปแบบ", "สถานะ", "จำนวนผู้เข้าร่วม", "สรุปคำแนะนำ", "ขั้นตอนต่อไปที่ยังไม่เสร็จ",
    "ขั้นตอนต่อไปที่เสร็จแล้ว",
]


def csv_rows(response) -> list[list[str]]:
    body = response.get_data().decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:], newline="")))


def export_events() -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "report.exported")))


def field_error(page: str, name: str) -> str:
    found = re.search(rf'data-field-error="{name}">([^<]*)<', page)
    assert found, f"no error shown next to {name}"
    return found.group(1)


def test_administrator_opens_the_report_from_the_navbar(login, admin, booking):
    client = login(admin)
    home = client.get("/").get_data(as_text=True)
    assert f'href="{PAGE}"' in home
    response = client.get(PAGE)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "รายงานการให้คำปรึกษา" in page
    assert "พบ 1 รายการ" in page
    assert booking.reference in page
    assert "2 ธ.ค. 2569" in page  # NOW + 7 days, in the Buddhist Era
    assert "10:00 น." in page
    assert "รอยืนยัน" in page
    assert "ประชุม ณ สถานที่" in page


def test_every_filter_has_a_visible_label(login, admin):
    page = login(admin).get(PAGE).get_data(as_text=True)
    for name in ("date_from", "date_to", "fiscal_year", "ministry", "department", "topic", "advisor", "status",
                 "include_cancelled"):
        assert re.search(rf'<label[^>]*for="{name}"', page), name
        assert f'name="{name}"' in page
    assert 'method="get"' in page
    assert "csrf_token" not in page.split('data-testid="report-filters"')[1].split("</form>")[0]


def test_page_filters_and_the_export_link_carries_them(login, admin, advisor, officer, sister_officer, topic,
                                                        sister_department):
    ours = make_session(advisor, officer, topic, NOW + timedelta(days=1))
    sister = make_session(advisor, sister_officer, topic, NOW + timedelta(days=2))
    client = login(admin)
    page = client.get(PAGE, query_string={"department": sister_department.id, "fiscal_year": "2570"}).get_data(
        as_text=True
    )
    assert sister.reference in page
    assert ours.reference not in page
    assert "พบ 1 รายการ" in page
    link = re.search(r'href="([^"]*sessions\.csv[^"]*)"', page).group(1).replace("&amp;", "&")
    assert f"department={sister_department.id}" in link
    assert "fiscal_year=2570" in link
    [header, *rows] = csv_rows(client.get(link))
    assert [row[0] for row in rows] == [sister.reference]


def test_page_shows_cancelled_sessions_only_when_asked(login, admin, advisor, officer, topic):
    kept = make_session(advisor, officer, topic, NOW + timedelta(days=1), status="confirmed")
    cancelled = make_session(advisor, officer, topic, NOW + timedelta(days=2), status="cancelled")
    client = login(admin)
    page = client.get(PAGE).get_data(as_text=True)
    assert kept.reference in page and cancelled.reference not in page
    page = client.get(PAGE, query_string={"include_cancelled": "y"}).get_data(as_text=True)
    assert kept.reference in page and cancelled.reference in page
    assert re.search(r'<input[^>]*checked[^>]*name="include_cancelled"|<input[^>]*name="include_cancelled"[^>]*checked', page)


def test_page_is_paged_and_says_the_csv_has_everything(login, admin, advisor, officer, topic, monkeypatch):
    monkeypatch.setattr(services, "PAGE_SIZE", 2)
    made = [make_session(advisor, officer, topic, NOW + timedelta(days=d)).reference for d in range(1, 6)]
    client = login(admin)
    page = client.get(PAGE, query_string={"page": 2}).get_data(as_text=True)
    assert "พบ 5 รายการ" in page
    assert "แสดงรายการที่ 3–4" in page
    assert "ไฟล์ CSV มีครบทุกรายการ" in page
    # the page shows the newest sessions first: page 2 holds the 3rd and 4th newest
    assert [r for r in made if r in page] == made[1:3]
    assert page.index(made[2]) < page.index(made[1])
    assert "หน้า 2 จาก 3" in page
    assert client.get(PAGE, query_string={"page": "abc"}).status_code == 200
    [header, *rows] = csv_rows(client.get(CSV))
    assert [row[0] for row in rows] == made


def test_csv_opens_in_excel_with_thai_intact(login, admin, advisor, booking, department, ministry, topic):
    factories.make_published_record(booking, advisor, guidance="ควรทบทวนภารกิจ, และ \"โครงสร้าง\"\nของกรม",
                                    items=[("ส่งร่าง", "department"), ("ให้ความเห็น", "opdc")])
    db.session.commit()
    response = login(admin).get(CSV)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="opdc-sessions-2569-11-25.csv"'
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    assert body.count(b"\r\n") == 2
    assert b"\n" not in body.replace(b"\r\n", b"")
    [header, row] = csv_rows(response)
    assert header == HEADER
    assert row == [
        booking.reference, "2 ธ.ค. 2569", "10:00", "11:00", "2570", "นายสมชาย ใจดี", "กระทรวงอุตสาหกรรม",
        "กรมโรงงานอุตสาหกรรม", topic.name_th, "ประชุม ณ สถานที่", "รอยืนยัน", "1",
        'ควรทบทวนภารกิจ, และ "โครงสร้าง" ของกรม', "2", "0",
    ]


def test_csv_has_one_row_per_session_and_honours_every_filter(login, admin, advisor, other_advisor, officer,
                                                             sister_officer, topic, other_topic):
    first = make_session(advisor, officer, topic, at_bangkok(2026, 12, 1), status="confirmed")
    second = make_session(advisor, sister_officer, other_topic, at_bangkok(2026, 12, 2))
    third = make_session(other_advisor, officer, topic, at_bangkok(2026, 12, 3))
    cancelled = make_session(advisor, officer, topic, at_bangkok(2026, 12, 4), status="cancelled")
    client = login(admin)

    def exported(**query) -> list[str]:
        response = client.get(CSV, query_string=query)
        assert response.status_code == 200
        header, *rows = csv_rows(response)
        assert header == HEADER
        return [row[0] for row in rows]

    assert exported() == [first.reference, second.reference, third.reference]
    assert exported(include_cancelled="y") == [first.reference, second.reference, third.reference, cancelled.reference]
    assert exported(status="cancelled") == [cancelled.reference]
    assert exported(status="confirmed") == [first.reference]
    assert exported(date_from="2026-12-02", date_to="2026-12-03") == [second.reference, third.reference]
    assert exported(department=sister_officer.department_id) == [second.reference]
    assert exported(ministry=officer.department.ministry_id) == [first.reference, second.reference, third.reference]
    assert exported(topic=other_topic.id) == [second.reference]
    assert exported(advisor=other_advisor.id) == [third.reference]
    assert exported(fiscal_year="2569") == []
    assert len(export_events()) == 10


def test_each_export_is_audited_and_committed_before_the_file_streams(login, admin, booking, department):
    client = login(admin)
    response = client.get(CSV, query_string={"department": department.id, "fiscal_year": "2570"})
    assert response.status_code == 200
    with db.engine.connect() as other:  # another connection sees only committed rows
        seen = other.execute(
            text("SELECT actor_id, object_type, object_id FROM audit_events WHERE action = 'report.exported'")
        ).all()
    assert [tuple(r) for r in seen] == [(admin.id, "users", admin.id)]
    assert booking.reference in response.get_data(as_text=True)
    [audit] = export_events()
    assert audit.occurred_at == NOW
    assert audit.details["filters"]["department_id"] == department.id
    assert audit.details["filters"]["fiscal_year"] == 2570
    assert audit.details["format"] == "csv"


def test_viewing_the_page_is_not_audited(login, admin, booking):
    login(admin).get(PAGE)
    assert export_events() == []


@pytest.mark.parametrize("person", ["officer", "coordinator", "advisor"])
@pytest.mark.parametrize("url", [PAGE, CSV])
def test_only_administrators_open_the_report(request, login, booking, person, url):
    client = login(request.getfixturevalue(person))
    assert client.get(url).status_code == 403
    assert export_events() == []


def test_navbar_hides_the_report_from_others(login, officer, advisor):
    assert PAGE not in login(officer).get("/casefile").get_data(as_text=True)
    assert PAGE not in login(advisor).get("/advisor/sessions").get_data(as_text=True)


@pytest.mark.parametrize("url", [PAGE, CSV])
def test_report_needs_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"date_from": "not-a-date"}, "date_from", "ระบุวันที่ในรูปแบบ"),
        ({"date_to": "2026-02-30"}, "date_to", "ระบุวันที่ในรูปแบบ"),
        ({"date_from": "2026-12-02", "date_to": "2026-12-01"}, "date_to", "วันที่สิ้นสุดต้องไม่ก่อนวันที่เริ่มต้น"),
        ({"date_from": "0001-01-01"}, "date_from", "ระบุวันที่ในช่วงปี พ.ศ."),
        ({"date_to": "9999-12-31"}, "date_to", "ระบุวันที่ในช่วงปี พ.ศ."),
        ({"fiscal_year": "abc"}, "fiscal_year", "ระบุปีงบประมาณ"),
        ({"fiscal_year": "2026"}, "fiscal_year", "ระบุปีงบประมาณ"),
        ({"fiscal_year": "99999999999999999999999"}, "fiscal_year", "ระบุปีงบประมาณ"),
        ({"ministry": "999999"}, "ministry", "ไม่พบกระทรวงที่เลือก"),
        ({"department": "abc"}, "department", "ไม่พบส่วนราชการที่เลือก"),
        ({"topic": "999999"}, "topic", "ไม่พบหัวข้อที่เลือก"),
        ({"advisor": "-1"}, "advisor", "ไม่พบที่ปรึกษาที่เลือก"),
        ({"status": "lost"}, "status", "ไม่มีสถานะนี้"),
    ],
)
@pytest.mark.parametrize("url", [PAGE, CSV])
def test_bad_filters_get_a_thai_message_next_to_the_field_and_no_rows(login, admin, booking, url, query, field,
                                                                       message):
    response = login(admin).get(url, query_string=query)
    assert response.status_code == 422
    assert response.headers["Content-Type"].startswith("text/html")
    page = response.get_data(as_text=True)
    assert message in field_error(page, field)
    assert booking.reference not in page
    assert "export-csv" not in page
    assert export_events() == []


def test_an_advisor_id_that_is_not_an_advisor_is_refused(login, admin, officer, booking):
    response = login(admin).get(PAGE, query_string={"advisor": officer.id})
    assert response.status_code == 422
    assert "ไม่พบที่ปรึกษาที่เลือก" in field_error(response.get_data(as_text=True), "advisor")


def test_page_and_export_issue_a_fixed_number_of_queries(login, admin, advisor, officer, topic):
    client = login(admin)
    first = make_session(advisor, officer, topic, NOW + timedelta(days=1), status="confirmed")
    factories.make_published_record(first, advisor, items=[("ทบทวน", "department")])

    def count(url: str) -> int:
        db.session.commit()
        statements: list[str] = []

        def listen(_conn, _cursor, statement, *_args):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", listen)
        try:
            response = client.get(url)
            response.get_data()
        finally:
            event.remove(db.engine, "before_cursor_execute", listen)
        assert response.status_code == 200
        return len(statements)

    page_with_one, csv_with_one = count(PAGE), count(CSV)
    for day in range(2, 31):
        booking = make_session(advisor, officer, topic, NOW + timedelta(days=day), status="confirmed")
        factories.make_published_record(booking, advisor, items=[("ทบทวน", "department"), ("ส่ง", "opdc")])
    page_with_thirty, csv_with_thirty = count(PAGE), count(CSV)
    assert "พบ 30 รายการ" in client.get(PAGE).get_data(as_text=True)
    assert page_with_one == page_with_thirty
    assert csv_with_one == csv_with_thirty


def test_english_page_and_export_follow_the_language(login, admin, booking):
    client = login(admin)
    assert client.get(PAGE, query_string={"lang": "en"}).status_code == 200
    response = client.get(CSV, query_string={"lang": "en"})
    assert response.status_code == 200
    assert booking.reference in response.get_data(as_text=True)


def test_csv_cells_that_look_like_formulas_stay_text(login, admin, officer, topic):
    trickster = factories.make_user("advisor", name='=HYPERLINK("http://evil.example","คลิก")')
    booking = make_session(trickster, officer, topic, NOW + timedelta(days=1))
    factories.make_published_record(booking, trickster, guidance="-2+3 ควรทบทวน")
    [header, row] = csv_rows(login(admin).get(CSV))
    assert row[HEADER.index("ที่ปรึกษา")] == '\'=HYPERLINK("http://evil.example","คลิก")'
    assert row[HEADER.index("สรุปคำแนะนำ")] == "'-2+3 ควรทบทวน"
