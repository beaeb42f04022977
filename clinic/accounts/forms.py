from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from clinic.accounts.models import LANGUAGES, Role, User
from clinic.accounts.queries import UserFilters, UserStatus
from clinic.accounts.services import MAX_EMAIL, MAX_NAME, MAX_POSITION, NewUser, Scope
from clinic.forms import CheckboxesField, Form
from clinic.i18n import ROLE_LABELS, local_name
from clinic.organisations.models import Department, Ministry, Topic

TOO_LONG = _l("ยาวได้ไม่เกิน %(max)d ตัวอักษร")
EVERYTHING = _l("ทั้งหมด")
NONE_CHOSEN = _l("— ไม่ระบุ —")
PASSWORD_HELP = _l("อย่างน้อย 12 ตัวอักษร เช่น วลีที่จำง่ายหลายคำ ไม่ต้องมีตัวเลขหรือสัญลักษณ์ "
                   "แต่ต้องไม่ใช่รหัสผ่านที่ใช้กันทั่วไป ชื่อ หรืออีเมลของคุณ")
LANGUAGE_NAMES = {"th": "ภาษาไทย", "en": "English"}


def strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


def email_field(label: str = _l("อีเมล")) -> EmailField:
    return EmailField(label, filters=[strip], validators=[DataRequired(_l("กรอกอีเมล")), Length(max=MAX_EMAIL, message=TOO_LONG),
                                         Email(_l("อีเมลไม่ถูกต้อง"))])


def new_password_fields() -> tuple[PasswordField, PasswordField]:
    """A new password typed twice. Its length and strength are the service's to judge (`password_problem`), so the
    messages are the same wherever a password is set."""
    return (
        PasswordField(_l("รหัสผ่านใหม่"), validators=[DataRequired(_l("กรอกรหัสผ่านใหม่"))]),
        PasswordField(_l("ยืนยันรหัสผ่านใหม่"), validators=[
            DataRequired(_l("กรอกรหัสผ่านใหม่อีกครั้ง")),
            EqualTo("new_password", _l("รหัสผ่านใหม่ทั้งสองช่องไม่ตรงกัน")),
        ]),
    )


class LoginForm(Form):
    email = EmailField(_l("อีเมล"), validators=[DataRequired(_l("กรอกอีเมล")), Email(_l("อีเมลไม่ถูกต้อง")), Length(max=254)])
    password = PasswordField(_l("รหัสผ่าน"), validators=[DataRequired(_l("กรอกรหัสผ่าน")), Length(max=200)])


class ChangePasswordForm(Form):
    current_password = PasswordField(_l("รหัสผ่านปัจจุบัน"), validators=[DataRequired(_l("กรอกรหัสผ่านปัจจุบัน"))])
    new_password, confirm_password = new_password_fields()


class SetPasswordForm(Form):
    """The first password (an invitation) or a new one (a reset link)."""

    new_password, confirm_password = new_password_fields()


class ForgotPasswordForm(Form):
    email = email_field()


# -- administrators -----------------------------------------------------------------------------------------------


def role_choices() -> list[SelectChoice]:
    return [SelectChoice(role.value, ROLE_LABELS[role]) for role in Role]


def department_choices(departments: list[Department], first: str) -> list[SelectChoice]:
    return [SelectChoice("", first), *(SelectChoice(str(d.id), local_name(d), optgroup=local_name(d.ministry))
                                       for d in departments)]


def ministry_choices(ministries: list[Ministry], first: str) -> list[SelectChoice]:
    return [SelectChoice("", first), *(SelectChoice(str(m.id), local_name(m)) for m in ministries)]


