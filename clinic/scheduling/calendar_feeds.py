"""An advisor's private calendar feed: a random token in the address, kept only as its SHA-256, that the advisor
makes, renews (the old address stops working) and revokes. Services take the acting user and `now` and only flush;
every change writes an audit event in the same transaction."""

import hashlib
import re
import secrets
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from clinic.accounts.models import User
from clinic.accounts.policies import is_advisor
from clinic.audit.services import record_event
from clinic.errors import NotAllowed
from clinic.extensions import db
from clinic.scheduling.models import CalendarFeed
from clinic.scheduling.policies import can_manage_calendar

TOKEN_BYTES = 32  # 256 bits: guessing is hopeless, so the address alone is the key
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{20,100}")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_of(advisor: User) -> CalendarFeed | None:
    return db.session.scalar(select(CalendarFeed).where(CalendarFeed.advisor_id == advisor.id))


def renew_feed(actor: User, advisor: User, now: datetime) -> str:
    """Make the advisor's feed, or give it a new address (the old one stops working at once). Returns the token:
    it is shown once and never stored."""
    if not (is_advisor(advisor) and can_manage_calendar(actor, advisor)):
        raise NotAllowed(_l("จัดการปฏิทินของที่ปรึกษาท่านนี้ไม่ได้"))
    token = secrets.token_urlsafe(TOKEN_BYTES)
    feed = feed_of(advisor)
    action = "calendar_feed.renewed"
    if feed is None:
        feed = CalendarFeed(advisor_id=advisor.id)
        db.session.add(feed)
        action = "calendar_feed.created"
    feed.token_hash = hash_token(token)
    feed.created_at = now
    db.session.flush()
    record_event(actor, action, feed, now, advisor_id=advisor.id)
    return token


def revoke_feed(actor: User, advisor: User, now: datetime) -> bool:
    """Stop the advisor's feed; False when there was none (nothing changes)."""
    if not can_manage_calendar(actor, advisor):
        raise NotAllowed(_l("จัดการปฏิทินของที่ปรึกษาท่านนี้ไม่ได้"))
    feed = feed_of(advisor)
    if feed is None:
        return False
    record_event(actor, "calendar_feed.revoked", feed, now, advisor_id=advisor.id)
    db.session.delete(feed)
    db.session.flush()
    return True


def advisor_for_token(token: str) -> User | None:
    """The active advisor whose feed has this token, or None (a wrong, renewed or revoked token, or an account
    that is no longer an active advisor). One query."""
    if not TOKEN_SHAPE.fullmatch(token):
        return None
    advisor = db.session.scalar(
        select(User).join(CalendarFeed, CalendarFeed.advisor_id == User.id).where(
            CalendarFeed.token_hash == hash_token(token)
        )
    )
    if advisor is None or not advisor.is_active or not is_advisor(advisor):
        return None
    return advisor
