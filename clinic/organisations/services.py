"""Loading ministries, departments and topics from rows (see importer.py): idempotent, matched by code.

A row updates the record holding its code (a new Thai name is a rename: same row, same id, so bookings and users
keep pointing at it; a new ministry_code moves the department). A row whose code the database does not hold yet
takes over a record of the same kind with the same Thai name (in the same ministry, for a department) that still has
the placeholder code the migration gave records made before codes existed (M12, D34, T5: a letter and the id), so
those are adopted instead of duplicated; a record with a real code is never re-coded by its name.
Otherwise the row creates a record. Records the file does not mention are left alone: nothing is ever deleted.
Every problem is found before anything is written; then the changes are flushed (the caller commits once)."""

import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy import select

from clinic.extensions import db
from clinic.organisations.importer import KINDS, ImportProblems, Problem, Row
from clinic.organisations.models import CODE_LENGTH, Department, Ministry, Topic

CODE = re.compile(r"[A-Z0-9][A-Z0-9._-]*")
PLACEHOLDER = re.compile(r"[MDT][0-9]+")  # migrations/versions/c4d6e8f0a2b4_organisation_codes.py
TRUE = {"", "1", "yes", "y", "true", "ใช่"}
FALSE = {"0", "no", "n", "false", "ไม่ใช่"}
LIMITS = {"ministry": 200, "department": 200, "topic": 300}  # name_th and name_en, as the columns allow
ABBREVIATION_LENGTH = 30

R = TypeVar("R", Ministry, Department, Topic)


@dataclass
class ImportSummary:
    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    unchanged: Counter[str] = field(default_factory=Counter)

    def lines(self) -> list[str]:
        plural = {"ministry": "ministries", "department": "departments", "topic": "topics"}
        return [f"{plural[kind]}: {self.created[kind]} created, {self.updated[kind]} updated, "
                f"{self.unchanged[kind]} unchanged" for kind in KINDS]

    @property
    def changed(self) -> bool:
        return bool(sum(self.created.values()) or sum(self.updated.values()))


def row_problems(rows: list[Row]) -> list[Problem]:
    """What is wrong with the rows on their own (the database aside)."""
    problems: list[Problem] = []
    first_code: dict[tuple[str, str], int] = {}
    first_name: dict[tuple[str, str, str], int] = {}
    for row in rows:
        say = problems.append
        if row.kind not in KINDS:
            say(Problem(row.number, f"kind must be ministry, department or topic (got {row.kind!r})"))
            continue
        if not row.code:
            say(Problem(row.number, "code is empty"))
        elif len(row.code) > CODE_LENGTH or not CODE.fullmatch(row.code):
            say(Problem(row.number, f"code {row.code!r} must be letters A-Z, digits, '.', '-' or '_', "
                                    f"at most {CODE_LENGTH} characters"))
        elif (row.kind, row.code) in first_code:
            say(Problem(row.number, f"{row.kind} code {row.code} is already used on row {first_code[row.kind, row.code]}"))
        else:
            first_code[row.kind, row.code] = row.number
        for column, value, label in (("name_th", row.name_th, "Thai name"), ("name_en", row.name_en, "English name")):
            if not value:
                say(Problem(row.number, f"{column} ({label}) is empty"))
            elif len(value) > LIMITS[row.kind]:
                say(Problem(row.number, f"{column} is {len(value)} characters long; at most {LIMITS[row.kind]}"))
        if len(row.abbreviation) > ABBREVIATION_LENGTH:
            say(Problem(row.number, f"abbreviation is {len(row.abbreviation)} characters long; "
                                    f"at most {ABBREVIATION_LENGTH}"))
        if row.kind == "department" and not row.ministry_code:
            say(Problem(row.number, "ministry_code is empty (every department belongs to a ministry)"))
        if row.kind != "department" and row.ministry_code:
            say(Problem(row.number, f"ministry_code is only for departments, not a {row.kind}"))
        if row.kind == "topic" and row.active not in TRUE | FALSE:
            say(Problem(row.number, f"active must be 1 or 0 (got {row.active!r})"))
        if row.kind != "topic" and row.active:
            say(Problem(row.number, f"active is only for topics, not a {row.kind}"))
        if row.name_th:
            key = (row.kind, row.ministry_code, row.name_th)
            if key in first_name:
                say(Problem(row.number, f"name_th {row.name_th!r} is already used on row {first_name[key]}"))
            else:
                first_name[key] = row.number
    return problems


