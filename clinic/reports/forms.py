from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectChoice, SelectField
from wtforms.validators import NumberRange, Optional

from clinic.bookings.outcomes import SHOWN_STATUSES
from clinic.forms import ThaiDateField
from clinic.i18n import STATUS_LABELS
from clinic.reports.services import (
    FISCAL_YEAR_OUT_OF_RANGE,
    MAX_FISCAL_YEAR,
    MIN_FISCAL_YEAR,
    STATUS_UNKNOWN,
    FilterOptions,
    SessionFilters,
)

BAD_DATE = _l("ระบุวันที่ในรูปแบบ ปปปป-ดด-วว (ปี ค.ศ.) เช่น 2026-11-25")
EVERYTHING = _l("ทั้งหมด")


def _everything() -> SelectChoice:
    return SelectChoice("", EVERYTHING)


class SessionReportForm(FlaskForm):
    """The report's filters, read from the query string (GET, so no CSRF token).
    Build it with `SessionReportForm(request.args)` and give it its choices with `set_options`."""

    class Meta:
        csrf = False

    date_from = ThaiDateField(_l("ตั้งแต่วันที่"), validators=[Optional()], invalid_value_message=BAD_DATE)
    date_to = ThaiDateField(_l("ถึงวันที่"), validators=[Optional()], invalid_value_message=BAD_DATE)
    fiscal_year = IntegerField(
        _l("ปีงบประมาณ (พ.ศ.)"),
        validators=[Optional(), NumberRange(MIN_FISCAL_YEAR, MAX_FISCAL_YEAR, message=FISCAL_YEAR_OUT_OF_RANGE)],
        invalid_value_message=FISCAL_YEAR_OUT_OF_RANGE,
    )
    ministry = SelectField(_l("กระทรวง"), default="", invalid_choice_message=_l("ไม่พบกระทรวงที่เลือก"))
    department = SelectField(_l("ส่วนราชการ"), default="", invalid_choice_message=_l("ไม่พบส่วนราชการที่เลือก"))
    topic = SelectField(_l("หัวข้อ"), default="", invalid_choice_message=_l("ไม่พบหัวข้อที่เลือก"))
    advisor = SelectField(_l("ที่ปรึกษา"), default="", invalid_choice_message=_l("ไม่พบที่ปรึกษาที่เลือก"))
    status = SelectField(
        _l("สถานะ"),
        default="",
        choices=[_everything(), *(SelectChoice(s, STATUS_LABELS[s]) for s in SHOWN_STATUSES)],
        invalid_choice_message=STATUS_UNKNOWN,
    )
    include_cancelled = BooleanField(_l("รวมรายการที่ยกเลิกหรือถูกปฏิเสธ"))

    def set_options(self, options: FilterOptions) -> None:
        self.ministry.choices = [_everything(), *(SelectChoice(str(i), name) for i, name in options.ministries)]
        self.department.choices = [
            _everything(),
            *(SelectChoice(str(i), name, optgroup=ministry) for i, name, ministry in options.departments),
        ]
        self.topic.choices = [_everything(), *(SelectChoice(str(i), name) for i, name in options.topics)]
        self.advisor.choices = [_everything(), *(SelectChoice(str(i), name) for i, name in options.advisors)]

    def filters(self) -> SessionFilters:
        """The validated filters (call after `validate()` succeeded)."""

        def as_id(value: str | None) -> int | None:
            return int(value) if value else None

        return SessionFilters(
            date_from=self.date_from.data,
            date_to=self.date_to.data,
            fiscal_year=self.fiscal_year.data,
            ministry_id=as_id(self.ministry.data),
            department_id=as_id(self.department.data),
            topic_id=as_id(self.topic.data),
            advisor_id=as_id(self.advisor.data),
            status=self.status.data or None,
            include_cancelled=bool(self.include_cancelled.data),
        )
