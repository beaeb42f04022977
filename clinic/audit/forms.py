"""The audit log's filters, read from the query string, and the names of the actions it shows."""

from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectChoice, SelectField, StringField
from wtforms.validators import Length, NumberRange, Optional, ValidationError

from clinic.audit.models import REFUSED_REQUEST
from clinic.audit.queries import AuditFilters, Cursor
from clinic.extensions import Model
from clinic.forms import ThaiDateField
from clinic.i18n import bangkok_to_utc

MAX_ID = 2**31 - 1  # PostgreSQL's integer

ACTION_LABELS = {
    "access.refused": _l("ปฏิเสธการเข้าถึง"),
    "action_item.created": _l("เพิ่มขั้นตอนต่อไป"),
    "action_item.updated": _l("ปรับปรุงขั้นตอนต่อไป"),
    "availability.date_added": _l("เพิ่มวันให้คำปรึกษา"),
    "availability.date_removed": _l("ลบวันให้คำปรึกษา"),
    "availability.saved": _l("บันทึกเวลาให้คำปรึกษาประจำสัปดาห์"),
    "booking.cancelled": _l("ยกเลิกการจอง"),
    "booking.confirmed": _l("ยืนยันนัดหมาย"),
    "booking.created": _l("ส่งคำขอจอง"),
    "booking.declined": _l("ปฏิเสธคำขอจอง"),
    "booking.viewed": _l("เปิดดูการจอง"),
    "case_file.downloaded": _l("ดาวน์โหลดแฟ้มเรื่องเป็น PDF"),
    "case_file.viewed": _l("เปิดดูแฟ้มเรื่อง"),
    "clinic_day.cancelled": _l("ยกเลิกวันคลินิก"),
    "clinic_day.created": _l("สร้างวันคลินิก"),
    "clinic_day.updated": _l("แก้ไขวันคลินิก"),
    "document.downloaded": _l("ดาวน์โหลดเอกสาร"),
    "holiday.close": _l("ปิดวันทำการ (วันหยุดพิเศษ)"),
    "holiday.open": _l("เปิดทำการในวันหยุดราชการ"),
    "internal_note.added": _l("เพิ่มบันทึกภายใน"),
    "leave.added": _l("บันทึกวันลา"),
    "leave.removed": _l("ลบวันลา"),
    "mail.requeued": _l("ส่งอีเมลอีกครั้ง"),
    "record.acknowledged": _l("รับทราบบันทึกการให้คำปรึกษา"),
    "record.downloaded": _l("ดาวน์โหลดบันทึกการให้คำปรึกษาเป็น PDF"),
    "record.draft_saved": _l("บันทึกร่างบันทึกการให้คำปรึกษา"),
    "record.published": _l("เผยแพร่บันทึกการให้คำปรึกษา"),
    "report.exported": _l("ส่งออกรายงาน"),
    "retention.applied": _l("ลบข้อมูลส่วนบุคคลที่พ้นระยะเวลาเก็บรักษา"),
    "slot.created": _l("เปิดช่วงเวลาให้จอง"),
    "slots.regenerated": _l("สร้างช่วงเวลาให้จองใหม่"),
    "user.created": _l("สร้างบัญชีผู้ใช้"),
    "user.data_exported": _l("ดาวน์โหลดข้อมูลส่วนบุคคลของตนเอง"),
    "user.deactivated": _l("ระงับบัญชีผู้ใช้"),
    "user.expertise_changed": _l("เปลี่ยนหัวข้อที่เชี่ยวชาญ"),
    "user.invitation_resent": _l("ส่งคำเชิญอีกครั้ง"),
    "user.invitation_accepted": _l("ตอบรับคำเชิญและตั้งรหัสผ่าน"),
    "user.invited": _l("เชิญผู้ใช้"),
    "user.language_changed": _l("เปลี่ยนภาษา"),
    "user.password_changed": _l("เปลี่ยนรหัสผ่าน"),
    "user.privacy_notice_acknowledged": _l("รับทราบประกาศความเป็นส่วนตัว"),
    "user.password_reset": _l("ตั้งรหัสผ่านใหม่"),
    "user.password_reset_requested": _l("ขอลิงก์ตั้งรหัสผ่านใหม่"),
    "user.reactivated": _l("เปิดใช้บัญชีอีกครั้ง"),
    "user.role_changed": _l("เปลี่ยนบทบาทผู้ใช้"),
    "user.sessions_ended": _l("สิ้นสุดการเข้าสู่ระบบทุกเครื่อง"),
    "user.signed_in": _l("เข้าสู่ระบบ"),
    "user.signed_in_sso": _l("เข้าสู่ระบบผ่านผู้ให้บริการยืนยันตัวตน (SSO)"),
    "user.sso_refused": _l("ปฏิเสธการเข้าสู่ระบบผ่านผู้ให้บริการยืนยันตัวตน (SSO)"),
    "user.sign_in_failed": _l("เข้าสู่ระบบไม่สำเร็จ"),
    "user.sign_in_throttled": _l("พยายามเข้าสู่ระบบถี่เกินไป"),
}

