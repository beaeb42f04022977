import re
from datetime import date, time

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, RadioField, SelectChoice, StringField
from wtforms.validators import URL, InputRequired, Length, NumberRange, Optional, StopValidation

from clinic.forms import Form, ThaiDateField, ThaiTimeField
from clinic.scheduling.generation import Hours
from clinic.scheduling.models import MAX_CAPACITY, Availability, DateOverrideKind, SlotMode
from clinic.scheduling.services import (
    MAX_REPEAT_WEEKS,
    WEEKDAY_FIELDS,
    AvailabilityInput,
    DateOverrideInput,
    LeaveInput,
    SlotPlan,
)


def mode_field() -> RadioField:
    """A meeting in person or online: the same choice for one-off slots and for weekly availability."""
    return RadioField(
        _l("รูปแบบ"),
        choices=[SelectChoice(SlotMode.ONSITE, _l("ประชุม ณ สถานที่")), SelectChoice(SlotMode.ONLINE, _l("ออนไลน์"))],
        default=SlotMode.ONSITE,
        validators=[InputRequired(_l("เลือกรูปแบบ"))],
    )


def location_field() -> StringField:
    return StringField(_l("ห้องประชุม"), validators=[Optional(), Length(max=300, message=_l("ยาวเกิน 300 ตัวอักษร"))])


class SlotForm(Form):
    """One slot, or the same hours repeated weekly; `plan()` is what `create_slots` takes."""

    first_day = ThaiDateField(_l("วันที่"), validators=[InputRequired(_l("ระบุวันที่ให้ถูกต้อง"))])
    start = ThaiTimeField(_l("เวลาเริ่ม"), validators=[InputRequired(_l("ระบุเวลาเริ่มให้ถูกต้อง"))])
    end = ThaiTimeField(_l("เวลาสิ้นสุด"), validators=[InputRequired(_l("ระบุเวลาสิ้นสุดให้ถูกต้อง"))])
    mode = mode_field()
    location = location_field()
    meeting_url = StringField(
        _l("ลิงก์การประชุมออนไลน์"),
        validators=[Optional(), Length(max=500, message=_l("ยาวเกิน 500 ตัวอักษร")), URL(message=_l("ลิงก์ไม่ถูกต้อง"))],
    )
    capacity = IntegerField(
        _l("จำนวนส่วนราชการที่รับได้"),
        default=1,
        validators=[InputRequired(_l("ระบุจำนวน")), NumberRange(1, MAX_CAPACITY, _l("ระหว่าง %(min)s ถึง %(max)s"))],
    )
    weeks = IntegerField(
        _l("ทำซ้ำทุกสัปดาห์ (จำนวนสัปดาห์)"),
        default=1,
        validators=[InputRequired(_l("ระบุจำนวนสัปดาห์")), NumberRange(1, MAX_REPEAT_WEEKS, _l("ระหว่าง %(min)s ถึง %(max)s"))],
    )

    def plan(self) -> SlotPlan:
        """The plan as typed (call after `validate_on_submit()` succeeded)."""
        return SlotPlan(
            first_day=self.first_day.data,
            start=self.start.data,
            end=self.end.data,
            mode=self.mode.data,
            location=self.location.data or "",
            meeting_url=self.meeting_url.data or "",
            capacity=self.capacity.data,
            weeks=self.weeks.data,
        )


HOURS_PATTERN = re.compile(r"^(\d{1,2})[:.](\d{2})\s*(?:-|–|—|ถึง)\s*(\d{1,2})[:.](\d{2})$")
HOURS_SEPARATORS = re.compile(r"[,;\n]+")


def parse_hours(text: str) -> list[Hours]:
    """'09:00-12:00, 13:00-16:30' → two ranges (24-hour times; '.' for ':' and '–' for '-' are accepted).
    Raises ValueError with a message for the field; the order of start and end is the service's to check."""
    ranges = []
    for piece in HOURS_SEPARATORS.split(text):
        piece = piece.strip()
        if not piece:
            continue
        match = HOURS_PATTERN.match(piece)
        if match is None:
            raise ValueError(_("เขียนช่วงเวลาแบบ 09:00-12:00 คั่นหลายช่วงด้วยจุลภาค (ไม่เข้าใจ \"%(text)s\")", text=piece[:40]))
        start_h, start_m, end_h, end_m = (int(g) for g in match.groups())
        if start_h > 23 or end_h > 23 or start_m > 59 or end_m > 59:
            raise ValueError(_("เวลาใน \"%(text)s\" ไม่มีจริง ใช้เวลาแบบ 24 ชั่วโมง 00:00 ถึง 23:59", text=piece[:40]))
        ranges.append(Hours(time(start_h, start_m), time(end_h, end_m)))
    return ranges


class HoursList:
    """Validator: the field holds ranges of hours; the parsed ranges go to `field.hours`."""

    def __call__(self, form: Form, field: StringField) -> None:
        try:
            field.hours = parse_hours(field.data or "")
        except ValueError as error:
            field.hours = []
            raise StopValidation(str(error)) from None


def hours_text(ranges: list[Hours]) -> str:
    return ", ".join(str(h) for h in ranges)


WEEKDAY_LABELS = (
    _l("วันจันทร์"), _l("วันอังคาร"), _l("วันพุธ"), _l("วันพฤหัสบดี"), _l("วันศุกร์"), _l("วันเสาร์"), _l("วันอาทิตย์"),
)


