from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from clinic.accounts.models import LANGUAGES, Role, User
from clinic.accounts.policies import can_set_language
from clinic.audit.services import record_event
from clinic.errors import DomainError, NotAllowed
from clinic.extensions import db
from clinic.organisations.models import Department, Ministry

MIN_PASSWORD_LENGTH = 10


def find_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def authenticate(email: str, password: str) -> User | None:
    user = find_by_email(email)
    if user is None or not user.is_active or not user.check_password(password):
        return None
    return user


def create_user(
    actor: User | None,
    *,
    email: str,
    name: str,
    role: Role | str,
    password: str,
    now: datetime,
    department: Department | None = None,
    ministry: Ministry | None = None,
    position: str = "",
) -> User:
    """Create an account. `actor` is None when the command line creates the first administrator."""
    email = email.strip().lower()
    try:
        role = Role(role)
    except ValueError:
        raise DomainError(_l("บทบาทไม่ถูกต้อง"), field="role") from None
    if not email or "@" not in email:
        raise DomainError(_l("อีเมลไม่ถูกต้อง"), field="email")
    if find_by_email(email):
        raise DomainError(_l("มีผู้ใช้อีเมลนี้แล้ว"), field="email")
    if not name.strip():
        raise DomainError(_l("กรอกชื่อ"), field="name")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(_l("รหัสผ่านต้องยาวอย่างน้อย %(n)s ตัวอักษร", n=MIN_PASSWORD_LENGTH), field="password")
    if role == Role.OFFICER and department is None:
        raise DomainError(_l("เจ้าหน้าที่ส่วนราชการต้องมีสังกัดกรม"), field="department")
    if role == Role.COORDINATOR and ministry is None:
        raise DomainError(_l("ผู้ประสานงานต้องมีสังกัดกระทรวง"), field="ministry")
    user = User(
        email=email,
        name=name.strip(),
        position=position.strip(),
        role=role,
        department_id=department.id if department and role == Role.OFFICER else None,
        ministry_id=ministry.id if ministry and role == Role.COORDINATOR else None,
        created_at=now,
    )
    user.set_password(password)
    db.session.add(user)
    record_event(actor, "user.created", user, now, role=role, email=email)
    return user


def set_language(actor: User, user: User, code: str, now: datetime) -> User:
    """Keep `code` as the language of `user`'s pages after sign-in and of the e-mails sent to them.
    A change is audited."""
    if not can_set_language(actor, user):
        raise NotAllowed(_l("คุณเปลี่ยนภาษาของผู้ใช้นี้ไม่ได้"))
    if code not in LANGUAGES:
        raise DomainError(_l("ภาษาไม่ถูกต้อง"), field="language")
    if user.language != code:
        previous = user.language
        user.language = code
        record_event(actor, "user.language_changed", user, now, language=code, previous_language=previous)
    return user
