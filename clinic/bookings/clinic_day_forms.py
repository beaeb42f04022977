"""The administrator's form for a clinic day held at a ministry, and the reason to cancel one."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import InputRequired, Length, Optional

from clinic.accounts.models import User
from clinic.bookings.clinic_days import MAX_NOTE, MAX_REASON, MAX_TEXT, ClinicDayInput
from clinic.forms import CheckboxesField, Form
from clinic.i18n import local_name
from clinic.organisations.models import Ministry, Topic
from clinic.scheduling.models import ClinicDay, ClinicDayAccess


class ClinicDayForm(Form):
    """Offer it the ministries, advisors and topics to choose from; once it validates, `clinic_day()` is what
    `create_clinic_day` and `update_clinic_day` take."""

    ministry = SelectField(_l("กระทรวงที่เป็นเจ้าภาพ"), coerce=int, validate_choice=False,
                           validators=[InputRequired(_l("เลือกกระทรวงที่เป็นเจ้าภาพ"))])
    day = DateField(_l("วันที่"), validators=[InputRequired(_l("ระบุวันที่ให้ถูกต้อง"))])
    venue = StringField(_l("สถานที่"), validators=[Length(max=MAX_TEXT, message=_l("ยาวเกิน %(max)d ตัวอักษร"))])
    room = StringField(_l("ห้องประชุม"), validators=[Length(max=MAX_TEXT, message=_l("ยาวเกิน %(max)d ตัวอักษร"))])
    starts = TimeField(_l("เวลาเริ่ม"), validators=[InputRequired(_l("ระบุเวลาเริ่มให้ถูกต้อง"))])
    ends = TimeField(_l("เวลาสิ้นสุด"), validators=[InputRequired(_l("ระบุเวลาสิ้นสุดให้ถูกต้อง"))])
    session_minutes = IntegerField(_l("เวลาให้คำปรึกษาครั้งละ (นาที)"), default=60,
                                   validators=[InputRequired(_l("ระบุจำนวนนาที"))])
    capacity = IntegerField(_l("จำนวนส่วนราชการที่รับได้ต่อครั้ง"), default=1,
                            validators=[InputRequired(_l("ระบุจำนวน"))])
    access = RadioField(
        _l("ผู้ที่จองได้"),
        choices=[
            SelectChoice(ClinicDayAccess.HOST_MINISTRY, _l("เฉพาะส่วนราชการในสังกัดกระทรวงเจ้าภาพ")),
            SelectChoice(ClinicDayAccess.ALL, _l("ทุกส่วนราชการ")),
        ],
        default=ClinicDayAccess.HOST_MINISTRY,
        validators=[InputRequired(_l("เลือกว่าใครจองได้"))],
    )
    advisors = CheckboxesField(_l("ที่ปรึกษา"), coerce=int, validate_choice=False)
    topics = CheckboxesField(_l("หัวข้อ"), coerce=int, validate_choice=False)
    note = TextAreaField(_l("หมายเหตุ (เช่น การเดินทาง ที่จอดรถ)"),
                         validators=[Optional(), Length(max=MAX_NOTE, message=_l("ยาวเกิน %(max)d ตัวอักษร"))])

    def offer(self, ministries: list[Ministry], advisors: list[User], topics: list[Topic]) -> None:
        self.ministry.choices = [SelectChoice(m.id, local_name(m)) for m in ministries]
        self.advisors.choices = [SelectChoice(a.id, a.name) for a in advisors]
        self.topics.choices = [SelectChoice(t.id, local_name(t)) for t in topics]

    @classmethod
    def for_clinic_day(cls, clinic_day: ClinicDay) -> "ClinicDayForm":
        return cls(data={
            "ministry": clinic_day.ministry_id, "day": clinic_day.day, "venue": clinic_day.venue,
            "room": clinic_day.room, "starts": clinic_day.starts, "ends": clinic_day.ends,
            "session_minutes": clinic_day.session_minutes, "capacity": clinic_day.capacity,
            "access": clinic_day.access, "advisors": [a.id for a in clinic_day.advisors],
            "topics": [t.id for t in clinic_day.topics], "note": clinic_day.note,
        })

    def clinic_day(self) -> ClinicDayInput:
        """The clinic day as typed (call after `validate_on_submit()` succeeded)."""
        return ClinicDayInput(
            ministry_id=self.ministry.data,
            day=self.day.data,
            venue=self.venue.data or "",
            room=self.room.data or "",
            starts=self.starts.data,
            ends=self.ends.data,
            session_minutes=self.session_minutes.data,
            capacity=self.capacity.data,
            access=self.access.data or "",
            advisor_ids=list(self.advisors.data or []),
            topic_ids=list(self.topics.data or []),
            note=self.note.data or "",
        )


class CancelClinicDayForm(Form):
    reason = TextAreaField(
        _l("เหตุผลที่ยกเลิก (แจ้งส่วนราชการที่จองไว้)"),
        validators=[Optional(), Length(max=MAX_REASON, message=_l("ยาวเกิน %(max)d ตัวอักษร"))],
    )
