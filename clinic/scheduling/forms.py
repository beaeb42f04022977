from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField, RadioField, SelectChoice, StringField, TimeField
from wtforms.validators import URL, InputRequired, Length, NumberRange, Optional

from clinic.forms import Form
from clinic.scheduling.models import MAX_CAPACITY, SlotMode
from clinic.scheduling.services import MAX_REPEAT_WEEKS, SlotPlan


class SlotForm(Form):
    """One slot, or the same hours repeated weekly; `plan()` is what `create_slots` takes."""

    first_day = DateField(_l("วันที่"), validators=[InputRequired(_l("ระบุวันที่ให้ถูกต้อง"))])
    start = TimeField(_l("เวลาเริ่ม"), validators=[InputRequired(_l("ระบุเวลาเริ่มให้ถูกต้อง"))])
    end = TimeField(_l("เวลาสิ้นสุด"), validators=[InputRequired(_l("ระบุเวลาสิ้นสุดให้ถูกต้อง"))])
    mode = RadioField(
        _l("รูปแบบ"),
        choices=[SelectChoice(SlotMode.ONSITE, _l("ประชุม ณ สถานที่")), SelectChoice(SlotMode.ONLINE, _l("ออนไลน์"))],
        default=SlotMode.ONSITE,
        validators=[InputRequired(_l("เลือกรูปแบบ"))],
    )
    location = StringField(_l("ห้องประชุม"), validators=[Optional(), Length(max=300, message=_l("ยาวเกิน 300 ตัวอักษร"))])
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
