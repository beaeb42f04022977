"""The report as XLSX and as a PDF summary, opened the way a reader opens them: openpyxl for the workbook (cell
types, header, frozen pane, filter, widths), pypdf for the PDF's text (and pdftoppm images looked at by hand)."""

import io
import unicodedata
from datetime import date, datetime, timedelta

import openpyxl
import pytest
from pypdf import PdfReader
from sqlalchemy import select

from clinic.audit.models import AuditEvent
from clinic.bookings.models import Attendee
from clinic.extensions import db
from clinic.reports import exports
from clinic.reports.services import SessionFilters
from tests import factories
from tests.factories import NOW
from tests.test_reports_routes import HEADER
from tests.test_reports_services import make_session

XLSX = "/admin/reports/sessions.xlsx"
PDF = "/admin/reports/sessions.pdf"


def workbook(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return openpyxl.load_workbook(io.BytesIO(response.get_data()))


def pdf_text(data: bytes) -> str:
    """The text of every page, without the zero-width spaces that mark word breaks nor the control characters that
    pypdf gives for some shaped glyphs (the parts of SARA AM)."""
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch) not in ("Cc", "Cf"))


def test_xlsx_has_typed_cells_a_frozen_filtered_header_and_fitted_columns(login, admin, advisor, booking, topic):
    db.session.add(Attendee(booking=booking, name="ผู้เข้าร่วม", position="นักวิเคราะห์"))
    factories.make_published_record(booking, advisor, guidance="ควรทบทวนภารกิจ", items=[("ส่งร่าง", "department")])
    db.session.commit()
    response = login(admin).get(XLSX)
    assert response.headers["Content-Type"] == exports.MIME_TYPES["xlsx"]
    assert response.headers["Content-Disposition"] == 'attachment; filename="opdc-sessions-2569-11-25.xlsx"'
    assert response.headers["Cache-Control"] == "no-store"
    sheet = workbook(response).active
    header = [cell.value for cell in sheet[1]]
    assert header == [*HEADER[:2], "วันที่ (ข้อความ)", *HEADER[2:]]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:P2"
    row = [cell for cell in sheet[2]]
    assert row[0].value == booking.reference and row[0].data_type == "s"
    assert row[1].value == datetime(2026, 12, 2) and row[1].is_date
    assert row[1].number_format == exports.BE_DATE_FORMAT == "[$-41E]d mmm bbbb"
    assert row[2].value == "2 ธ.ค. 2569"
    assert row[3].number_format == "hh:mm" and row[3].value.hour == 10  # a time cell
    assert row[5].value == 2570 and row[5].data_type == "n"
    assert row[7].value == "กระทรวงอุตสาหกรรม"
    assert [row[12].value, row[13].value, row[14].value, row[15].value] == [2, "ควรทบทวนภารกิจ", 1, 0]
    widths = {letter: dimension.width for letter, dimension in sheet.column_dimensions.items()}
    assert widths["H"] >= len("กระทรวงอุตสาหกรรม") - 2  # fitted to the Thai text (marks take no width)
    assert round(widths["N"]) == exports.SUMMARY_WIDTH + 1  # XlsxWriter adds its padding


def test_xlsx_cells_that_look_like_formulas_stay_text(login, admin, officer, topic):
    trickster = factories.make_user("advisor", name='=HYPERLINK("http://evil.example","คลิก")')
    booking = make_session(trickster, officer, topic, NOW + timedelta(days=1))
    factories.make_published_record(booking, trickster, guidance="=1+2")
    db.session.commit()
    sheet = workbook(login(admin).get(XLSX)).active
    assert sheet["G2"].value == '=HYPERLINK("http://evil.example","คลิก")' and sheet["G2"].data_type == "s"
    assert sheet["N2"].data_type == "s"


def test_an_empty_range_gives_a_valid_empty_xlsx_and_pdf(login, admin, booking):
    client = login(admin)
    query = {"date_from": "2030-01-01", "date_to": "2030-01-31"}
    sheet = workbook(client.get(XLSX, query_string=query)).active
    assert sheet.max_row == 1 and sheet["A1"].value == HEADER[0]
    response = client.get(PDF, query_string=query)
    assert response.status_code == 200
    text = pdf_text(response.get_data())
    assert "ไม่มีการให้คำปรึกษาตามตัวกรองนี้" in text


