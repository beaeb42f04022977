"""The sessions report as CSV that Excel opens with Thai intact: UTF-8 with a byte-order mark,
a header row in the user's language, CRLF line endings, written a chunk at a time."""

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _

from clinic.i18n import (
    BANGKOK,
    BE_OFFSET,
    MODE_LABELS,
    STATUS_LABELS,
    bangkok_today,
    fiscal_year,
    format_date,
)
from clinic.reports.services import SessionRow

BOM = "\ufeff"
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


def export_filename(now: datetime) -> str:
    """ASCII, dated by the Bangkok day in the BE year: opdc-sessions-2569-11-25.csv."""
    today = bangkok_today(now)
    return f"opdc-sessions-{today.year + BE_OFFSET}-{today.month:02d}-{today.day:02d}.csv"


def text_cell(value: str) -> str:
    """Keep Excel from reading typed text as a formula (CSV injection)."""
    return "'" + value if value[:1] in FORMULA_STARTS else value


class _Cells:
    """Turns rows into lines of cells, remembering what repeats from row to row (the date and
    fiscal year of a day, the safe form of a name), so that 100,000 rows stay cheap."""

    def __init__(self, words: Vocabulary) -> None:
        self.words = words
        self.days: dict[date, tuple[str, int]] = {}
        self.texts: dict[str, str] = {}

    def day(self, day: date) -> tuple[str, int]:
        known = self.days.get(day)
        if known is None:
            known = self.days[day] = (format_date(day, language=self.words.language), fiscal_year(day))
        return known

    def text(self, value: str) -> str:
        safe = self.texts.get(value)
        if safe is None:
            safe = self.texts[value] = text_cell(value)
        return safe

    def __call__(self, row: SessionRow) -> list[str | int]:
        start, end = row.starts_at.astimezone(BANGKOK), row.ends_at.astimezone(BANGKOK)
        day_text, year = self.day(start.date())
        text, words = self.text, self.words
        return [
            row.reference,
            day_text,
            f"{start.hour:02d}:{start.minute:02d}",
            f"{end.hour:02d}:{end.minute:02d}",
            year,
            text(row.advisor),
            text(row.ministry),
            text(row.department),
            text(row.topic),
            words.mode.get(row.mode, row.mode),
            words.status.get(row.status, row.status),
            row.attendees,
            text_cell(row.guidance_summary),
            row.open_items,
            row.done_items,
        ]


def sessions_csv(rows: Iterable[SessionRow], words: Vocabulary) -> Iterator[str]:
    """The file in chunks of about CHUNK_CHARS characters: the BOM and header first, then the rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # excel dialect: CRLF line endings, quotes where needed
    buffer.write(BOM)
    writer.writerow(words.header)
    yield _drain(buffer)
    cells = _Cells(words)
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
