from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from clinic.bookings.models import Booking
from clinic.forms import CheckboxesField, Form, ThaiDateField
from clinic.records.models import ActionOwner, ConsultationRecord
from clinic.records.services import MAX_ITEM, MAX_TEXT, NextStep, RecordContent, RecordSubmission

TOO_LONG = _l("ยาวเกิน %(max)d ตัวอักษร")


class RecordForm(Form):
    """The whole record editor. Its buttons say what a submission does besides saving the draft:
    `add_item` adds the next step typed in the `ActionItemForm` beside it, `publish` publishes."""

    attended = CheckboxesField(_l("ผู้เข้าร่วมที่มาจริง"), coerce=int, validate_choice=False)
    attendance = TextAreaField(_l("การเข้าร่วม (หมายเหตุ)"), validators=[Optional(), Length(max=MAX_TEXT, message=TOO_LONG)])
    issues_raised = TextAreaField(_l("ประเด็นที่หารือ"), validators=[Optional(), Length(max=MAX_TEXT, message=TOO_LONG)])
    guidance = TextAreaField(_l("คำแนะนำของที่ปรึกษา"), validators=[Optional(), Length(max=MAX_TEXT, message=TOO_LONG)])
    internal_note = TextAreaField(_l("บันทึกภายใน (ส่วนราชการมองไม่เห็น)"), validators=[Optional(), Length(max=MAX_TEXT, message=TOO_LONG)])
    add_item = SubmitField()
    publish = SubmitField()

    def offer_attendees(self, booking: Booking) -> None:
        self.attended.choices = [SelectChoice(a.id, f"{a.name} ({a.position})") for a in booking.attendees]

    def fill(self, booking: Booking, record: ConsultationRecord | None) -> None:
        """Start from the draft, else from the published revision, and the attendance so far."""
        source = (record.draft or record.published) if record else None
        if source:
            self.attendance.data = source.attendance
            self.issues_raised.data = source.issues_raised
            self.guidance.data = source.guidance
        self.attended.data = [a.id for a in booking.attendees if a.attended]

    def validate_with(self, item_form: "ActionItemForm") -> bool:
        """Validate this form, and the next step too when the advisor is adding one (all errors at once)."""
        valid = self.validate_on_submit()
        if self.add_item.data:
            valid = item_form.validate() and valid
        return valid

    def submission(self, item_form: "ActionItemForm") -> RecordSubmission:
        """What the service is asked to do (call after `validate_with` succeeded)."""
        return RecordSubmission(
            content=RecordContent(self.attendance.data or "", self.issues_raised.data or "", self.guidance.data or ""),
            attended_ids=set(self.attended.data or []),
            internal_note=self.internal_note.data or "",
            next_step=item_form.next_step() if self.add_item.data else None,
            publish=bool(self.publish.data),
        )


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
        choices=[SelectChoice(ActionOwner.DEPARTMENT, _l("ส่วนราชการ")), SelectChoice(ActionOwner.OPDC, _l("สำนักงาน ก.พ.ร."))],
        validators=[InputRequired(_l("เลือกผู้รับผิดชอบ"))],
        validate_choice=True,
    )
    due_on = ThaiDateField(_l("วันครบกำหนด"), validators=[InputRequired(_l("ระบุวันครบกำหนดให้ถูกต้อง"))])

    def next_step(self) -> NextStep:
        return NextStep(self.description.data or "", self.owner.data or "", self.due_on.data)


class SearchForm(Form):
    """The search box, read from the query string (GET, so no CSRF token). Its length and its minimum are the
    search's to judge (`clean_query`), so the message is the same wherever it is searched from."""

    class Meta:
        csrf = False

    q = StringField(_l("ค้นหาคำขอ บันทึก และขั้นตอนถัดไป"))
