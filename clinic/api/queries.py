"""Reads of API tokens for their pages."""

from sqlalchemy import select

from clinic.accounts.models import User
from clinic.api.models import ApiToken, TokenKind
from clinic.extensions import db


def tokens_of(user: User) -> list[ApiToken]:
    return list(db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.kind == TokenKind.PERSONAL)
        .order_by(ApiToken.id.desc())
    ))


def service_tokens() -> list[ApiToken]:
    return list(db.session.scalars(
        select(ApiToken).where(ApiToken.kind == TokenKind.SERVICE).order_by(ApiToken.id.desc())
    ))
