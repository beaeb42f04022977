"""Who may read and export reports. Plain functions, shared by routes, services and templates."""

from clinic.accounts.models import User
from clinic.accounts.policies import is_admin, is_opdc

__all__ = ["can_export_reports", "can_read_dashboard"]


def can_export_reports(user: User) -> bool:
    """Reports cut across every department's case file: administrators only."""
    return is_admin(user)


def can_read_dashboard(user: User) -> bool:
    """The dashboard's figures: administrators, and advisors read-only (they read every case file already)."""
    return is_opdc(user)
