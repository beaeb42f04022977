"""Who manages which calendar. Plain functions, shared by routes, services and templates."""

from clinic.accounts.models import User
from clinic.accounts.policies import is_admin, is_advisor
from clinic.organisations.models import Department
from clinic.scheduling.models import ClinicDay, ClinicDayAccess

__all__ = [
    "can_manage_any_calendar", "can_manage_calendar", "can_manage_clinic_days", "can_manage_holidays",
    "can_open_closed_day",
    "has_calendar", "may_book_at",
]


def has_calendar(user: User) -> bool:
    """Advisors keep a calendar of their own: the advisor's pages are theirs."""
    return is_advisor(user)


def can_manage_calendar(user: User, advisor: User) -> bool:
    """An advisor manages their own calendar; an administrator manages any advisor's."""
    return is_admin(user) or (is_advisor(user) and user.id == advisor.id)


def can_manage_any_calendar(user: User) -> bool:
    """An administrator reaches every advisor's availability and leave (the /admin/advisors pages)."""
    return is_admin(user)


def can_open_closed_day(user: User) -> bool:
    """Only an administrator opens a slot on a public holiday or a day of the advisor's leave."""
    return is_admin(user)


def can_manage_clinic_days(user: User) -> bool:
    """Administrators create, edit and cancel the clinic days held at ministries."""
    return is_admin(user)


def may_book_at(department: Department, clinic_day: ClinicDay) -> bool:
    """Whether a department may book a clinic day's sessions: any department, or, when the clinic day is for its
    host ministry only, that ministry's departments."""
    return clinic_day.access == ClinicDayAccess.ALL or department.ministry_id == clinic_day.ministry_id


def can_manage_holidays(user: User) -> bool:
    """Administrators open a public holiday for the clinic, or close an extra day."""
    return is_admin(user)
