from flask_babel import lazy_gettext as _l

from clinic.forms import CheckboxesField, Form
from clinic.notifications.models import NotificationKind

KIND_LABELS = {
    NotificationKind.BOOKINGS: _l("การจอง: คำขอใหม่ การยืนยัน การปฏิเสธ การยกเลิก และคำขอที่หมดอายุ"),
    NotificationKind.REMINDERS: _l("เตือนการนัดหมายในวันทำการก่อนวันนัด"),
    NotificationKind.RECORDS: _l("บันทึกผลการให้คำปรึกษาที่เผยแพร่"),
    NotificationKind.FOLLOW_UP: _l("ขั้นตอนถัดไปที่จะครบกำหนดในสามวัน และที่เลยกำหนด"),
    NotificationKind.DEPARTMENT_COPIES: _l("สำเนาอีเมลเกี่ยวกับการจองทุกรายการของส่วนราชการ (หรือกระทรวง) ของฉัน"),
}


class NotificationsForm(Form):
    kinds = CheckboxesField(_l("อีเมลที่ต้องการรับ"), validate_choice=False)

    def offer(self, kinds: list[NotificationKind]) -> None:
        self.kinds.choices = [(kind.value, KIND_LABELS[kind]) for kind in kinds]
