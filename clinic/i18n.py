"""Language, time zone and Thai date formatting.

Babel prints Gregorian years for Thai, so Thai dates are formatted here with the Buddhist-Era year
(27 มี.ค. 2566). Times are stored in UTC and shown in Asia/Bangkok.
"""

from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from flask import current_app, has_request_context, request, session
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, func

BANGKOK = ZoneInfo("Asia/Bangkok")
BE_OFFSET = 543

THAI_MONTHS_SHORT = (
    "ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.",
)
THAI_MONTHS_LONG = (
    "มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน",
    "กรกฎาคม", "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม",
)
THAI_WEEKDAYS_SHORT = ("จ.", "อ.", "พ.", "พฤ.", "ศ.", "ส.", "อา.")
THAI_WEEKDAYS_LONG = ("จันทร์", "อังคาร", "พุธ", "พฤหัสบดี", "ศุกร์", "เสาร์", "อาทิตย์")
EN_MONTHS_SHORT = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if has_request_context():
        chosen = request.args.get("lang") or session.get("lang")
        if chosen in languages:
            return str(chosen)
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


def select_timezone() -> str:
    return "Asia/Bangkok"


def current_language() -> str:
    if not has_request_context():
        return "th"
    locale = get_locale()
    return locale.language if locale else "th"


class Named(Protocol):
    """A ministry, department or topic: a Thai name, and an English one that may be empty."""

    name_th: str
    name_en: str


def local_name(thing: Named | None, language: str | None = None) -> str:
    """The name in the reader's language: the English name on English pages when there is one,
    else the Thai name. The `local_name` filter in templates (`{{ booking.topic|local_name }}`)."""
    if thing is None:
        return ""
    language = language or current_language()
    if language == "en" and thing.name_en:
        return thing.name_en
    return thing.name_th


def local_name_column(entity: Any, language: str) -> ColumnElement[str]:
    """`local_name` in SQL, for set-based queries: `entity`'s name column in `language`, falling back to
    the Thai name where the English one is empty or missing."""
    if language == "en":
        return func.coalesce(func.nullif(entity.name_en, ""), entity.name_th)
    return entity.name_th


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def to_bangkok(moment: datetime) -> datetime:
    return as_utc(moment).astimezone(BANGKOK)


def bangkok_to_utc(day: date, hour: int, minute: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BANGKOK).astimezone(UTC)


def bangkok_today(now: datetime) -> date:
    return to_bangkok(now).date()


def format_date(value: date | datetime | None, style: str = "short", language: str | None = None) -> str:
    """'27 มี.ค. 2566' (short), 'วันจันทร์ที่ 27 มีนาคม 2566' (long) or 'มีนาคม 2566' (month); English: '27 Mar 2023'."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_bangkok(value).date()
    language = language or current_language()
    if style == "month":  # 'ธันวาคม 2569', 'Dec 2026': a month's heading
        if language != "th":
            return f"{EN_MONTHS_SHORT[value.month - 1]} {value.year}"
        return f"{THAI_MONTHS_LONG[value.month - 1]} {value.year + BE_OFFSET}"
    if language != "th":
        return f"{value.day} {EN_MONTHS_SHORT[value.month - 1]} {value.year}"
    year = value.year + BE_OFFSET
    if style == "long":
        weekday = THAI_WEEKDAYS_LONG[value.weekday()]
        return f"วัน{weekday}ที่ {value.day} {THAI_MONTHS_LONG[value.month - 1]} {year}"
    if style == "weekday":
        return f"{THAI_WEEKDAYS_SHORT[value.weekday()]} {value.day} {THAI_MONTHS_SHORT[value.month - 1]} {year}"
    return f"{value.day} {THAI_MONTHS_SHORT[value.month - 1]} {year}"


def format_time(value: datetime | None, language: str | None = None) -> str:
    if value is None:
        return ""
    local = to_bangkok(value)
    language = language or current_language()
    return f"{local:%H:%M} น." if language == "th" else f"{local:%H:%M}"


def format_datetime(value: datetime | None, language: str | None = None) -> str:
    """'13 เม.ย. 2569 14:30 น.'"""
    if value is None:
        return ""
    return f"{format_date(value, language=language)} {format_time(value, language=language)}"


def fiscal_year(day: date) -> int:
    """The Thai fiscal year (1 October to 30 September), named by the BE year in which it ends."""
    return day.year + BE_OFFSET + (1 if day.month >= 10 else 0)


def fiscal_year_bounds(be_year: int) -> tuple[date, date]:
    """First and last day of fiscal year `be_year` (BE)."""
    end_year = be_year - BE_OFFSET
    return date(end_year - 1, 10, 1), date(end_year, 9, 30)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


STATUS_LABELS = {
    "pending": _l("รอยืนยัน"),
    "confirmed": _l("ยืนยันแล้ว"),
    "declined": _l("ปฏิเสธ"),
    "cancelled": _l("ยกเลิกแล้ว"),
    "expired": _l("หมดอายุ (ไม่ได้รับการยืนยันก่อนเวลาเริ่ม)"),
    "open": _l("ยังไม่เริ่ม"),
    "in_progress": _l("กำลังดำเนินการ"),
    "done": _l("เสร็จแล้ว"),
}
MODE_LABELS = {"onsite": _l("ประชุม ณ สถานที่"), "online": _l("ออนไลน์")}
OWNER_LABELS = {"department": _l("ส่วนราชการ"), "opdc": _l("สำนักงาน ก.พ.ร.")}
ROLE_LABELS = {
    "officer": _l("เจ้าหน้าที่ส่วนราชการ"),
    "coordinator": _l("ผู้ประสานงานระดับกระทรวง"),
    "advisor": _l("ที่ปรึกษา ก.พ.ร."),
    "admin": _l("ผู้ดูแลระบบ"),
}


def labels(kind: str, key: str) -> str:
    table = {"status": STATUS_LABELS, "mode": MODE_LABELS, "owner": OWNER_LABELS, "role": ROLE_LABELS}[kind]
    return str(table.get(key, key))
