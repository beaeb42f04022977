"""Accounts: who signs in, with which password, in which role and scope.

Every function takes the acting user (None for the command line, or for someone who is not signed in) and `now`,
raises a `DomainError` the user can act on, only flushes, and writes an audit event, and the e-mails it causes,
in the caller's transaction."""

import hashlib
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from clinic.accounts.models import LANGUAGES, PRIVACY_NOTICE_VERSION, Role, User
from clinic.accounts.passwords import MAX_PASSWORD_LENGTH, password_problem
from clinic.accounts.policies import can_manage_users, can_set_language
from clinic.accounts.tokens import Purpose, lifetime, make_token, password_fingerprint, serializer, user_for_token
from clinic.audit.services import ObjectRef, clip, record_event, record_sign_in_failed
from clinic.errors import Conflict, DomainError, NotAllowed
from clinic.extensions import db
from clinic.notifications.models import NotificationKind
from clinic.notifications.services import kinds_in, notify
from clinic.organisations.models import Department, Ministry, Topic

MAX_EMAIL = 254
MAX_NAME = 200
MAX_POSITION = 200
EMAIL_TAKEN = _l("มีผู้ใช้อีเมลนี้แล้ว")
NOT_ALLOWED = _l("เฉพาะผู้ดูแลระบบจัดการผู้ใช้ได้")


def find_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


@lru_cache(maxsize=1)
def _unknown_user_hash() -> str:
    """A real scrypt hash to check when no account has the e-mail, so that an unknown e-mail takes as long as a
    known one and the time of the answer does not say who has an account."""
    return generate_password_hash(secrets.token_hex(16), method="scrypt")


def authenticate(email: str, password: str) -> User | None:
    user = find_by_email(email)
    if user is None or not user.has_password:  # an invitation not yet taken up costs the same check
        check_password_hash(_unknown_user_hash(), password)
        return None
    if not user.check_password(password) or not user.is_active:
        return None
    return user


def signed_in(user: User, now: datetime) -> None:
    record_event(user, "user.signed_in", user, now)


def sign_in_failed(email: str, now: datetime) -> None:
    """Record a refused sign-in: the e-mail tried, and its account if it has one (wrong password, deactivated)."""
    record_sign_in_failed(find_by_email(email), email, now)


# -- single sign-on ------------------------------------------------------------------------------------------------


