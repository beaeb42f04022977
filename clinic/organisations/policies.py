"""Who manages ministries, departments and topics. Plain functions, shared by routes, services and templates."""

from clinic.audit.policies import Person, is_administrator

__all__ = ["can_manage_organisations"]


def can_manage_organisations(user: Person) -> bool:
    """Ministries, departments (rename, merge) and topics: administrators only."""
    return is_administrator(user)
