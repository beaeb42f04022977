"""The sessions report as files: CSV that Excel opens with Thai intact (UTF-8 with a byte-order mark,
a header row in the user's language, CRLF line endings, written a chunk at a time), XLSX with typed
cells, and a PDF summary (clinic/reports/pdf.py). All of them stream the rows from one query."""

import csv
import io
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from flask_babel import force_locale
from flask_babel import gettext as _

from clinic.i18n import (
    BE_OFFSET,
    MODE_LABELS,
    STATUS_LABELS,
    bangkok_today,
    fiscal_year,
    format_date,
)
from clinic.reports.services import ExportRow, SessionFilters, export_rows, summarise

if TYPE_CHECKING:
    from clinic.accounts.models import User

BOM = "\ufeff"
EXCEL_EPOCH = date(1899, 12, 30)
CHUNK_CHARS = 64 * 1024
FORMULA_STARTS = frozenset("=+-@\t\r")


@dataclass(frozen=True)
class Vocabulary:
    """The words of the file, resolved while the request (and so its language) is still there,
    since the rows are written after the route has returned."""

    header: list[str]
    status: dict[str, str]
    mode: dict[str, str]
    language: str


def vocabulary(language: str) -> Vocabulary:
    return Vocabulary(
        header=[
            _("เลขที่อ้างอิง"),
            _("วันที่"),
            _("เวลาเริ่ม"),
            _("เวลาสิ้นสุด"),
            _("ปีงบประมาณ"),
            _("ที่ปรึกษา"),
            _("กระทรวง"),
            _("ส่วนราชการ"),
            _("หัวข้อ"),
            _("รูปแบบ"),
            _("สถานะ"),
            _("จำนวนผู้เข้าร่วม"),
            _("สรุปคำแนะนำ"),
            _("ขั้นตอนต่อไปที่ยังไม่เสร็จ"),
            _("ขั้นตอนต่อไปที่เสร็จแล้ว"),
        ],
        status={key: str(label) for key, label in STATUS_LABELS.items()},
        mode={key: str(label) for key, label in MODE_LABELS.items()},
        language=language,
    )


def export_filename(now: datetime, extension: str = "csv") -> str:
    """ASCII, dated by the Bangkok day in the BE year: opdc-sessions-2569-11-25.csv."""
    today = bangkok_today(now)
    return f"opdc-sessions-{today.year + BE_OFFSET}-{today.month:02d}-{today.day:02d}.{extension}"


def text_cell(value: str) -> str:
    """Keep Excel from reading typed text as a formula (CSV injection)."""
    return "'" + value if value[:1] in FORMULA_STARTS else value


class _Cells:
    """Remembers what repeats from row to row (a day's text, fiscal year and Excel serial, the safe form of a
    name), so that 100,000 rows stay cheap."""

    def __init__(self, words: Vocabulary) -> None:
        self.words = words
        self.days: dict[str, tuple[str, int, int]] = {}
        self.texts: dict[str, str] = {}

    def day(self, moment: str) -> tuple[str, int, int]:
        """Of a Bangkok 'YYYY-MM-DD HH:MM': the date as the reader reads it, its fiscal year, its Excel serial."""
        iso = moment[:10]
        known = self.days.get(iso)
        if known is None:
            day = date.fromisoformat(iso)
            known = self.days[iso] = (format_date(day, language=self.words.language), fiscal_year(day),
                                      (day - EXCEL_EPOCH).days)
        return known

    def text(self, value: str) -> str:
        safe = self.texts.get(value)
        if safe is None:
            safe = self.texts[value] = text_cell(value)
        return safe

    def csv(self, row: ExportRow) -> tuple[str | int, ...]:
        day_text, year, _serial = self.day(row.starts)
        text, words = self.text, self.words
        return (
            row.reference,
            day_text,
            row.starts[11:],
            row.ends[11:],
            year,
            text(row.advisor),
            text(row.ministry),
            text(row.department),
            text(row.topic),
            words.mode.get(row.mode, row.mode),
            words.status.get(row.status, row.status),
            row.attendees,
            text_cell(summarise(row.guidance)) if row.guidance else "",
            row.open_items,
            row.done_items,
        )