def test_pdf_summary_has_the_filters_totals_and_sessions_in_thai(login, admin, advisor, officer, topic, ministry):
    for day in (1, 2):
        make_session(advisor, officer, topic, NOW + timedelta(days=day), status="confirmed")
    make_session(advisor, officer, topic, NOW + timedelta(days=3))
    db.session.commit()
    response = login(admin).get(PDF, query_string={"fiscal_year": "2570", "ministry": str(ministry.id)})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="opdc-sessions-2569-11-25.pdf"'
    assert response.headers["Cache-Control"] == "no-store"
    data = response.get_data()
    assert data.startswith(b"%PDF-")
    text = pdf_text(data)
    for expected in ("รายงานการให้คำปรึกษา", "ปีงบประมาณ", "2570", "กระทรวงอุตสาหกรรม", "จำนวนการให้คำปรึกษา 3 รายการ",
                     "ยืนยันแล้ว", "รอยืนยัน", "26 พ.ย. 2569", topic.name_th):
        assert expected in text, expected


@pytest.mark.parametrize(("url", "file_format"), [(XLSX, "xlsx"), (PDF, "pdf")])
def test_each_file_export_is_audited(login, admin, booking, url, file_format):
    login(admin).get(url, query_string={"fiscal_year": "2570"})
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "report.exported")).all()
    assert event.details["format"] == file_format and event.details["filters"]["fiscal_year"] == 2570


@pytest.mark.parametrize("url", [XLSX, PDF])
def test_bad_filters_give_the_form_back_and_no_file(login, admin, booking, url):
    response = login(admin).get(url, query_string={"fiscal_year": "12"})
    assert response.status_code == 422
    assert "text/html" in response.headers["Content-Type"]
    assert not db.session.scalars(select(AuditEvent).where(AuditEvent.action == "report.exported")).all()


def test_the_report_page_links_every_format_with_its_filters(login, admin, booking):
    page = login(admin).get("/admin/reports/sessions", query_string={"fiscal_year": "2570"}).get_data(as_text=True)
    for url in ("sessions.csv", "sessions.xlsx", "sessions.pdf"):
        assert f"/admin/reports/{url}?fiscal_year=2570" in page


def test_write_sessions_file_for_the_command_line(tmp_path, booking):
    target = tmp_path / "out.xlsx"
    exports.write_sessions_file(None, SessionFilters(), "xlsx", target, NOW, "th")
    sheet = openpyxl.load_workbook(target).active
    assert sheet["A2"].value == booking.reference
    assert sheet["B2"].value.date() == date(2026, 12, 2) or sheet["B2"].is_date


def run_export(app, *args):
    return app.test_cli_runner().invoke(args=["export", "sessions", *args])


@pytest.mark.parametrize("file_format", ["csv", "xlsx", "pdf"])
def test_the_command_writes_each_format_and_audits_it_as_the_system(app, tmp_path, booking, file_format):
    db.session.commit()
    target = tmp_path / f"sessions.{file_format}"
    result = run_export(app, "--format", file_format, "--fiscal-year", "2570", "-o", str(target))
    assert result.exit_code == 0, result.output
    assert f"wrote {target}" in result.output
    data = target.read_bytes()
    if file_format == "csv":
        assert booking.reference in data.decode("utf-8-sig")
    elif file_format == "xlsx":
        assert openpyxl.load_workbook(target).active["A2"].value == booking.reference
    else:
        assert booking.reference in pdf_text(data)
    db.session.expire_all()
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "report.exported")).all()
    assert event.actor_id is None and event.details["format"] == file_format
    assert event.details["filters"]["fiscal_year"] == 2570
    assert not list(tmp_path.glob(".*partial"))


def test_the_command_exports_an_empty_range_as_a_valid_empty_file(app, tmp_path, booking):
    db.session.commit()
    target = tmp_path / "empty.csv"
    result = run_export(app, "--format", "csv", "--from", "2030-01-01", "--to", "2030-01-02", "-o", str(target))
    assert result.exit_code == 0, result.output
    assert target.read_bytes().count(b"\r\n") == 1  # the header alone


@pytest.mark.parametrize(("args", "message"), [
    (["--fiscal-year", "12"], "--fiscal-year"),
    (["--from", "2026-02-30"], "--from"),
    (["--from", "2026-12-01", "--to", "2026-11-01"], "--to"),
    (["--format", "docx"], "--format"),
])
def test_the_command_refuses_bad_filters_clearly_and_writes_nothing(app, tmp_path, booking, args, message):
    db.session.commit()
    target = tmp_path / "out.csv"
    base = [] if "--format" in args else ["--format", "csv"]
    result = run_export(app, *base, *args, "-o", str(target))
    assert result.exit_code == 2
    assert message in result.output
    assert not target.exists()
    assert not db.session.scalars(select(AuditEvent).where(AuditEvent.action == "report.exported")).all()
