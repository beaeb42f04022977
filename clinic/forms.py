"""The base form: WTForms ships no Thai catalogue, so its built-in messages are translated here."""

import re
from datetime import date, time
from typing import Any

from flask_babel import gettext
from flask_wtf import FlaskForm
from wtforms import DateField, SelectMultipleField, TimeField
from wtforms.widgets import CheckboxInput, ListWidget, TextInput

from clinic.i18n import current_language

WTFORMS_THAI = {
    "Not a valid date value.": "ระบุวันที่ให้ถูกต้อง",
    "Not a valid time value.": "ระบุเวลาให้ถูกต้อง",
    "Not a valid datetime value.": "ระบุวันเวลาให้ถูกต้อง",
    "Not a valid integer value.": "ระบุเป็นตัวเลข",
    "Not a valid decimal value.": "ระบุเป็นตัวเลข",
    "Not a valid float value.": "ระบุเป็นตัวเลข",
    "Not a valid choice.": "ตัวเลือกไม่ถูกต้อง",
    "Invalid Choice: could not coerce.": "ตัวเลือกไม่ถูกต้อง",
    "Choices cannot be None.": "ตัวเลือกไม่ถูกต้อง",
    "This field is required.": "กรอกข้อมูลช่องนี้",
    "Invalid input.": "ข้อมูลไม่ถูกต้อง",
    "Invalid email address.": "อีเมลไม่ถูกต้อง",
    "Invalid URL.": "ลิงก์ไม่ถูกต้อง",
    "Invalid choice(s): one or more data inputs could not be coerced.": "ตัวเลือกไม่ถูกต้อง",
    "'%(value)s' is not a valid choice for this field.": "ตัวเลือกไม่ถูกต้อง",
    "'%(value)s' are not valid choices for this field.": "ตัวเลือกไม่ถูกต้อง",
    "Number must be between %(min)s and %(max)s.": "ตัวเลขต้องอยู่ระหว่าง %(min)s ถึง %(max)s",
    "Field must be between %(min)d and %(max)d characters long.": "ต้องยาว %(min)d ถึง %(max)d ตัวอักษร",
    "Field cannot be longer than %(max)d character.": "ยาวได้ไม่เกิน %(max)d ตัวอักษร",
    "Field cannot be longer than %(max)d characters.": "ยาวได้ไม่เกิน %(max)d ตัวอักษร",
    "The CSRF session token is missing.": "แบบฟอร์มหมดอายุ กรุณาโหลดหน้าใหม่",
    "The CSRF token is missing.": "แบบฟอร์มหมดอายุ กรุณาโหลดหน้าใหม่",
    "The CSRF token is invalid.": "แบบฟอร์มหมดอายุ กรุณาโหลดหน้าใหม่",
    "The CSRF token has expired.": "แบบฟอร์มหมดอายุ กรุณาโหลดหน้าใหม่",
    "The CSRF tokens do not match.": "แบบฟอร์มหมดอายุ กรุณาโหลดหน้าใหม่",
}


class WTFormsTranslations:
    def gettext(self, string: str) -> str:
        return WTFORMS_THAI.get(string, string) if current_language() == "th" else string

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.gettext(singular if n == 1 else plural)


TRANSLATIONS = WTFormsTranslations()


class Form(FlaskForm):
    class Meta:
        def get_translations(self, form):
            return TRANSLATIONS


class CheckboxesField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


# Dates as Thai users write them: day/month/year, the year in the Buddhist Era in Thai (Gregorian in English). The
# server reads either era where it is unambiguous: a year of 2400 or more is BE (2569 -> 2026), a smaller one is
# Gregorian; ISO dates (2026-12-02) are read too. Two-digit years are refused rather than guessed.
BE_OFFSET = 543
BAD_DATE_VALUE, BAD_TIME_VALUE = "Not a valid date value.", "Not a valid time value."  # WTForms' own, in WTFORMS_THAI
FIRST_BE_YEAR = 2400
THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
_DMY = re.compile(r"^\s*(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})\s*$")
_ISO = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")
_TIME = re.compile(r"^\s*(\d{1,2})\s*[:.]?\s*(\d{2})\s*(?:น\.?)?\s*$")


def parse_date(text: str) -> date | None:
    """A date typed as d/m/yyyy (BE or Gregorian year), d-m-yyyy, d.m.yyyy or ISO yyyy-mm-dd; Thai digits too."""
    text = (text or "").translate(THAI_DIGITS)
    if match := _DMY.match(text):
        day, month, year = (int(g) for g in match.groups())
    elif match := _ISO.match(text):
        year, month, day = (int(g) for g in match.groups())
    else:
        return None
    if year >= FIRST_BE_YEAR:
        year -= BE_OFFSET
    try:
        return date(year, month, day)
    except ValueError:
        return None


def show_date(value: date, language: str) -> str:
    """'2/12/2569' in Thai, '2/12/2026' in English."""
    year = value.year + BE_OFFSET if language == "th" else value.year
    return f"{value.day}/{value.month}/{year}"


def parse_time(text: str) -> time | None:
    """A 24-hour time: 9:00, 09:00, 9.00, 0900, '09:00 น.'; Thai digits too."""
    match = _TIME.match((text or "").translate(THAI_DIGITS))
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    return time(hour, minute) if hour < 24 and minute < 60 else None


class ThaiDateField(DateField):
    """A date field shown and read as Thai users write dates (see parse_date); a text input with a hint, never the
    browser's date picker (Chromium shows it as mm/dd/yyyy with Gregorian years)."""

    widget = TextInput()
    data: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        render_kw = {"inputmode": "numeric", "autocomplete": "off", "data_date": "", **(kwargs.pop("render_kw", None) or {})}
        super().__init__(*args, render_kw=render_kw, **kwargs)

    def _value(self) -> str:
        if self.raw_data:
            return " ".join(self.raw_data)
        return show_date(self.data, current_language()) if isinstance(self.data, date) else ""

    @property
    def hint(self) -> str:
        return gettext("วัน/เดือน/ปี พ.ศ. เช่น 2/12/2569")  # English: day/month/year, e.g. 2/12/2026

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        self.data = parse_date(str(valuelist[0]))
        if self.data is None:
            raise ValueError(self.invalid_value_message or self.gettext(BAD_DATE_VALUE))


class ThaiTimeField(TimeField):
    """A 24-hour time field (HH:MM) as a text input: no AM/PM whatever the browser's locale."""

    widget = TextInput()
    data: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        render_kw = {"inputmode": "numeric", "autocomplete": "off", "placeholder": "09:00",
                     **(kwargs.pop("render_kw", None) or {})}
        super().__init__(*args, format="%H:%M", render_kw=render_kw, **kwargs)

    def _value(self) -> str:
        if self.raw_data:
            return " ".join(self.raw_data)
        return self.data.strftime("%H:%M") if isinstance(self.data, time) else ""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        self.data = parse_time(str(valuelist[0]))
        if self.data is None:
            raise ValueError(self.gettext(BAD_TIME_VALUE))
