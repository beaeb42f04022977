import secrets

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from clinic.bookings import documents
from clinic.bookings.services import MAX_ATTENDEES, MAX_DETAILS, MAX_REASON, AttendeeInput, BookingRequest
from clinic.bookings.waitlist import WaitlistRequest
from clinic.forms import Form
from clinic.i18n import local_name
from clinic.organisations.models import Department, Topic
from clinic.scheduling.models import Slot


class AttendeeForm(Form):
    class Meta:
        csrf = False

    name = StringField(_l("ชื่อ-นามสกุล"), validators=[Optional(), Length(max=200, message=_l("ยาวเกิน 200 ตัวอักษร"))])
    position = StringField(_l("ตำแหน่ง"), validators=[Optional(), Length(max=200, message=_l("ยาวเกิน 200 ตัวอักษร"))])


class BookingForm(Form):
    """A department's request for a seat. Offer it the departments the user books for, then, once it
    validates, it builds the `BookingRequest` that `book_slot` takes."""

    department = SelectField(
        _l("ส่วนราชการ"), coerce=int, invalid_choice_message=_l("เลือกส่วนราชการในความรับผิดชอบของคุณ")
    )
    request_details = TextAreaField(
        _l("เรื่องที่ต้องการรับคำปรึกษา"),
        validators=[
            DataRequired(_l("ระบุเรื่องที่ต้องการรับคำปรึกษา")),
            Length(max=MAX_DETAILS, message=_l("ยาวเกิน %(max)d ตัวอักษร")),
        ],
    )
    attendees = FieldList(FormField(AttendeeForm), min_entries=5, max_entries=MAX_ATTENDEES)
    document = FileField(_l("เอกสารประกอบ (PDF, DOCX หรือ XLSX ไม่เกิน 10 MB)"))
    # A document sent with a submission that came back with errors, held on the server (clinic/bookings/held_uploads)
    held_document = HiddenField(validators=[Length(max=64)])
    remove_document = BooleanField(_l("เอาไฟล์นี้ออก"))
    # A new key each time the form is shown; sent again with the same form, it finds the booking already made.
    submission_key = HiddenField(default=lambda: secrets.token_urlsafe(24), validators=[Length(max=64)])
    # The booking this one follows up, when the officer came from an advisor's invitation (checked by the service).
    follows = HiddenField(validators=[Optional(), Length(max=20)])

    def offer_departments(self, departments: list[Department], preferred_id: int | None) -> None:
        self.departments = {d.id: d for d in departments}
        self.department.choices = [SelectChoice(d.id, local_name(d)) for d in departments]
        if self.department.data is None:
            self.department.data = preferred_id if preferred_id in self.departments else departments[0].id

    def validate_attendees(self, field: FieldList) -> None:
        """The service's rules for attendees, checked with the other fields so that every error shows at once."""
        named = [(e.form.name.data or "").strip() for e in field]
        placed = [(e.form.position.data or "").strip() for e in field]
        given = [(n, p) for n, p in zip(named, placed, strict=True) if n or p]
        if not given:
            raise ValidationError(_l("ระบุผู้เข้าร่วมอย่างน้อย 1 คน"))
        if any(not n or not p for n, p in given):
            raise ValidationError(_l("ระบุทั้งชื่อและตำแหน่งของผู้เข้าร่วมทุกคน"))

    def new_upload(self, max_upload: int) -> documents.Upload | None:
        """The file chosen with this submission, read without trusting its size; None if none was chosen."""
        storage = self.document.data
        return documents.read_upload(storage, getattr(storage, "filename", None), max_upload)

    def booking_request(self, slot: Slot, topic: Topic, document: documents.Upload | None) -> BookingRequest:
        """The request as typed (call after `validate_on_submit()` succeeded), with the document to attach."""
        return BookingRequest(
            slot=slot,
            department=self.departments[self.department.data],
            topic=topic,
            request_details=self.request_details.data or "",
            attendees=[AttendeeInput(a.form.name.data or "", a.form.position.data or "") for a in self.attendees],
            document=document,
            submission_key=self.submission_key.data or None,
        )


class ReasonForm(Form):
    reason = TextAreaField(
        _l("เหตุผล"),
        validators=[DataRequired(_l("ระบุเหตุผล")), Length(max=MAX_REASON, message=_l("ยาวเกิน %(max)d ตัวอักษร"))],
    )


class RescheduleForm(Form):
    """The new slot of a booking, chosen among those listed, and a reason (required of advisors and administrators
    moving it after the department's cut-off; the service says so)."""

    slot = IntegerField(
        _l("ช่วงเวลาใหม่"),
        validators=[InputRequired(_l("เลือกช่วงเวลาใหม่")), NumberRange(min=1, max=2**31 - 1, message=_l("เลือกช่วงเวลาใหม่"))],
    )
    reason = TextAreaField(
        _l("เหตุผล"), validators=[Optional(), Length(max=MAX_REASON, message=_l("ยาวเกิน %(max)d ตัวอักษร"))],
    )


class WaitlistForm(BookingForm):
    """The request a department would book, kept on its waitlist entry so that an offered seat is claimed with one
    click. No document: describe it in the details (a booking made from the waitlist has none)."""

    document = None
    submission_key = None

    def waitlist_request(self, slot: Slot, topic: Topic) -> WaitlistRequest:
        return WaitlistRequest(
            slot=slot,
            department=self.departments[self.department.data],
            topic=topic,
            request_details=self.request_details.data or "",
            attendees=[AttendeeInput(a.form.name.data or "", a.form.position.data or "") for a in self.attendees],
        )