def sessions_csv(rows: Iterable[ExportRow], words: Vocabulary) -> Iterator[str]:
    """The file in chunks of about CHUNK_CHARS characters: the BOM and header first, then the rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # excel dialect: CRLF line endings, quotes where needed
    buffer.write(BOM)
    writer.writerow(words.header)
    yield _drain(buffer)
    cells = _Cells(words).csv
    writerow, tell = writer.writerow, buffer.tell
    for row in rows:
        writerow(cells(row))
        if tell() >= CHUNK_CHARS:
            yield _drain(buffer)
    rest = _drain(buffer)
    if rest:
        yield rest


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


# --- XLSX -------------------------------------------------------------------------------------------

# A real date cell shown in the Buddhist Era: `[$-41E]` (Thai, by its locale id) gives Thai month names and `bbbb`
# the BE year, so Excel shows "25 พ.ย. 2569" while the cell keeps its date value: it sorts, filters and computes as a date. The text
# column beside it carries the same words for readers that do not know `bbbb` (older LibreOffice, Google Sheets).
BE_DATE_FORMAT = "[$-41E]d mmm bbbb"
EN_DATE_FORMAT = "d mmm yyyy"
TIME_FORMAT = "hh:mm"
MAX_WIDTH = 60
SUMMARY_WIDTH = 80
MIME_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def display_width(value: str) -> int:
    """Columns a text takes on screen: Thai vowels above and below and tone marks take none."""
    return sum(1 for ch in value if not unicodedata.combining(ch) and unicodedata.category(ch) != "Mn")


def xlsx_header(words: Vocabulary) -> list[str]:
    """The CSV's columns, with the date's text beside the date cell."""
    header = list(words.header)
    header.insert(2, _("วันที่ (ข้อความ)"))
    return header


def write_sessions_xlsx(rows: Iterable[ExportRow], words: Vocabulary, target: Any, now: datetime) -> int:
    """Write the report to `target` (a path or a binary file) with XlsxWriter in constant-memory mode: each row
    goes to a temporary file as it is written, so 100,000 rows never sit in memory. Dates are date cells, times
    time cells, the fiscal year and counts numbers; the header is frozen, filtered and the columns fitted.
    Returns the number of sessions written."""
    import xlsxwriter  # type: ignore[import-untyped]  # imported here: only an XLSX export pays for loading it

    workbook = xlsxwriter.Workbook(target, {
        "constant_memory": True,
        # every cell is written as what it is: no text ever becomes a formula, a link or a number
        "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
    })
    workbook.set_properties({"title": header_title(words), "author": "OPDC", "created": now.replace(tzinfo=None)})
    sheet = workbook.add_worksheet(_("รายงานการให้คำปรึกษา")[:31])
    bold = workbook.add_format({"bold": True, "bg_color": "#E8EEF7", "bottom": 1, "text_wrap": True,
                                "valign": "top"})
    day_format = workbook.add_format({"num_format": BE_DATE_FORMAT if words.language == "th" else EN_DATE_FORMAT,
                                      "align": "left"})
    time_format = workbook.add_format({"num_format": TIME_FORMAT, "align": "left"})
    header = xlsx_header(words)
    widths = [min(MAX_WIDTH, display_width(h)) + 2 for h in header]
    for column, title in enumerate(header):
        sheet.write_string(0, column, title, bold)
    texts: dict[str, tuple[str, int]] = {}

    def text(column: int, value: str) -> str:
        known = texts.get(value)
        if known is None:
            known = texts[value] = (value, display_width(value) + 2)
        if known[1] > widths[column]:
            widths[column] = min(MAX_WIDTH, known[1])
        return value

    write_string, write_number = sheet.write_string, sheet.write_number
    cells = _Cells(words)
    mode, status = words.mode, words.status
    number = 0
    for number, row in enumerate(rows, start=1):  # noqa: B007  (the count is read after the loop)
        day_text, year, serial = cells.day(row.starts)
        write_string(number, 0, row.reference)
        write_number(number, 1, serial, day_format)
        write_string(number, 2, day_text)
        write_number(number, 3, minutes(row.starts) / 1440, time_format)
        write_number(number, 4, minutes(row.ends) / 1440, time_format)
        write_number(number, 5, year)
        write_string(number, 6, text(6, row.advisor))
        write_string(number, 7, text(7, row.ministry))
        write_string(number, 8, text(8, row.department))
        write_string(number, 9, text(9, row.topic))
        write_string(number, 10, text(10, mode.get(row.mode, row.mode)))
        write_string(number, 11, text(11, status.get(row.status, row.status)))
        write_number(number, 12, row.attendees)
        if row.guidance:
            write_string(number, 13, summarise(row.guidance))
        write_number(number, 14, row.open_items)
        write_number(number, 15, row.done_items)
    widths[0] = max(widths[0], 14)
    widths[1] = widths[2] = max(widths[2], 13)
    widths[13] = SUMMARY_WIDTH
    for column, width in enumerate(widths):
        sheet.set_column(column, column, width)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(number, 1), len(header) - 1)
    workbook.close()
    return number


def minutes(moment: str) -> int:
    """Minutes since midnight of 'YYYY-MM-DD HH:MM'."""
    return int(moment[11:13]) * 60 + int(moment[14:16])


def header_title(words: Vocabulary) -> str:
    return _("รายงานการให้คำปรึกษา สำนักงาน ก.พ.ร.")


def write_sessions(file_format: str, rows: Iterable[ExportRow], words: Vocabulary, target: BinaryIO, now: datetime,
                   actor: "User | None", filters: SessionFilters) -> None:
    """Write the rows as XLSX or PDF into the binary file `target` (the request's language is in force)."""
    if file_format == "xlsx":
        write_sessions_xlsx(rows, words, target, now)
    elif file_format == "pdf":
        from clinic.reports.pdf import write_sessions_pdf

        write_sessions_pdf(rows, words, target, now, actor, filters)
    else:
        raise ValueError(file_format)


def write_sessions_file(actor: "User | None", filters: SessionFilters, file_format: str, target: Path,
                        now: datetime, language: str) -> int:
    """Every session the filters give, written to `target` as `file_format` (csv, xlsx or pdf), in `language`;
    the number of bytes written. For `flask export sessions` and the benchmark; the routes stream instead."""
    with force_locale(language):
        words = vocabulary(language)
        rows = export_rows(actor, filters, language=language)
        if file_format == "csv":
            with open(target, "w", encoding="utf-8", newline="") as out:
                for chunk in sessions_csv(rows, words):
                    out.write(chunk)
        else:
            with open(target, "wb") as binary:
                write_sessions(file_format, rows, words, binary, now, actor, filters)
    return target.stat().st_size