BAD_DATE = _l("ระบุวันที่ในรูปแบบ ปปปป-ดด-วว (ปี ค.ศ.) เช่น 2026-11-25")
BAD_PERSON = _l("ระบุอีเมลของผู้ใช้ หรือเลขประจำตัวผู้ใช้ (ตัวเลข)")
BAD_ID = _l("เลขที่ของรายการต้องเป็นจำนวนเต็มบวก")
BAD_CURSOR = _l("ลิงก์หน้าถัดไปไม่ถูกต้อง กรุณาเริ่มจากหน้าแรก")
EVERYTHING = _l("ทั้งหมด")


def action_label(action: str) -> str:
    """The action's name in the reader's language; an action this list does not know yet, as it is stored."""
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action


def parse_cursor(value: str) -> Cursor | None:
    """'<ISO time with zone>,<id>' (the last row of the page before), or None when it is not one."""
    moment, _, number = value.rpartition(",")
    try:
        at = datetime.fromisoformat(moment)
    except ValueError:
        return None
    if at.tzinfo is None or not number.isdigit() or not 0 < int(number) <= MAX_ID:
        return None
    return Cursor(at, int(number))


def cursor_arg(cursor: Cursor) -> str:
    return f"{cursor.occurred_at.isoformat()},{cursor.id}"


class AuditLogForm(FlaskForm):
    """The filters, from the query string (GET, so no CSRF token): `AuditLogForm(request.args)`."""

    class Meta:
        csrf = False

    person = StringField(_l("ผู้ใช้ (อีเมลหรือเลขประจำตัว)"), validators=[Optional(), Length(max=254)])
    action = SelectField(_l("การกระทำ"), default="", invalid_choice_message=_l("ไม่พบการกระทำที่เลือก"))
    object_type = SelectField(_l("ประเภทรายการ"), default="", invalid_choice_message=_l("ไม่พบประเภทรายการที่เลือก"))
    object_id = IntegerField(_l("เลขที่รายการ"), validators=[Optional(), NumberRange(1, MAX_ID, message=BAD_ID)],
                             invalid_value_message=BAD_ID)
    date_from = ThaiDateField(_l("ตั้งแต่วันที่"), validators=[Optional()], invalid_value_message=BAD_DATE)
    date_to = ThaiDateField(_l("ถึงวันที่"), validators=[Optional()], invalid_value_message=BAD_DATE)
    older_than = StringField(validators=[Optional(), Length(max=100, message=BAD_CURSOR)])

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.action.choices = [SelectChoice("", EVERYTHING),
                               *(SelectChoice(a, label) for a, label in sorted(ACTION_LABELS.items()))]
        tables = sorted({*Model.metadata.tables, REFUSED_REQUEST})
        self.object_type.choices = [SelectChoice("", EVERYTHING), *(SelectChoice(t, t) for t in tables)]

    def validate_person(self, field: StringField) -> None:
        value = (field.data or "").strip()
        if value and not (value.isdigit() and 0 < int(value) <= MAX_ID) and "@" not in value:
            raise ValidationError(BAD_PERSON)

    def validate_date_to(self, field: ThaiDateField) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("วันที่สิ้นสุดต้องไม่ก่อนวันที่เริ่มต้น"))

    def validate_older_than(self, field: StringField) -> None:
        if field.data and parse_cursor(field.data) is None:
            raise ValidationError(BAD_CURSOR)

    def filters(self) -> AuditFilters:
        """The validated filters (call after `validate()` succeeded); dates are whole days in Bangkok."""
        person = (self.person.data or "").strip()

        def start_of(day: date | None) -> datetime | None:
            return bangkok_to_utc(day, 0, 0) if day else None

        return AuditFilters(
            actor_id=int(person) if person.isdigit() else None,
            actor_email=person if person and not person.isdigit() else None,
            object_type=self.object_type.data or None,
            object_id=self.object_id.data,
            action=self.action.data or None,
            since=start_of(self.date_from.data),
            until=start_of(self.date_to.data + timedelta(days=1)) if self.date_to.data else None,
        )

    def cursor(self) -> Cursor | None:
        return parse_cursor(self.older_than.data) if self.older_than.data else None

    def query_args(self) -> dict[str, str]:
        """The filters as query arguments, for the link to the next page (without the page's own cursor)."""
        return {name: str(request_value) for name, request_value in (
            ("person", (self.person.data or "").strip()), ("action", self.action.data),
            ("object_type", self.object_type.data), ("object_id", self.object_id.data),
            ("date_from", self.date_from.data), ("date_to", self.date_to.data),
        ) if request_value}
