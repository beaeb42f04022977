"""The administrator's form to open a public holiday or close an extra day."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, RadioField, SelectChoice, StringField
from wtforms.validators import InputRequired, Length

from clinic.bookings.holidays import MAX_REASON, DayAction, DayDecision
from clinic.forms import Form


class HolidayForm(Form):
    day = DateField(_l("วันที่"), validators=[InputRequired(_l("ระบุวันที่ให้ถูกต้อง"))])
    action = RadioField(
        _l("กำหนดให้"),
        choices=[
            SelectChoice(DayAction.CLOSE, _l("ปิด (วันหยุดพิเศษ ไม่รับนัด)")),
            SelectChoice(DayAction.OPEN, _l("เปิดทำการ (ในวันหยุดราชการ)")),
        ],
        default=DayAction.CLOSE,
        validators=[InputRequired(_l("เลือกว่าจะเปิดหรือปิดวันนี้"))],
    )
    reason = StringField(
        _l("เหตุผล (เช่น มติคณะรัฐมนตรี)"),
        validators=[Length(max=MAX_REASON, message=_l("ยาวเกิน %(max)d ตัวอักษร"))],
    )
    cancel_bookings = BooleanField(_l("ยกเลิกการจองในวันนั้นทั้งหมด และแจ้งส่วนราชการด้วยเหตุผลข้างต้น"))

    def decision(self) -> DayDecision:
        return DayDecision(day=self.day.data, action=self.action.data or "", reason=self.reason.data or "",
                           cancel_bookings=bool(self.cancel_bookings.data))
