"""Making, finding and revoking API tokens. A token's secret is returned once by the service that makes it and
never stored: only its SHA-256 is kept (256 random bits need no slow hash: nothing short of the secret matches).
Services take the acting user and `now` and only flush; every change writes an audit event in its transaction."""

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from clinic.accounts.models import Role, User
from clinic.api.models import SCOPE_ORDER, ApiToken, Scope, TokenKind
from clinic.api.policies import can_create_personal_token, can_manage_service_tokens, can_revoke_token
from clinic.audit.services import record_event
from clinic.errors import Conflict, DomainError, NotAllowed
from clinic.extensions import db
from clinic.organisations.models import Department, Ministry

TOKEN_PREFIX = "opdc_"
TOKEN_BYTES = 32
MAX_NAME = 100
EXPIRY_CHOICES_DAYS = (30, 90, 180, 365)
SERVICE_EMAIL_DOMAIN = "service.invalid"  # RFC 2606: never delivered (see clinic.notifications.services.notify)


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # shown once


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def checked_scopes(scopes: Iterable[str]) -> str:
    chosen = set()
    for value in scopes:
        try:
            chosen.add(Scope(value))
        except ValueError:
            raise DomainError(_l("ไม่มีขอบเขตสิทธิ์นี้"), field="scopes") from None
    if not chosen:
        raise DomainError(_l("เลือกขอบเขตสิทธิ์อย่างน้อย 1 อย่าง"), field="scopes")
    return " ".join(s.value for s in SCOPE_ORDER if s in chosen)


def checked_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise DomainError(_l("ตั้งชื่อโทเค็น"), field="name")
    if len(name) > MAX_NAME:
        raise DomainError(_l("ชื่อยาวเกิน %(n)s ตัวอักษร", n=MAX_NAME), field="name")
    return name


def checked_expiry(days: int, now: datetime) -> datetime:
    if days not in EXPIRY_CHOICES_DAYS:
        raise DomainError(_l("เลือกอายุของโทเค็น"), field="expires_in_days")
    return now + timedelta(days=days)


def _issue(actor: User, user: User, kind: TokenKind, name: str, scopes: str, expires_at: datetime, now: datetime,
           ministry: Ministry | None = None, department: Department | None = None) -> NewToken:
    secret = TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
    token = ApiToken(
        name=name, kind=kind, token_hash=hash_secret(secret), prefix=secret[:12], scopes=scopes, user=user,
        created_by_id=actor.id, ministry=ministry, department=department, created_at=now, expires_at=expires_at,
    )
    db.session.add(token)
    record_event(actor, "api_token.created", token, now,
                 department_id=department.id if department else None, kind=kind, scopes=scopes,
                 expires_at=expires_at.isoformat(), name=name)
    return NewToken(token, secret)


def create_personal_token(actor: User, name: str, scopes: Iterable[str], expires_in_days: int,
                          now: datetime) -> NewToken:
    """A token that acts as `actor` (their role and scope, no more), limited further to `scopes`."""
    if not can_create_personal_token(actor):
        raise NotAllowed(_l("คุณสร้างโทเค็นไม่ได้"))
    return _issue(actor, actor, TokenKind.PERSONAL, checked_name(name), checked_scopes(scopes),
                  checked_expiry(expires_in_days, now), now)


def create_service_token(actor: User, name: str, scopes: Iterable[str], expires_in_days: int, now: datetime,
                         ministry: Ministry | None = None, department: Department | None = None) -> NewToken:
    """A token for a ministry's or a department's own system. It acts as a service account made for it: a
    coordinator of the ministry or an officer of the department, so the pages' policies apply to it unchanged.
    The account has no password (no one signs in with it) and an address no e-mail is sent to."""
    if not can_manage_service_tokens(actor):
        raise NotAllowed(_l("เฉพาะผู้ดูแลระบบเท่านั้นที่สร้างโทเค็นของหน่วยงานได้"))
    if (ministry is None) == (department is None):
        raise DomainError(_l("เลือกกระทรวงหรือกรมอย่างใดอย่างหนึ่ง"), field="organisation")
    name = checked_name(name)
    scope_text = checked_scopes(scopes)
    expires_at = checked_expiry(expires_in_days, now)
    account = User(
        email=f"api-{secrets.token_hex(8)}@{SERVICE_EMAIL_DOMAIN}", name=name, position="API",
        role=Role.COORDINATOR if ministry is not None else Role.OFFICER,
        ministry_id=ministry.id if ministry is not None else None,
        department_id=department.id if department is not None else None, created_at=now,
    )
    account.set_unusable_password()
    db.session.add(account)
    return _issue(actor, account, TokenKind.SERVICE, name, scope_text, expires_at, now, ministry, department)


def revoke_token(actor: User, token: ApiToken, now: datetime) -> ApiToken:
    """The token stops working with the next call (every call looks it up)."""
    if not can_revoke_token(actor, token):
        raise NotAllowed(_l("คุณเพิกถอนโทเค็นนี้ไม่ได้"))
    if token.revoked_at is not None:
        raise Conflict(_l("โทเค็นนี้ถูกเพิกถอนแล้ว"))
    token.revoked_at = now
    token.revoked_by_id = actor.id
    record_event(actor, "api_token.revoked", token, now, department_id=token.department_id, name=token.name)
    return token


def token_for_secret(secret: str) -> ApiToken | None:
    """The token whose secret this is, usable or not (the caller checks expiry and revocation)."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    return db.session.scalar(
        select(ApiToken).where(ApiToken.token_hash == hash_secret(secret)).options(joinedload(ApiToken.user))
    )
