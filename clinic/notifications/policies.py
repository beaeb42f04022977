"""Who may see and requeue the outbox. Plain functions, shared by routes, services and templates."""

from clinic.audit.policies import Person, is_administrator

__all__ = ["can_manage_mail"]


def can_manage_mail(user: Person) -> bool:
    """E-mail of every department and person: administrators only."""
    return is_administrator(user)
