"""Who may see and requeue the outbox. Plain functions, shared by routes, services and templates."""

from typing import Protocol

__all__ = ["can_manage_mail"]

ADMINISTRATOR = "admin"  # accounts.models.Role.ADMIN: this area sits beneath accounts, so it names the value


class Person(Protocol):
    @property
    def is_authenticated(self) -> bool: ...
    @property
    def role(self) -> str: ...


def can_manage_mail(user: Person) -> bool:
    """E-mail of every department and person: administrators only."""
    return bool(user.is_authenticated) and user.role == ADMINISTRATOR
