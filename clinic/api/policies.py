"""Who manages which API tokens. Plain functions, shared by routes, services and templates."""

from clinic.accounts.models import User
from clinic.accounts.policies import is_admin
from clinic.api.models import ApiToken, TokenKind

__all__ = ["can_create_personal_token", "can_manage_service_tokens", "can_revoke_token"]


def can_create_personal_token(user: User) -> bool:
    """Anyone signed in with an account of their own makes tokens that act as themselves, no more."""
    return bool(user.is_authenticated) and user.has_password


def can_manage_service_tokens(user: User) -> bool:
    """Service tokens (a ministry's or a department's system) are made and revoked by administrators."""
    return is_admin(user)


def can_revoke_token(user: User, token: ApiToken) -> bool:
    """One's own personal tokens; administrators any token."""
    if is_admin(user):
        return True
    return bool(user.is_authenticated) and token.kind == TokenKind.PERSONAL and token.user_id == user.id
