"""Who may read and export reports. Plain functions, shared by routes, services and templates."""

from clinic.accounts.models import User
from clinic.accounts.policies import is_admin

__all__ = ["can_export_reports"]


def can_export_reports(user: User) -> bool:
    """Reports cut across every department's case file: administrators only."""
    return is_admin(user)