def import_organisations(rows: list[Row]) -> ImportSummary:
    """Create and update ministries, departments and topics from `rows`, all or nothing: raises ImportProblems
    (every problem, each with its row number) before writing anything. Only flushes."""
    problems = row_problems(rows)
    if problems:
        raise ImportProblems(problems)
    by_kind = {kind: [row for row in rows if row.kind == kind] for kind in KINDS}
    summary = ImportSummary()

    # Ministries first: departments name theirs by code, from the file or the database.
    ministries = list(db.session.scalars(select(Ministry)))
    ministry_match = match_records(by_kind["ministry"], ministries, lambda m: (m.name_th,), lambda r: (r.name_th,))
    problems += name_clashes(by_kind["ministry"], ministry_match, ministries, lambda m: (m.name_th,),
                             lambda r: (r.name_th,), "ministry")
    ministry_by_code: dict[str, Ministry | None] = {m.code: m for m in ministries}
    for row, existing in ministry_match.items():
        if existing is not None:
            ministry_by_code.pop(existing.code, None)
        ministry_by_code[row.code] = existing  # None: created by this file
    departments = list(db.session.scalars(select(Department)))
    for row in by_kind["department"]:
        if row.ministry_code not in ministry_by_code:
            problems.append(Problem(row.number, f"unknown ministry_code {row.ministry_code}: no ministry row in the "
                                                "file and no ministry in the database has that code"))
    if problems:
        raise ImportProblems(problems)

    final_ministry_code = {id(existing): row.code for row, existing in ministry_match.items() if existing is not None}

    def department_key(department: Department) -> tuple[str, str]:
        ministry = department.ministry
        return (final_ministry_code.get(id(ministry), ministry.code), department.name_th)

    department_match = match_records(by_kind["department"], departments, department_key,
                                     lambda r: (r.ministry_code, r.name_th))
    problems += name_clashes(by_kind["department"], department_match, departments, department_key,
                             lambda r: (r.ministry_code, r.name_th), "department")
    topics = list(db.session.scalars(select(Topic)))
    topic_match = match_records(by_kind["topic"], topics, lambda t: (t.name_th,), lambda r: (r.name_th,))
    problems += name_clashes(by_kind["topic"], topic_match, topics, lambda t: (t.name_th,), lambda r: (r.name_th,),
                             "topic")
    if problems:
        raise ImportProblems(sorted(problems, key=lambda p: p.row or 0))

    # Nothing is wrong: write. Renames first, then new records, so a name given up by one row is free for another.
    created_ministries: dict[str, Ministry] = {}
    for row, ministry in ministry_match.items():
        values = {"code": row.code, "name_th": row.name_th, "name_en": row.name_en, "abbreviation": row.abbreviation}
        if ministry is None:
            created_ministries[row.code] = Ministry(**values)
        else:
            count(summary, "ministry", assign(ministry, values))
    db.session.flush()
    db.session.add_all(created_ministries.values())
    summary.created["ministry"] += len(created_ministries)
    db.session.flush()
    ministry_of = {m.code: m for m in ministries} | created_ministries
    for row, department in department_match.items():
        if department is not None:
            changed = assign(department, {"code": row.code, "name_th": row.name_th, "name_en": row.name_en,
                                          "abbreviation": row.abbreviation})
            ministry = ministry_of[row.ministry_code]
            if department.ministry_id != ministry.id:
                department.ministry = ministry
                changed = True
            count(summary, "department", changed)
    db.session.flush()
    for row, department in department_match.items():
        if department is None:
            db.session.add(Department(ministry=ministry_of[row.ministry_code], code=row.code, name_th=row.name_th,
                                      name_en=row.name_en, abbreviation=row.abbreviation))
            summary.created["department"] += 1
    db.session.flush()
    new_topics = []
    for row, topic in topic_match.items():
        topic_values: dict[str, object] = {"code": row.code, "name_th": row.name_th, "name_en": row.name_en,
                                           "is_active": row.active in TRUE}
        if topic is None:
            new_topics.append(Topic(**topic_values))
        else:
            count(summary, "topic", assign(topic, topic_values))
    db.session.flush()
    db.session.add_all(new_topics)
    summary.created["topic"] += len(new_topics)
    db.session.flush()
    return summary


def match_records(
    rows: list[Row], records: list[R], record_key: Callable[[R], tuple[str, ...]],
    row_key: Callable[[Row], tuple[str, ...]],
) -> dict[Row, R | None]:
    """The record each row updates: the one with its code, or one with its name and a placeholder code."""
    by_code = {record.code: record for record in records}
    by_name = {record_key(record): record for record in records}
    file_codes = {row.code for row in rows}
    matched: dict[Row, R | None] = {}
    for row in rows:
        record = by_code.get(row.code)
        if record is None:
            candidate = by_name.get(row_key(row))
            if candidate is not None and PLACEHOLDER.fullmatch(candidate.code) and candidate.code not in file_codes:
                record = candidate
        matched[row] = record
    return matched


def name_clashes(
    rows: list[Row], matched: dict[Row, R | None], records: list[R], record_key: Callable[[R], tuple[str, ...]],
    row_key: Callable[[Row], tuple[str, ...]], kind: str,
) -> list[Problem]:
    """A row whose name another record will still hold after the import (one the file does not update)."""
    updated = {id(record) for record in matched.values() if record is not None}
    kept = {record_key(record): record for record in records if id(record) not in updated}
    problems = []
    for row in rows:
        other = kept.get(row_key(row))
        if other is not None:
            problems.append(Problem(row.number, f"name_th {row.name_th!r} already belongs to the {kind} with code "
                                                f"{other.code} in the database"))
    return problems


def assign(record: Ministry | Department | Topic, values: Mapping[str, object]) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(record, name) != value:
            setattr(record, name, value)
            changed = True
    return changed


def count(summary: ImportSummary, kind: str, changed: bool) -> None:
    (summary.updated if changed else summary.unchanged)[kind] += 1
