from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import FieldList, FormField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from clinic.bookings.services import MAX_ATTENDEES, MAX_DETAILS, MAX_REASON
from clinic.forms import Form


class AttendeeForm(Form):
    class Meta:
        csrf = False

    name = StringField(_l("ชื่อ-นามสกุล"), validators=[Optional(), Length(max=200, message=_l("ยาวเกิน 200 ตัวอักษร"))])
    position = StringField(_l("ตำแหน่ง"), validators=[Optional(), Length(max=200, message=_l("ยาวเกิน 200 ตัวอักษร"))])


class BookingForm(Form):
    department = SelectField(_l("ส่วนราชการ"), coerce=int, validate_choice=False)
    request_details = TextAreaField(
        _l("เรื่องที่ต้องการรับคำปรึกษา"),
        validators=[
            DataRequired(_l("ระบุเรื่องที่ต้องการรับคำปรึกษา")),
            Length(max=MAX_DETAILS, message=_l("ยาวเกิน %(max)d ตัวอักษร")),
        ],
    )
    attendees = FieldList(FormField(AttendeeForm), min_entries=5, max_entries=MAX_ATTENDEES)
    document = FileField(_l("เอกสารประกอบ (PDF, DOCX หรือ XLSX ไม่เกิน 10 MB)"))


class ReasonForm(Form):
    reason = TextAreaField(
        _l("เหตุผล"),
        validators=[DataRequired(_l("ระบุเหตุผล")), Length(max=MAX_REASON, message=_l("ยาวเกิน %(max)d ตัวอักษร"))],
    )