class UserFilterForm(Form):
    """The user list's filters, from the query string (GET, so no CSRF token)."""

    class Meta:
        csrf = False

    q = StringField(_l("ชื่อหรืออีเมล"), validators=[Optional(), Length(max=100, message=TOO_LONG)])
    role = SelectField(_l("บทบาท"), default="", choices=[SelectChoice("", EVERYTHING), *role_choices()],
                       invalid_choice_message=_l("ไม่พบบทบาทที่เลือก"))
    ministry = SelectField(_l("กระทรวง"), default="", invalid_choice_message=_l("ไม่พบกระทรวงที่เลือก"))
    department = SelectField(_l("ส่วนราชการ"), default="", invalid_choice_message=_l("ไม่พบส่วนราชการที่เลือก"))
    status = SelectField(_l("สถานะ"), default="", invalid_choice_message=_l("ไม่พบสถานะที่เลือก"), choices=[
        SelectChoice("", EVERYTHING),
        SelectChoice(UserStatus.ACTIVE.value, _l("ใช้งานอยู่")),
        SelectChoice(UserStatus.INVITED.value, _l("รอตั้งรหัสผ่าน")),
        SelectChoice(UserStatus.INACTIVE.value, _l("ปิดการใช้งาน")),
    ])

    def set_options(self, ministries: list[Ministry], departments: list[Department]) -> None:
        self.ministry.choices = ministry_choices(ministries, str(EVERYTHING))
        self.department.choices = department_choices(departments, str(EVERYTHING))

    def filters(self) -> UserFilters:
        return UserFilters(
            text=(self.q.data or "").strip(),
            role=Role(self.role.data) if self.role.data else None,
            ministry_id=int(self.ministry.data) if self.ministry.data else None,
            department_id=int(self.department.data) if self.department.data else None,
            status=UserStatus(self.status.data) if self.status.data else None,
        )


class ScopeFields(Form):
    """Role, and the department or ministry it covers: offer it the organisations, then ask it for the `Scope`."""

    role = SelectField(_l("บทบาท"), choices=role_choices(), invalid_choice_message=_l("บทบาทไม่ถูกต้อง"))
    department = SelectField(_l("ส่วนราชการ (เจ้าหน้าที่ส่วนราชการ)"), default="",
                             invalid_choice_message=_l("ไม่พบส่วนราชการที่เลือก"))
    ministry = SelectField(_l("กระทรวง (ผู้ประสานงานระดับกระทรวง)"), default="",
                           invalid_choice_message=_l("ไม่พบกระทรวงที่เลือก"))

    def offer(self, ministries: list[Ministry], departments: list[Department]) -> None:
        self.ministries = {str(m.id): m for m in ministries}
        self.departments = {str(d.id): d for d in departments}
        self.ministry.choices = ministry_choices(ministries, str(NONE_CHOSEN))
        self.department.choices = department_choices(departments, str(NONE_CHOSEN))

    def scope(self) -> Scope:
        """The validated role and scope (call after `validate_on_submit()` succeeded)."""
        return Scope(Role(self.role.data), self.departments.get(self.department.data or ""),
                     self.ministries.get(self.ministry.data or ""))


class InviteForm(ScopeFields):
    email = email_field()
    name = StringField(_l("ชื่อ-นามสกุล"), validators=[DataRequired(_l("กรอกชื่อ")), Length(max=MAX_NAME, message=TOO_LONG)])
    position = StringField(_l("ตำแหน่ง"), validators=[Optional(), Length(max=MAX_POSITION, message=TOO_LONG)])
    language = SelectField(_l("ภาษาของอีเมลและหน้าจอ"), default="th",
                           choices=[SelectChoice(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
                           invalid_choice_message=_l("ภาษาไม่ถูกต้อง"))

    def new_user(self) -> NewUser:
        return NewUser(email=self.email.data or "", name=self.name.data or "", position=self.position.data or "",
                       scope=self.scope(), language=self.language.data or "th")


class ScopeForm(ScopeFields):
    def fill(self, user: User) -> None:
        """Show the user's current role and scope (on a GET, not over what was posted)."""
        self.role.data = user.role.value
        self.department.data = str(user.department_id or "")
        self.ministry.data = str(user.ministry_id or "")


class ExpertiseForm(Form):
    topics = CheckboxesField(_l("หัวข้อที่เชี่ยวชาญ"), coerce=int)

    def offer(self, topics: list[Topic]) -> None:
        self.known = {t.id: t for t in topics}
        self.topics.choices = [SelectChoice(t.id, local_name(t)) for t in topics]

    def fill(self, advisor: User) -> None:
        self.topics.data = [t.id for t in advisor.expertise]

    def chosen(self) -> list[Topic]:
        return [self.known[i] for i in self.topics.data or [] if i in self.known]
