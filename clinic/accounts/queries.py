"""Reading accounts: the administrators' user list, and the organisations and topics their forms offer."""

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from flask import abort
from sqlalchemy import ColumnElement, Exists, Select, and_, func, or_, select
from sqlalchemy.orm import aliased, selectinload

from clinic.accounts.models import UNUSABLE_PASSWORD, Role, User
from clinic.extensions import db
from clinic.organisations.models import Department, Ministry, Topic

PER_PAGE = 50


class UserStatus(StrEnum):
    ACTIVE = "active"  # can sign in
    INVITED = "invited"  # active, but the invitation was not taken up yet: no password
    INACTIVE = "inactive"  # deactivated by an administrator


@dataclass(frozen=True)
class UserFilters:
    text: str = ""
    role: Role | None = None
    ministry_id: int | None = None
    department_id: int | None = None
    status: UserStatus | None = None


@dataclass(frozen=True)
class UserPage:
    users: list[User]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def status_condition(status: UserStatus) -> ColumnElement[bool]:
    unusable = User.password_hash.startswith(UNUSABLE_PASSWORD, autoescape=True)
    if status == UserStatus.INACTIVE:
        return User.is_active_account.is_(False)
    if status == UserStatus.INVITED:
        return and_(User.is_active_account.is_(True), unusable)
    return and_(User.is_active_account.is_(True), ~unusable)


def filtered_users(filters: UserFilters) -> "Select[User]":
    statement = select(User)
    if filters.text:
        text = filters.text.lower()
        statement = statement.where(or_(func.lower(User.name).contains(text, autoescape=True),
                                        func.lower(User.email).contains(text, autoescape=True)))
    if filters.role is not None:
        statement = statement.where(User.role == filters.role)
    if filters.department_id is not None:
        statement = statement.where(User.department_id == filters.department_id)
    if filters.ministry_id is not None:
        # A coordinator of the ministry, or an officer of one of its departments.
        in_ministry = select(Department.id).where(Department.ministry_id == filters.ministry_id)
        statement = statement.where(or_(User.ministry_id == filters.ministry_id, User.department_id.in_(in_ministry)))
    if filters.status is not None:
        statement = statement.where(status_condition(filters.status))
    return statement


def user_page(filters: UserFilters, page: int, per_page: int = PER_PAGE) -> UserPage:
    """One page of the users that match `filters`, by name; a page past the last shows the last. Three queries
    whatever the page holds (the count, the rows, their departments and ministries)."""
    statement = filtered_users(filters)
    total = db.session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    last = max(1, -(-total // per_page))
    page = min(max(page, 1), last)
    users = db.session.scalars(
        statement.options(selectinload(User.department).joinedload(Department.ministry), selectinload(User.ministry))
        .order_by(User.name, User.id).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return UserPage(list(users), total, page, per_page)


def get_user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def ministries() -> list[Ministry]:
    return list(db.session.scalars(select(Ministry).order_by(Ministry.name_th)))


def departments() -> list[Department]:
    return list(db.session.scalars(
        select(Department).options(selectinload(Department.ministry)).join(Department.ministry)
        .where(Department.retired_at.is_(None))  # a department merged into another takes nobody new
        .order_by(Ministry.name_th, Department.name_th)
    ))


def topics() -> list[Topic]:
    return list(db.session.scalars(select(Topic).order_by(Topic.id)))


def watching(department_id: Any, ministry_id: Any, user: Any = User) -> ColumnElement[bool]:
    """SQL: `user` is an active officer of the department, or coordinator of its ministry, who chose to get
    copies of every e-mail about its bookings (NotificationKind.DEPARTMENT_COPIES)."""
    return and_(
        user.is_active_account.is_(True),
        user.wanted_notifications.contains("department_copies"),
        or_(
            and_(user.role == Role.OFFICER, user.department_id == department_id),
            and_(user.role == Role.COORDINATOR, user.ministry_id == ministry_id),
        ),
    )


def department_watchers(department: Department) -> list[User]:
    """Those watching `department` (see `watching`). One query."""
    return list(db.session.scalars(select(User).where(watching(department.id, department.ministry_id)).order_by(User.id)))


def is_watched(department: type[Department]) -> Exists:
    """SQL, per department row: someone is watching it (so that a query that reads departments, and maybe users,
    anyway can say whether `department_watchers` is worth a query). The watcher is an alias of users of its own."""
    watcher = aliased(User)
    return select(watcher.id).where(watching(department.id, department.ministry_id, watcher)).exists()
