from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length

from clinic.api.models import SCOPE_ORDER
from clinic.api.services import EXPIRY_CHOICES_DAYS, MAX_NAME
from clinic.forms import CheckboxesField, Form
from clinic.i18n import local_name
from clinic.organisations.models import Department, Ministry

SCOPE_LABELS = {
    "read": _l("อ่าน (read): หัวข้อ ช่วงเวลา การจอง บันทึก รายงาน"),
    "book": _l("จอง (book): จองและยกเลิก"),
    "follow-up": _l("ติดตามผล (follow-up): ปรับสถานะขั้นตอนต่อไป"),
}


class TokenForm(Form):
    name = StringField(_l("ชื่อโทเค็น (ระบบที่ใช้)"), validators=[
        DataRequired(_l("ตั้งชื่อโทเค็น")), Length(max=MAX_NAME, message=_l("ยาวเกิน %(max)d ตัวอักษร"))])
    scopes = CheckboxesField(_l("ขอบเขตสิทธิ์"),
                             choices=[SelectChoice(s.value, SCOPE_LABELS[s.value]) for s in SCOPE_ORDER],
                             validators=[DataRequired(_l("เลือกขอบเขตสิทธิ์อย่างน้อย 1 อย่าง"))])
    expires_in_days = SelectField(_l("อายุ"), coerce=int,
                                  choices=[SelectChoice(d, _l("%(n)s วัน", n=d)) for d in EXPIRY_CHOICES_DAYS], default=90)


class ServiceTokenForm(TokenForm):
    organisation = SelectField(_l("กระทรวงหรือกรม"), validators=[DataRequired(_l("เลือกกระทรวงหรือกรม"))])

    def offer(self, ministries: list[Ministry], departments: list[Department]) -> None:
        self.ministries = {f"m{m.id}": m for m in ministries}
        self.departments = {f"d{d.id}": d for d in departments}
        self.organisation.choices = [
            *(SelectChoice(key, local_name(m)) for key, m in self.ministries.items()),
            *(SelectChoice(key, f"— {local_name(d)}") for key, d in self.departments.items()),
        ]

    def chosen(self) -> tuple[Ministry | None, Department | None]:
        value = self.organisation.data or ""
        return self.ministries.get(value), self.departments.get(value)