class SingleSignOnRefused(DomainError):
    """The provider vouched for someone this app will not sign in; `reason` goes into the audit log. 401, not 403:
    nobody is signed in here, and a 403 would be logged a second time as a refused request."""

    status_code = 401

    def __init__(self, message: Any, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def is_verified(claims: Mapping[str, Any]) -> bool:
    """`email_verified` true (some providers send the word)."""
    value = claims.get("email_verified")
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def user_for_single_sign_on(claims: Mapping[str, Any]) -> User:
    """The account whose e-mail the provider has verified. Nobody gets an account by signing in, an unverified
    e-mail matches no one, and a deactivated account stays closed."""
    email = claims.get("email")
    if not isinstance(email, str) or not 0 < len(email.strip()) <= MAX_EMAIL:
        raise SingleSignOnRefused(_l("ผู้ให้บริการยืนยันตัวตนไม่ได้ส่งอีเมลของคุณมา จึงจับคู่กับบัญชีในระบบนี้ไม่ได้"),
                                  "no_email")
    if not is_verified(claims):
        raise SingleSignOnRefused(_l("ผู้ให้บริการยืนยันตัวตนยังไม่ได้ยืนยันอีเมลนี้ จึงใช้เข้าสู่ระบบนี้ไม่ได้ "
                                     "กรุณายืนยันอีเมลกับผู้ให้บริการ หรือเข้าสู่ระบบด้วยรหัสผ่าน"), "email_not_verified")
    user = find_by_email(email)
    if user is None:
        raise SingleSignOnRefused(_l("ไม่มีบัญชีผู้ใช้สำหรับอีเมลนี้ ระบบไม่สร้างบัญชีให้อัตโนมัติ "
                                     "กรุณาขอให้ผู้ดูแลระบบเชิญคุณเข้าใช้งาน"), "no_account")
    if not user.is_active:
        raise SingleSignOnRefused(_l("บัญชีนี้ถูกปิดการใช้งาน กรุณาติดต่อผู้ดูแลระบบ"), "deactivated")
    return user


def subject_digest(issuer: str, subject: str) -> str:
    """Who the provider said, without keeping their identifier (a ThaID subject may be a citizen ID number)."""
    return hashlib.sha256(f"{issuer}|{subject}".encode()).hexdigest()[:32]


def signed_in_with_single_sign_on(user: User, issuer: str, subject: str, now: datetime) -> None:
    record_event(user, "user.signed_in_sso", user, now, issuer=clip(issuer), subject=subject_digest(issuer, subject))


def single_sign_on_refused(reason: str, claims: Mapping[str, Any], issuer: str, now: datetime) -> None:
    """A refused single sign-on: why, and the e-mail the provider gave (and its account, if it has one)."""
    given = claims.get("email")
    email = given if isinstance(given, str) else ""
    user = find_by_email(email) if email and len(email) <= MAX_EMAIL else None
    subject = str(claims.get("sub") or "")
    record_event(None, "user.sso_refused", user if user is not None else ObjectRef("users"), now, reason=reason,
                 email=clip(email.strip().lower()), issuer=clip(issuer),
                 subject=subject_digest(issuer, subject) if subject else "")


def acknowledge_privacy_notice(user: User, version: str, now: datetime) -> bool:
    """`user` has read the privacy notice of `version` (the one their page showed). Returns whether that is news:
    acknowledging the same version again changes nothing. A page showing an older notice is refused: the text
    they read is not the one in force."""
    if version != PRIVACY_NOTICE_VERSION:
        raise Conflict(_l("ประกาศความเป็นส่วนตัวมีฉบับใหม่ กรุณาอ่านฉบับปัจจุบันแล้วกดรับทราบอีกครั้ง"))
    if user.privacy_notice_version == version:
        return False
    user.privacy_notice_version, user.privacy_notice_acknowledged_at = version, now
    record_event(user, "user.privacy_notice_acknowledged", user, now, version=version)
    return True


def end_sessions(actor: User | None, user: User, now: datetime, reason: str) -> None:
    """End every signed-in session of `user`, on every app process, at its next request."""
    user.session_version = (user.session_version or 0) + 1
    record_event(actor, "user.sessions_ended", user, now, reason=reason)


def sign_out(user: User, now: datetime) -> None:
    """Signing out ends all of the user's sessions, so a copy of the cookie taken earlier is worthless too."""
    end_sessions(user, user, now, reason="signed_out")


# -- who a person is: e-mail, name, role and scope -----------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """A role and what it covers: officers a department, coordinators a ministry, OPDC staff everything."""

    role: Role
    department: Department | None = None
    ministry: Ministry | None = None

    @property
    def department_id(self) -> int | None:
        return self.department.id if self.department is not None and self.role == Role.OFFICER else None

    @property
    def ministry_id(self) -> int | None:
        return self.ministry.id if self.ministry is not None and self.role == Role.COORDINATOR else None


@dataclass(frozen=True)
class NewUser:
    """Someone an administrator invites (`invite_user`)."""

    email: str
    name: str
    scope: Scope
    position: str = ""
    language: str = "th"


def as_role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise DomainError(_l("บทบาทไม่ถูกต้อง"), field="role") from None


def check_scope(scope: Scope) -> None:
    if scope.role == Role.OFFICER and scope.department is None:
        raise DomainError(_l("เจ้าหน้าที่ส่วนราชการต้องมีสังกัดกรม"), field="department")
    if scope.role == Role.COORDINATOR and scope.ministry is None:
        raise DomainError(_l("ผู้ประสานงานต้องมีสังกัดกระทรวง"), field="ministry")


def check_person(email: str, name: str, position: str) -> None:
    if not email or "@" not in email or len(email) > MAX_EMAIL:
        raise DomainError(_l("อีเมลไม่ถูกต้อง"), field="email")
    if not name:
        raise DomainError(_l("กรอกชื่อ"), field="name")
    if len(name) > MAX_NAME:
        raise DomainError(_l("ชื่อยาวได้ไม่เกิน %(n)s ตัวอักษร", n=MAX_NAME), field="name")
    if len(position) > MAX_POSITION:
        raise DomainError(_l("ตำแหน่งยาวได้ไม่เกิน %(n)s ตัวอักษร", n=MAX_POSITION), field="position")
    if find_by_email(email):
        raise Conflict(EMAIL_TAKEN, field="email")


def add_user(user: User) -> None:
    """Insert `user`; an e-mail taken a moment ago by someone else's request is refused like any taken e-mail."""
    try:
        with db.session.begin_nested():
            db.session.add(user)
    except IntegrityError:
        raise Conflict(EMAIL_TAKEN, field="email") from None


def check_password_for(user_email: str, user_name: str, password: str, field: str = "password") -> None:
    problem = password_problem(password, user_email, user_name)
    if problem is not None:
        raise DomainError(problem, field=field)


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
    """Create an account with a password (the command line; the demo data). `actor` is None when the command line
    creates the first administrator. Administrators invite people instead (`invite_user`)."""
    email, name, position = email.strip().lower(), name.strip(), position.strip()
    scope = Scope(as_role(role), department, ministry)
    check_person(email, name, position)
    check_password_for(email, name, password)
    check_scope(scope)
    user = User(email=email, name=name, position=position, role=scope.role, department_id=scope.department_id,
                ministry_id=scope.ministry_id, created_at=now)
    user.set_password(password)
    add_user(user)
    record_event(actor, "user.created", user, now, role=scope.role, email=email)
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


# -- notifications each person chooses ------------------------------------------------------------------------------

# Kinds a person gets unless they turn them off, and the one they must turn on.
DEFAULT_ON = (NotificationKind.BOOKINGS, NotificationKind.REMINDERS, NotificationKind.RECORDS,
              NotificationKind.FOLLOW_UP)
OPT_IN = (NotificationKind.DEPARTMENT_COPIES,)


def notification_kinds_for(user: User) -> list[NotificationKind]:
    """What `user` may choose among: records concern departments and advisors' own slots; copies of a whole
    department's (or ministry's) bookings are for its officers and coordinators."""
    if user.role in (Role.OFFICER, Role.COORDINATOR):
        return [*DEFAULT_ON, *OPT_IN]
    if user.role == Role.ADVISOR:
        return [NotificationKind.BOOKINGS, NotificationKind.REMINDERS, NotificationKind.FOLLOW_UP]
    return []


def chosen_notifications(user: User) -> set[NotificationKind]:
    """The kinds `user` gets now, of those they may choose."""
    muted, wanted = kinds_in(user.muted_notifications), kinds_in(user.wanted_notifications)
    return {kind for kind in notification_kinds_for(user)
            if (kind in OPT_IN and kind in wanted) or (kind not in OPT_IN and kind not in muted)}


def set_notifications(user: User, chosen: Iterable[str], now: datetime) -> User:
    """Keep the kinds of e-mail `user` gets (their own choice, on their own account); audited when it changes.
    A kind they may not choose is refused, and nothing changes."""
    offered = notification_kinds_for(user)
    names = set(chosen)
    unknown = names - {kind.value for kind in offered}
    if unknown:
        raise DomainError(_l("ตัวเลือกการแจ้งเตือนไม่ถูกต้อง"), field="kinds")
    previous = sorted(chosen_notifications(user))
    user.muted_notifications = ",".join(sorted(k.value for k in offered if k not in OPT_IN and k.value not in names))
    user.wanted_notifications = ",".join(sorted(k.value for k in offered if k in OPT_IN and k.value in names))
    now_chosen = sorted(chosen_notifications(user))
    if now_chosen != previous:
        record_event(user, "user.notifications_changed", user, now, chosen=[str(k) for k in now_chosen],
                     previous=[str(k) for k in previous])
    return user


# -- passwords: change, forgotten, invitation ---------------------------------------------------------------------


def set_new_password(actor: User | None, user: User, password: str, now: datetime, action: str,
                     field: str = "password") -> None:
    """Give `user` the password, if `password_problem` accepts it, and end all of their sessions (the route that
    asked keeps its own browser signed in by beginning its session again)."""
    check_password_for(user.email, user.name, password, field)
    user.set_password(password)
    end_sessions(actor, user, now, reason=action)
    record_event(actor, f"user.{action}", user, now)


def change_password(user: User, current_password: str, new_password: str, now: datetime) -> User:
    """A signed-in person's new password; their other sessions end and they get an e-mail saying so."""
    if len(current_password) > MAX_PASSWORD_LENGTH or not user.check_password(current_password):
        raise DomainError(_l("รหัสผ่านปัจจุบันไม่ถูกต้อง"), field="current_password")
    if new_password == current_password:
        raise DomainError(_l("รหัสผ่านใหม่ต้องไม่ซ้ำกับรหัสผ่านปัจจุบัน"), field="new_password")
    set_new_password(user, user, new_password, now, "password_changed", field="new_password")
    notify([user], "password_changed", now, changed_at=now)
    return user


class Decoy:
    """Whom the reset e-mail is rendered for when no account has the e-mail: the same work, nothing sent."""

    id = 0
    name = ""
    language = "th"
    muted_notifications = ""
    password_hash = ""

    def __init__(self, email: str) -> None:
        self.email = email


def request_password_reset(email: str, now: datetime) -> None:
    """E-mail a link to set a new password to the account with `email`, if there is an active one. The caller
    answers the same whatever happened, and the work is the same (a token signed, an e-mail rendered), so
    neither the answer nor its time says whether someone has an account."""
    email = email.strip().lower()
    user = find_by_email(email) if 0 < len(email) <= MAX_EMAIL else None
    expires_at = now + lifetime(Purpose.PASSWORD_RESET)
    if user is None or not user.is_active:
        # The same work as for an account, undone: a token signed, the e-mail rendered and written to the outbox,
        # then rolled back to a savepoint. The write still makes the commit flush to disk as a real request's does
        # (on PostgreSQL, most of the difference in time between the two answers).
        decoy = Decoy(email)
        token = serializer(Purpose.PASSWORD_RESET, now).dumps({"user": 0, "fingerprint": password_fingerprint(decoy)})
        decoy_work = db.session.begin_nested()
        notify([decoy], "password_reset", now, token=token, expires_at=expires_at)
        db.session.flush()
        decoy_work.rollback()
        return
    token = make_token(user, Purpose.PASSWORD_RESET, now)
    notify([user], "password_reset", now, token=token, expires_at=expires_at)
    record_event(None, "user.password_reset_requested", user, now)


def reset_password(token: str, new_password: str, now: datetime) -> User:
    """Set the password through a reset link: the link is then used up, every session of the user ends, and
    they get an e-mail saying their password was changed."""
    user = user_for_token(token, Purpose.PASSWORD_RESET, now, lock=True)
    set_new_password(user, user, new_password, now, "password_reset", field="new_password")
    notify([user], "password_changed", now, changed_at=now)
    return user


def invite_user(actor: User, details: NewUser, now: datetime) -> User:
    """An account for `details`, without a password: the person gets an e-mail with a link to set one, and
    cannot sign in until they do."""
    if not can_manage_users(actor):
        raise NotAllowed(NOT_ALLOWED)
    email, name, position = details.email.strip().lower(), details.name.strip(), details.position.strip()
    scope = details.scope
    check_person(email, name, position)
    check_scope(scope)
    if details.language not in LANGUAGES:
        raise DomainError(_l("ภาษาไม่ถูกต้อง"), field="language")
    user = User(email=email, name=name, position=position, role=scope.role, department_id=scope.department_id,
                ministry_id=scope.ministry_id, language=details.language, created_at=now)
    user.set_unusable_password()
    add_user(user)
    record_event(actor, "user.invited", user, now, department_id=user.department_id, role=scope.role, email=email,
                 ministry_id=user.ministry_id)
    send_invitation(actor, user, now)
    return user


def send_invitation(actor: User, user: User, now: datetime) -> None:
    token = make_token(user, Purpose.INVITATION, now)
    notify([user], "invitation", now, token=token, inviter=actor,
           expires_at=now + lifetime(Purpose.INVITATION))


def resend_invitation(actor: User, user: User, now: datetime) -> User:
    """A new invitation e-mail; the links of the earlier ones stop working."""
    if not can_manage_users(actor):
        raise NotAllowed(NOT_ALLOWED)
    if user.has_password:
        raise Conflict(_l("ผู้ใช้นี้ตั้งรหัสผ่านแล้ว ไม่ต้องส่งคำเชิญอีก"))
    if not user.is_active:
        raise Conflict(_l("บัญชีนี้ถูกปิดการใช้งาน เปิดใช้งานก่อนจึงส่งคำเชิญได้"))
    user.set_unusable_password()
    record_event(actor, "user.invitation_resent", user, now, department_id=user.department_id)
    send_invitation(actor, user, now)
    return user


def accept_invitation(token: str, password: str, now: datetime) -> User:
    """Set the first password through an invitation link; the link is then used up."""
    user = user_for_token(token, Purpose.INVITATION, now, lock=True)
    set_new_password(user, user, password, now, "invitation_accepted", field="new_password")
    return user


# -- what administrators change -----------------------------------------------------------------------------------


def scope_of(user: User) -> dict[str, object]:
    return {"role": str(user.role), "department_id": user.department_id, "ministry_id": user.ministry_id}


def change_scope(actor: User, user: User, scope: Scope, now: datetime) -> bool:
    """Give `user` a new role or scope; their sessions end, so the next page they open is under the new one.
    Returns whether anything changed. Administrators cannot take their own administrator role away."""
    if not can_manage_users(actor):
        raise NotAllowed(NOT_ALLOWED)
    if user.id == actor.id and scope.role != Role.ADMIN:
        raise DomainError(_l("คุณเปลี่ยนบทบาทของตนเองไม่ได้ ให้ผู้ดูแลระบบคนอื่นเปลี่ยนให้"), field="role")
    check_scope(scope)
    before = scope_of(user)
    user.role, user.department_id, user.ministry_id = scope.role, scope.department_id, scope.ministry_id
    after = scope_of(user)
    if after == before:
        return False
    end_sessions(actor, user, now, reason="role_changed")
    record_event(actor, "user.role_changed", user, now, department_id=user.department_id, before=before, after=after)
    return True


def deactivate_user(actor: User, user: User, now: datetime) -> User:
    """The person can no longer sign in, and their open sessions end at once. Nothing they did is removed."""
    if not can_manage_users(actor):
        raise NotAllowed(NOT_ALLOWED)
    if user.id == actor.id:
        raise DomainError(_l("คุณปิดการใช้งานบัญชีของตนเองไม่ได้"))
    if not user.is_active_account:
        raise Conflict(_l("บัญชีนี้ถูกปิดการใช้งานอยู่แล้ว"))
    user.is_active_account = False
    end_sessions(actor, user, now, reason="deactivated")
    record_event(actor, "user.deactivated", user, now, department_id=user.department_id)
    return user


def reactivate_user(actor: User, user: User, now: datetime) -> User:
    if not can_manage_users(actor):
        raise NotAllowed(NOT_ALLOWED)
    if user.is_active_account:
        raise Conflict(_l("บัญชีนี้เปิดใช้งานอยู่แล้ว"))
    user.is_active_account = True
    record_event(actor, "user.reactivated", user, now, department_id=user.department_id)
    return user


def set_expertise(actor: User, advisor: User, topics: list[Topic], now: datetime) -> bool:
    """The topics an advisor advises on. Returns whether they changed."""
    if not can_manage_users(actor):
        raise NotAllowed(NOT_ALLOWED)
    if advisor.role != Role.ADVISOR:
        raise DomainError(_l("กำหนดหัวข้อความเชี่ยวชาญได้เฉพาะที่ปรึกษา"), field="topics")
    before = sorted(t.id for t in advisor.expertise)
    after = sorted({t.id for t in topics})
    if before == after:
        return False
    advisor.expertise = sorted({t.id: t for t in topics}.values(), key=lambda t: t.id)
    record_event(actor, "user.expertise_changed", advisor, now, before=before, after=after)
    return True
