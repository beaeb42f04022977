"""Reads of ministries, departments and topics for the administrator's pages: each list in one query."""

from dataclasses import dataclass

from flask import abort
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from clinic.extensions import db
from clinic.i18n import local_name_column
from clinic.organisations.models import Department, Ministry, Topic


def get_ministry_or_404(ministry_id: int) -> Ministry:
    found = db.session.get(Ministry, ministry_id)
    if found is None:
        abort(404)
    return found


def get_department_or_404(department_id: int) -> Department:
    found = db.session.scalar(
        select(Department).where(Department.id == department_id)
        .options(selectinload(Department.former_names), selectinload(Department.ministry))
    )
    if found is None:
        abort(404)
    return found


def get_topic_or_404(topic_id: int) -> Topic:
    found = db.session.get(Topic, topic_id)
    if found is None:
        abort(404)
    return found


@dataclass(frozen=True)
class MinistryLine:
    ministry: Ministry
    departments: int  # active ones


def ministry_lines(language: str) -> list[MinistryLine]:
    active = (
        select(func.count(Department.id))
        .where(Department.ministry_id == Ministry.id, Department.retired_at.is_(None))
        .correlate(Ministry).scalar_subquery()
    )
    name = local_name_column(Ministry, language)
    return [MinistryLine(m, n) for m, n in db.session.execute(select(Ministry, active).order_by(name, Ministry.id))]


def ministries(language: str) -> list[Ministry]:
    name = local_name_column(Ministry, language)
    return list(db.session.scalars(select(Ministry).order_by(name, Ministry.id)))


def departments(language: str, ministry_id: int | None = None, include_retired: bool = True) -> list[Department]:
    """Departments with their ministry and former names, ministry by ministry (a fixed number of queries)."""
    ministry_name, name = local_name_column(Ministry, language), local_name_column(Department, language)
    statement = (
        select(Department).join(Department.ministry)
        .options(selectinload(Department.ministry), selectinload(Department.former_names),
                 selectinload(Department.merged_into))
        .order_by(ministry_name, Department.retired_at.is_not(None), name, Department.id)
    )
    if ministry_id is not None:
        statement = statement.where(Department.ministry_id == ministry_id)
    if not include_retired:
        statement = statement.where(Department.retired_at.is_(None))
    return list(db.session.scalars(statement))


def topics(language: str) -> list[Topic]:
    name = local_name_column(Topic, language)
    return list(db.session.scalars(select(Topic).order_by(Topic.is_active.desc(), name, Topic.id)))
