"""Who may read the audit log. Plain functions, shared by routes and templates."""

from typing import Protocol

__all__ = ["can_read_audit_log"]

ADMINISTRATOR = "admin"  # accounts.models.Role.ADMIN: this area sits beneath accounts, so it names the value


class Person(Protocol):
    @property
    def is_authenticated(self) -> bool: ...
    @property
    def role(self) -> str: ...


def is_administrator(user: Person) -> bool:
    """`accounts.policies.is_admin` for the areas beneath accounts (audit, notifications), which cannot import it."""
    return bool(user.is_authenticated) and user.role == ADMINISTRATOR


def can_read_audit_log(user: Person) -> bool:
    """Who did what, to every department's data: administrators only."""
    return is_administrator(user)
