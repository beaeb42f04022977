"""The sessions report as a Thai PDF summary: the filters, the totals by status, topic and ministry, and the
first sessions in a table (a PDF is for reading; the CSV and XLSX carry every row)."""

from collections.abc import Iterable
from datetime import datetime
from itertools import islice
from typing import TYPE_CHECKING, BinaryIO

from flask_babel import gettext as _

from clinic.i18n import format_date, format_datetime
from clinic.pdf import ThaiDocument
from clinic.reports.services import ExportRow, SessionFilters, filter_names, session_totals

if TYPE_CHECKING:
    from clinic.accounts.models import User
    from clinic.reports.exports import Vocabulary

TABLE_ROWS = 500  # sessions listed in the table; the totals count every one


def describe_filters(filters: SessionFilters, words: "Vocabulary") -> list[tuple[str, str]]:
    names = filter_names(filters, words.language)
    lines: list[tuple[str, str]] = []
    if filters.fiscal_year is not None:
        lines.append((_("ปีงบประมาณ"), str(filters.fiscal_year)))
    if filters.date_from is not None:
        lines.append((_("ตั้งแต่วันที่"), format_date(filters.date_from, style="long", language=words.language)))
    if filters.date_to is not None:
        lines.append((_("ถึงวันที่"), format_date(filters.date_to, style="long", language=words.language)))
    for key, label in (("ministry", _("กระทรวง")), ("department", _("ส่วนราชการ")), ("topic", _("หัวข้อ")),
                       ("advisor", _("ที่ปรึกษา"))):
        if key in names:
            lines.append((label, names[key]))
    if filters.status is not None:
        lines.append((_("สถานะ"), words.status.get(filters.status, filters.status)))
    elif filters.include_cancelled:
        lines.append((_("สถานะ"), _("ทุกสถานะ รวมรายการที่ยกเลิกหรือถูกปฏิเสธ")))
    else:
        lines.append((_("สถานะ"), _("รอยืนยันและยืนยันแล้ว")))
    return lines


def write_sessions_pdf(rows: Iterable[ExportRow], words: "Vocabulary", target: BinaryIO, now: datetime,
                       actor: "User | None", filters: SessionFilters) -> None:
    title = _("รายงานการให้คำปรึกษา สำนักงาน ก.พ.ร.")
    document = ThaiDocument(title, orientation="landscape")
    document.heading(title, 18)
    document.paragraph(_("จัดทำเมื่อ %(when)s", when=format_datetime(now, language=words.language)), size=11)
    document.ln(2)
    document.pairs(describe_filters(filters, words))
    totals = session_totals(actor, filters, words.language)
    document.ln(3)
    document.heading(_("จำนวนการให้คำปรึกษา %(n)s รายการ", n=f"{totals.total:,}"), 14)
    count = _("จำนวน")
    document.heading(_("ตามสถานะ"), 13)
    document.grid([_("สถานะ"), count], [(words.status.get(s, s), f"{n:,}") for s, n in totals.by_status], (120, 30))
    document.ln(3)
    document.heading(_("ตามหัวข้อ"), 13)
    document.grid([_("หัวข้อ"), count], [(name, f"{n:,}") for name, n in totals.by_topic], (200, 30))
    document.ln(3)
    document.heading(_("ตามกระทรวง"), 13)
    document.grid([_("กระทรวง"), count], [(name, f"{n:,}") for name, n in totals.by_ministry], (200, 30))
    document.add_page()
    shown = min(totals.total, TABLE_ROWS)
    document.heading(_("รายการการให้คำปรึกษา"), 14)
    if totals.total > TABLE_ROWS:
        document.paragraph(_("แสดง %(shown)s รายการแรกจากทั้งหมด %(total)s รายการ รายการทั้งหมดอยู่ในไฟล์ CSV และ XLSX",
                             shown=f"{shown:,}", total=f"{totals.total:,}"), size=11)
    headings = [_("วันที่"), _("เวลา"), _("เลขที่อ้างอิง"), _("ส่วนราชการ"), _("หัวข้อ"), _("ที่ปรึกษา"),
                _("สถานะ"), _("ค้าง/เสร็จ")]
    days: dict[str, str] = {}

    def line(row: ExportRow) -> tuple[str, ...]:
        day = days.get(row.starts[:10])
        if day is None:
            year, month, date_of_month = (int(part) for part in row.starts[:10].split("-"))
            day = days[row.starts[:10]] = format_date(datetime(year, month, date_of_month).date(),
                                                      language=words.language)
        return (day, f"{row.starts[11:]}–{row.ends[11:]}", row.reference, row.department, row.topic, row.advisor,
                words.status.get(row.status, row.status), f"{row.open_items}/{row.done_items}")

    listed = islice(rows, TABLE_ROWS)
    document.lines(headings, (line(row) for row in listed), (22, 20, 25, 53, 59, 36, 26, 20), size=9)
    close = getattr(rows, "close", None)
    if close is not None:
        close()  # the rest of the rows are not read: end the query
    if not shown:
        document.paragraph(_("ไม่มีการให้คำปรึกษาตามตัวกรองนี้"))
    document.output_to(target)


