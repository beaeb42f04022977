"""Signed links that let a person set their password without signing in: a password reset and an invitation.

A link carries the user's id and a fingerprint of their current password hash, signed with the app's secret key
and a salt of its own (so a reset link is no invitation and the other way round), with the time it was made.
It is refused once it is older than its lifetime (PASSWORD_RESET_MAX_AGE, INVITATION_MAX_AGE), and once the
password hash changed, which setting the password through it does: so a link works once, and any later password
change (or a new invitation) voids the links sent before it. Nothing is stored."""

import hashlib
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadData, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from clinic.accounts.models import User
from clinic.errors import DomainError
from clinic.extensions import db

MAX_TOKEN_LENGTH = 1000  # a real link's token is about 120 characters


class Purpose(StrEnum):
    PASSWORD_RESET = "password-reset"
    INVITATION = "invitation"


LIFETIME_SETTING = {Purpose.PASSWORD_RESET: "PASSWORD_RESET_MAX_AGE", Purpose.INVITATION: "INVITATION_MAX_AGE"}


class LinkRefused(DomainError):
    """A link that cannot be used: the page says why, and what to do instead."""


class BadLink(LinkRefused):
    """A link that was altered, cut short, made for something else, or for an account that no longer may use it."""

    status_code = 400


class ExpiredLink(LinkRefused):
    status_code = 410


class UsedLink(LinkRefused):
    """The password changed since the link was made: by this link, another one, or the person."""

    status_code = 410


BAD = {
    Purpose.PASSWORD_RESET: _l("ลิงก์ตั้งรหัสผ่านใหม่นี้ไม่ถูกต้อง อาจคัดลอกมาไม่ครบ กรุณาขอลิงก์ใหม่"),
    Purpose.INVITATION: _l("ลิงก์คำเชิญนี้ไม่ถูกต้อง อาจคัดลอกมาไม่ครบ กรุณาติดต่อผู้ดูแลระบบ"),
}
EXPIRED = {
    Purpose.PASSWORD_RESET: _l("ลิงก์ตั้งรหัสผ่านใหม่นี้หมดอายุแล้ว กรุณาขอลิงก์ใหม่"),
    Purpose.INVITATION: _l("ลิงก์คำเชิญนี้หมดอายุแล้ว กรุณาขอให้ผู้ดูแลระบบส่งคำเชิญใหม่"),
}
USED = {
    Purpose.PASSWORD_RESET: _l("ลิงก์นี้ใช้ไปแล้ว หรือมีการเปลี่ยนรหัสผ่านหลังจากส่งลิงก์ กรุณาขอลิงก์ใหม่หากยังต้องการ"),
    Purpose.INVITATION: _l("ลิงก์คำเชิญนี้ใช้ไปแล้ว หรือมีคำเชิญที่ส่งใหม่กว่า กรุณาใช้ลิงก์ในอีเมลฉบับล่าสุด หรือเข้าสู่ระบบ"),
}


class ClockedSigner(TimestampSigner):
    """A timestamp signer that reads the time it is given, not the clock: services take `now`."""

    def __init__(self, *args: Any, now: datetime, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.now = now

    def get_timestamp(self) -> int:
        return int(self.now.timestamp())


def serializer(purpose: Purpose, now: datetime) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        current_app.config["SECRET_KEY"], salt=f"clinic.accounts.{purpose}", signer=ClockedSigner,
        signer_kwargs={"now": now},
    )


def lifetime(purpose: Purpose) -> timedelta:
    value = current_app.config[LIFETIME_SETTING[purpose]]
    return value if isinstance(value, timedelta) else timedelta(seconds=float(value))


class HasPassword(Protocol):
    id: int
    password_hash: str


def password_fingerprint(user: HasPassword) -> str:
    """Changes whenever the password hash does (a new password, a new invitation); says nothing about the password."""
    return hashlib.sha256(f"{user.id}:{user.password_hash}".encode()).hexdigest()[:32]


def make_token(user: User, purpose: Purpose, now: datetime) -> str:
    return serializer(purpose, now).dumps({"user": user.id, "fingerprint": password_fingerprint(user)})


def user_for_token(token: str, purpose: Purpose, now: datetime, lock: bool = False) -> User:
    """The user a link was made for, if it may still be used at `now`; otherwise a refusal that says why.
    With `lock`, the user's row is locked until the transaction ends (on PostgreSQL; SQLite's writers queue
    anyway), so that of two requests racing with one link, the second sees the password the first set."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise BadLink(BAD[purpose])
    try:
        payload = serializer(purpose, now).loads(token, max_age=int(lifetime(purpose).total_seconds()))
    except SignatureExpired:
        raise ExpiredLink(EXPIRED[purpose]) from None
    except BadData:  # altered, cut short, or signed for another purpose
        raise BadLink(BAD[purpose]) from None
    user_id = payload.get("user") if isinstance(payload, dict) else None
    user = None
    if isinstance(user_id, int) and 0 < user_id < 2**31:
        user = db.session.get(User, user_id, with_for_update=lock, populate_existing=lock)
    if user is None or not user.is_active:
        raise BadLink(BAD[purpose])
    if payload.get("fingerprint") != password_fingerprint(user):
        raise UsedLink(USED[purpose])
    return user
