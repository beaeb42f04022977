"""Who may see which department's case file. Plain functions, shared by routes, services and templates."""

from sqlalchemy import ColumnElement, false, select, true
from sqlalchemy.orm import InstrumentedAttribute

from clinic.accounts.models import DEPARTMENT_ROLES, OPDC_ROLES, Role, User
from clinic.organisations.models import Department

__all__ = [
    "can_change_password", "can_deactivate_user", "can_manage_users", "can_resend_invitation", "can_view_department",
    "is_admin", "is_advisor", "is_department_user", "is_opdc",
]


def is_opdc(user: User) -> bool:
    """OPDC staff: advisors and administrators."""
    return bool(user.is_authenticated) and user.role in OPDC_ROLES


def is_advisor(user: User) -> bool:
    return bool(user.is_authenticated) and user.role == Role.ADVISOR


def is_admin(user: User) -> bool:
    return bool(user.is_authenticated) and user.role == Role.ADMIN


def is_department_user(user: User) -> bool:
    """An officer of a department or a coordinator of a ministry: someone who books for departments."""
    return bool(user.is_authenticated) and user.role in DEPARTMENT_ROLES


def can_view_department(user: User, department: Department) -> bool:
    """OPDC reads every case file; a coordinator their ministry's; an officer their own department's."""
    if not user.is_authenticated:
        return False
    if user.role in OPDC_ROLES:
        return True
    if user.role == Role.COORDINATOR:
        return department.ministry_id == user.ministry_id
    return department.id == user.department_id


def department_scope(user: User, department_column: InstrumentedAttribute[int]) -> ColumnElement[bool]:
    """The same rule as `can_view_department`, as a SQL condition on a department id column."""
    if user.role in OPDC_ROLES:
        return true()
    if user.role == Role.COORDINATOR:
        return department_column.in_(select(Department.id).where(Department.ministry_id == user.ministry_id))
    if user.role == Role.OFFICER:
        return department_column == user.department_id
    return false()


def can_set_language(actor: User, user: User) -> bool:
    """People choose their own language; an administrator may set anyone's."""
    return actor.is_authenticated and (actor.id == user.id or actor.role == Role.ADMIN)


def can_manage_users(user: User) -> bool:
    """Inviting people, changing their role and scope, deactivating them: administrators only."""
    return is_admin(user)


def can_deactivate_user(actor: User, user: User) -> bool:
    """An administrator may deactivate anyone active but themself (so some administrator always remains)."""
    return can_manage_users(actor) and actor.id != user.id and user.is_active_account


def can_resend_invitation(actor: User, user: User) -> bool:
    """While an active account's invitation has not been taken up (no password set yet)."""
    return can_manage_users(actor) and user.is_active_account and not user.has_password


def can_change_password(user: User) -> bool:
    return bool(user.is_authenticated) and user.has_password