def hours_field(weekday: int) -> StringField:
    return StringField(
        WEEKDAY_LABELS[weekday], validators=[Length(max=200, message=_l("ยาวเกิน 200 ตัวอักษร")), HoursList()]
    )


class AvailabilityForm(Form):
    """Weekly hours and how sessions are held; `availability()` is what `save_availability` takes."""

    mon = hours_field(0)
    tue = hours_field(1)
    wed = hours_field(2)
    thu = hours_field(3)
    fri = hours_field(4)
    sat = hours_field(5)
    sun = hours_field(6)
    session_minutes = IntegerField(
        _l("เวลาให้คำปรึกษาครั้งละ (นาที)"), default=60, validators=[InputRequired(_l("ระบุจำนวนนาที"))]
    )
    buffer_minutes = IntegerField(
        _l("เวลาพักระหว่างครั้ง (นาที)"), default=15, validators=[InputRequired(_l("ระบุจำนวนนาที (0 ถ้าไม่พัก)"))]
    )
    mode = mode_field()
    location = location_field()
    meeting_url = StringField(
        _l("ลิงก์การประชุมออนไลน์"), validators=[Optional(), Length(max=500, message=_l("ยาวเกิน 500 ตัวอักษร"))]
    )
    capacity = IntegerField(
        _l("จำนวนส่วนราชการที่รับได้ต่อครั้ง"), default=1, validators=[InputRequired(_l("ระบุจำนวน"))]
    )
    valid_from = ThaiDateField(_l("ใช้ตั้งแต่วันที่"), validators=[InputRequired(_l("ระบุวันที่ให้ถูกต้อง"))])
    valid_until = ThaiDateField(_l("ถึงวันที่ (เว้นว่างได้)"), validators=[Optional()])

    def weekday_fields(self) -> list[StringField]:
        return [getattr(self, name) for name in WEEKDAY_FIELDS]

    @classmethod
    def for_availability(cls, availability: Availability | None, today: date) -> "AvailabilityForm":
        """The form filled in with the saved availability (or sensible defaults for a first one)."""
        if availability is None:
            return cls(data={"valid_from": today})
        weekly: dict[int, list[Hours]] = {}
        for row in availability.hours:
            weekly.setdefault(row.weekday, []).append(Hours(row.starts, row.ends))
        data: dict[str, object] = {name: hours_text(weekly.get(i, [])) for i, name in enumerate(WEEKDAY_FIELDS)}
        data.update(
            session_minutes=availability.session_minutes, buffer_minutes=availability.buffer_minutes,
            mode=availability.mode, location=availability.location, meeting_url=availability.meeting_url,
            capacity=availability.capacity, valid_from=availability.valid_from, valid_until=availability.valid_until,
        )
        return cls(data=data)

    def availability(self) -> AvailabilityInput:
        """The availability as typed (call after `validate_on_submit()` succeeded)."""
        return AvailabilityInput(
            weekly={i: list(f.hours) for i, f in enumerate(self.weekday_fields()) if f.hours},
            session_minutes=self.session_minutes.data,
            buffer_minutes=self.buffer_minutes.data,
            mode=self.mode.data,
            location=self.location.data or "",
            meeting_url=self.meeting_url.data or "",
            capacity=self.capacity.data,
            valid_from=self.valid_from.data,
            valid_until=self.valid_until.data,
        )


class DateOverrideForm(Form):
    """Extra hours on one date (one range, 24-hour, as in the weekly hours), or a day off."""

    day = ThaiDateField(_l("วันที่"), validators=[InputRequired(_l("ระบุวันที่ให้ถูกต้อง"))])
    kind = RadioField(
        _l("กำหนดเป็น"),
        choices=[
            SelectChoice(DateOverrideKind.EXTRA, _l("เวลาเพิ่มเติม")),
            SelectChoice(DateOverrideKind.DAY_OFF, _l("วันหยุด (ไม่รับนัด)")),
        ],
        default=DateOverrideKind.EXTRA,
        validators=[InputRequired(_l("เลือกว่าเป็นเวลาเพิ่มเติมหรือวันหยุด"))],
    )
    hours = StringField(
        _l("เวลาเพิ่มเติม (เช่น 13:00-16:00)"), validators=[Length(max=40, message=_l("ยาวเกิน 40 ตัวอักษร")), HoursList()]
    )
    note = StringField(_l("หมายเหตุ"), validators=[Optional(), Length(max=300, message=_l("ยาวเกิน 300 ตัวอักษร"))])

    def validate_hours(self, field: StringField) -> None:
        if len(field.hours) > 1:
            raise StopValidation(_("ระบุช่วงเวลาเดียว เพิ่มช่วงอื่นทีละรายการ"))

    def override(self) -> DateOverrideInput:
        ranges = self.hours.hours
        return DateOverrideInput(
            day=self.day.data, kind=self.kind.data, hours=ranges[0] if ranges else None, note=self.note.data or ""
        )


class LeaveForm(Form):
    first_day = ThaiDateField(_l("ลาตั้งแต่วันที่"), validators=[InputRequired(_l("ระบุวันที่ให้ถูกต้อง"))])
    last_day = ThaiDateField(_l("ถึงวันที่"), validators=[InputRequired(_l("ระบุวันที่ให้ถูกต้อง"))])
    reason = StringField(_l("หมายเหตุ"), validators=[Optional(), Length(max=300, message=_l("ยาวเกิน 300 ตัวอักษร"))])

    def leave(self) -> LeaveInput:
        return LeaveInput(first_day=self.first_day.data, last_day=self.last_day.data, reason=self.reason.data or "")
