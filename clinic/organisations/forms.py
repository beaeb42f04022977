"""The administrator's forms for ministries, departments and topics. Lengths and uniqueness are the services' to
judge, so a form only says what is missing; `names()` builds the services' input."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length

from clinic.forms import Form
from clinic.i18n import local_name
from clinic.organisations.models import Department, Ministry
from clinic.organisations.services import Names

LONG = 1000  # a bound before the service's own limits, so a huge value is refused early with the same words
TOO_LONG = _l("ยาวได้ไม่เกิน %(max)d ตัวอักษร")


def text(label: str, required: bool = True) -> StringField:
    validators = [Length(max=LONG, message=TOO_LONG)]
    if required:
        validators.insert(0, DataRequired(_l("กรอกข้อมูลช่องนี้")))
    return StringField(label, validators=validators)


class NamesForm(Form):
    name_th = text(_l("ชื่อภาษาไทย"))
    name_en = text(_l("ชื่อภาษาอังกฤษ"))
    abbreviation = text(_l("ชื่อย่อ"))

    def names(self) -> Names:
        return Names(self.name_th.data or "", self.name_en.data or "", self.abbreviation.data or "")

    def fill(self, thing: Ministry | Department) -> None:
        self.name_th.data, self.name_en.data, self.abbreviation.data = thing.name_th, thing.name_en, thing.abbreviation


class NewMinistryForm(NamesForm):
    code = text(_l("รหัส"))


class NewDepartmentForm(NamesForm):
    ministry = SelectField(_l("กระทรวง"), validators=[DataRequired(_l("เลือกกระทรวง"))],
                           invalid_choice_message=_l("ไม่พบกระทรวงที่เลือก"))
    code = text(_l("รหัส"))

    def offer(self, ministries: list[Ministry]) -> None:
        self.ministry.choices = [SelectChoice("", _l("— เลือกกระทรวง —")),
                                 *(SelectChoice(str(m.id), local_name(m)) for m in ministries)]

    def ministry_id(self) -> int:
        return int(self.ministry.data)


class MergeForm(Form):
    """Which active department takes over the merged one's bookings, people and records."""

    survivor = SelectField(_l("ควบรวมเข้ากับ"), validators=[DataRequired(_l("เลือกส่วนราชการที่รับโอน"))],
                           invalid_choice_message=_l("ไม่พบส่วนราชการที่เลือก"))

    def offer(self, departments: list[Department], merged: Department) -> None:
        self.survivor.choices = [
            SelectChoice("", _l("— เลือกส่วนราชการที่รับโอน —")),
            *(SelectChoice(str(d.id), local_name(d), optgroup=local_name(d.ministry))
              for d in departments if d.id != merged.id and not d.is_retired),
        ]

    def survivor_id(self) -> int:
        return int(self.survivor.data)


class TopicForm(Form):
    name_th = text(_l("ชื่อภาษาไทย"))
    name_en = text(_l("ชื่อภาษาอังกฤษ"))
    active = BooleanField(_l("เปิดให้จอง (หัวข้อที่ปิดแล้วจองไม่ได้ แต่ประวัติยังอยู่)"), default=True)

    def names(self) -> Names:
        return Names(self.name_th.data or "", self.name_en.data or "")


class NewTopicForm(TopicForm):
    code = text(_l("รหัส"))
