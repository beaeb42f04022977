from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectChoice, SelectField, SelectMultipleField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from clinic.forms import Form
from clinic.records.services import MAX_ITEM, MAX_TEXT

TOO_LONG = _l("ยาวเกิน %(max)d ตัวอักษร")


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class RecordForm(Form):
    attended = CheckboxesField(_l("ผู้เข้าร่วมที่มาจริง"), coerce=int, validate_choice=False)
    attendance = TextAreaField(_l("การเข้าร่วม (หมายเหตุ)"), validators=[Optional(), Length(max=MAX_TEXT, message=TOO_LONG)])
    issues_raised = TextAreaField(_l("ประเด็นที่หารือ"), validators=[Optional(), Length(max=MAX_TEXT, message=TOO_LONG)])
    guidance = TextAreaField(_l("คำแนะนำของที่ปรึกษา"), validators=[Optional(), Length(max=MAX_TEXT, message=TOO_LONG)])
    internal_note = TextAreaField(_l("บันทึกภายใน (ส่วนราชการมองไม่เห็น)"), validators=[Optional(), Length(max=MAX_TEXT, message=TOO_LONG)])


class ActionItemForm(Form):
    """The next step typed into the record editor; it travels inside the record form, which carries the CSRF token."""

    class Meta:
        csrf = False

    description = TextAreaField(
        _l("สิ่งที่ต้องดำเนินการ"),
        validators=[DataRequired(_l("ระบุสิ่งที่ต้องดำเนินการ")), Length(max=MAX_ITEM, message=TOO_LONG)],
    )
    owner = SelectField(
        _l("ผู้รับผิดชอบ"),
        choices=[SelectChoice("department", _l("ส่วนราชการ")), SelectChoice("opdc", _l("สำนักงาน ก.พ.ร."))],
        validators=[InputRequired(_l("เลือกผู้รับผิดชอบ"))],
        validate_choice=True,
    )
    due_on = DateField(_l("วันครบกำหนด"), validators=[InputRequired(_l("ระบุวันครบกำหนดให้ถูกต้อง"))])
