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
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, Table, and_, func, select, update

from clinic.audit.services import record_event
from clinic.errors import DomainError, NotAllowed
from clinic.extensions import db
from clinic.organisations.importer import KINDS, ImportProblems, Problem, Row
from clinic.organisations.models import CODE_LENGTH, Department, FormerDepartmentName, Ministry, Topic
from clinic.organisations.policies import can_manage_organisations

if TYPE_CHECKING:
    from clinic.accounts.models import User

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


# -- administrators manage ministries, departments and topics by hand -------------------------------------------------
# Each service takes the acting administrator and `now`, checks everything before it writes, raises a DomainError
# naming the form field that is wrong (nothing changed), records an audit event and only flushes.

NAME_EMPTY = _l("กรุณากรอกชื่อ")
CODE_INVALID = _l("รหัสใช้ได้เฉพาะตัวอักษร A-Z ตัวเลข จุด ขีด หรือขีดล่าง ไม่เกิน 40 ตัว เช่น MOI-DOPA")
CODE_TAKEN = _l("รหัสนี้มีอยู่แล้ว")
NAME_TAKEN = _l("ชื่อนี้มีอยู่แล้ว")
DEPARTMENT_NAME_TAKEN = _l("กระทรวงนี้มีส่วนราชการชื่อนี้อยู่แล้ว")
RETIRED = _l("ส่วนราชการนี้ถูกควบรวมแล้ว แก้ไขไม่ได้")
MERGE_SAME = _l("เลือกส่วนราชการอื่นที่จะรับโอน ไม่ใช่ส่วนราชการเดียวกัน")
MERGE_INTO_RETIRED = _l("ส่วนราชการที่รับโอนถูกควบรวมไปแล้ว เลือกส่วนราชการที่ยังใช้งานอยู่")
ONLY_ADMINISTRATORS = _l("เฉพาะผู้ดูแลระบบเท่านั้นที่จัดการกระทรวง ส่วนราชการ และหัวข้อได้")
# Rows that keep pointing at the merged department: the audit log says what happened where, as it happened.
HISTORY_TABLES = {"departments", "former_department_names", "audit_events"}


def _allowed(actor: "User") -> None:
    if not can_manage_organisations(actor):
        raise NotAllowed(ONLY_ADMINISTRATORS)


def _text(value: str, field_name: str, limit: int, required: bool = True) -> str:
    value = " ".join((value or "").split())  # one line: no tabs, line breaks or runs of spaces in a name
    if required and not value:
        raise DomainError(NAME_EMPTY, field=field_name)
    if len(value) > limit:
        raise DomainError(_l("ยาวเกินกำหนด (ไม่เกิน %(limit)s ตัวอักษร)", limit=limit), field=field_name)
    return value


def _code(value: str, model: type[Ministry | Department | Topic]) -> str:
    code = (value or "").strip().upper()
    if len(code) > CODE_LENGTH or not CODE.fullmatch(code):
        raise DomainError(CODE_INVALID, field="code")
    if db.session.scalar(select(model.id).where(model.code == code)) is not None:
        raise DomainError(CODE_TAKEN, field="code")
    return code


@dataclass(frozen=True)
class Names:
    """What a form gives for a ministry, department or topic (topics have no abbreviation)."""

    name_th: str
    name_en: str
    abbreviation: str = ""


def _names(names: Names, kind: str) -> Names:
    limit = LIMITS[kind]
    return Names(_text(names.name_th, "name_th", limit), _text(names.name_en, "name_en", limit),
                 _text(names.abbreviation, "abbreviation", ABBREVIATION_LENGTH, required=kind != "topic")
                 if kind != "topic" else "")


def _ministry_name_free(name_th: str, ministry: Ministry | None = None) -> None:
    other = db.session.scalar(select(Ministry.id).where(Ministry.name_th == name_th))
    if other is not None and (ministry is None or other != ministry.id):
        raise DomainError(NAME_TAKEN, field="name_th")


def create_ministry(actor: "User", code: str, names: Names, now: datetime) -> Ministry:
    _allowed(actor)
    code = _code(code, Ministry)
    names = _names(names, "ministry")
    _ministry_name_free(names.name_th)
    ministry = Ministry(code=code, name_th=names.name_th, name_en=names.name_en, abbreviation=names.abbreviation)
    db.session.add(ministry)
    record_event(actor, "ministry.created", ministry, now, code=code, name_th=names.name_th)
    return ministry


def update_ministry(actor: "User", ministry: Ministry, names: Names, now: datetime) -> bool:
    """Change a ministry's names and abbreviation; False when nothing changed."""
    _allowed(actor)
    names = _names(names, "ministry")
    _ministry_name_free(names.name_th, ministry)
    before = {"name_th": ministry.name_th, "name_en": ministry.name_en, "abbreviation": ministry.abbreviation}
    if not assign(ministry, vars(names)):
        return False
    record_event(actor, "ministry.updated", ministry, now, before=before, after=vars(names))
    return True


def _department_name_free(ministry_id: int, name_th: str, department: Department | None = None) -> None:
    other = db.session.scalar(
        select(Department.id).where(Department.ministry_id == ministry_id, Department.name_th == name_th)
    )
    if other is not None and (department is None or other != department.id):
        raise DomainError(DEPARTMENT_NAME_TAKEN, field="name_th")


def create_department(actor: "User", ministry: Ministry, code: str, names: Names, now: datetime) -> Department:
    _allowed(actor)
    code = _code(code, Department)
    names = _names(names, "department")
    _department_name_free(ministry.id, names.name_th)
    department = Department(ministry=ministry, code=code, name_th=names.name_th, name_en=names.name_en,
                            abbreviation=names.abbreviation)
    db.session.add(department)
    record_event(actor, "department.created", department, now, department_id=None, code=code,
                 name_th=names.name_th, ministry_id=ministry.id)
    return department


def rename_department(actor: "User", department: Department, names: Names, now: datetime) -> bool:
    """A new name for the same department (same id and code: its bookings, people and records stay with it); the
    old names are kept as a former name. False when nothing changed."""
    _allowed(actor)
    if department.is_retired:
        raise DomainError(RETIRED)
    names = _names(names, "department")
    _department_name_free(department.ministry_id, names.name_th, department)
    before = Names(department.name_th, department.name_en, department.abbreviation)
    if before == names:
        return False
    db.session.add(FormerDepartmentName(department=department, name_th=before.name_th, name_en=before.name_en,
                                        abbreviation=before.abbreviation, until=now))
    assign(department, vars(names))
    record_event(actor, "department.renamed", department, now, department_id=department.id, before=vars(before),
                 after=vars(names))
    return True


@dataclass(frozen=True)
class MergePlan:
    """What merging `merged` into `survivor` moves (rows per table that point at the merged department), and what
    stops it: slots where both departments hold an active booking (one seat per department and slot)."""

    merged: Department
    survivor: Department
    moves: dict[str, int]
    clashes: list[str]  # booking references of the merged department that would clash

    @property
    def possible(self) -> bool:
        return not self.clashes


def _department_references() -> list[tuple[Table, Column[int]]]:
    """Every column of a later area's table that holds a department id (bookings, users, next steps,
    acknowledgements...), found in the metadata: this area sits beneath those and does not import them."""
    found = []
    for table in db.metadata.sorted_tables:
        if table.name in HISTORY_TABLES:
            continue
        for foreign_key in table.foreign_keys:
            if foreign_key.column.table.name == "departments":
                found.append((table, foreign_key.parent))
    return found


def merge_plan(merged: Department, survivor: Department) -> MergePlan:
    moves: dict[str, int] = {}
    for table, column in _department_references():
        n = db.session.scalar(select(func.count()).select_from(table).where(column == merged.id)) or 0
        if n:
            moves[table.name] = moves.get(table.name, 0) + n
    bookings = db.metadata.tables["bookings"]
    mine, theirs = bookings.alias("mine"), bookings.alias("theirs")
    active = ("pending", "confirmed")  # bookings.models.ACTIVE_STATUSES, named here as audit names roles
    clashes = list(db.session.scalars(
        select(mine.c.reference)
        .join(theirs, and_(theirs.c.slot_id == mine.c.slot_id, theirs.c.department_id == survivor.id,
                           theirs.c.status.in_(active)))
        .where(mine.c.department_id == merged.id, mine.c.status.in_(active))
        .order_by(mine.c.reference)
    ))
    return MergePlan(merged=merged, survivor=survivor, moves=moves, clashes=clashes)


def check_merge(merged: Department, survivor: Department) -> None:
    if merged.id == survivor.id:
        raise DomainError(MERGE_SAME, field="survivor")
    if merged.is_retired:
        raise DomainError(RETIRED)
    if survivor.is_retired:
        raise DomainError(MERGE_INTO_RETIRED, field="survivor")


def merge_departments(actor: "User", merged: Department, survivor: Department, now: datetime) -> MergePlan:
    """Merge `merged` into `survivor` in a reorganisation: its bookings, people, next steps and acknowledgements
    move to the survivor, and it is retired (kept, with its names, so that the audit log and old exports still
    name it). All or nothing: refused before anything is written if both hold an active booking of one slot."""
    _allowed(actor)
    check_merge(merged, survivor)
    plan = merge_plan(merged, survivor)
    if not plan.possible:
        raise DomainError(_l("ทั้งสองส่วนราชการมีคำขอที่ยังดำเนินการอยู่ในช่วงเวลาเดียวกัน (%(references)s) "
                             "ยกเลิกรายการหนึ่งก่อนควบรวม", references=", ".join(plan.clashes)), field="survivor")
    db.session.flush()
    for table, column in _department_references():
        db.session.execute(update(table).where(column == merged.id).values({column.name: survivor.id}))
    merged.retired_at = now
    merged.merged_into = survivor
    record_event(actor, "department.merged", merged, now, department_id=merged.id, survivor_id=survivor.id,
                 survivor=survivor.name_th, moved=plan.moves)
    db.session.flush()
    db.session.expire_all()  # loaded bookings and people still hold the old department id
    return plan


def _topic_name_free(name_th: str, topic: Topic | None = None) -> None:
    other = db.session.scalar(select(Topic.id).where(Topic.name_th == name_th))
    if other is not None and (topic is None or other != topic.id):
        raise DomainError(NAME_TAKEN, field="name_th")


def create_topic(actor: "User", code: str, names: Names, now: datetime) -> Topic:
    _allowed(actor)
    code = _code(code, Topic)
    names = _names(names, "topic")
    _topic_name_free(names.name_th)
    topic = Topic(code=code, name_th=names.name_th, name_en=names.name_en, is_active=True)
    db.session.add(topic)
    record_event(actor, "topic.created", topic, now, code=code, name_th=names.name_th)
    return topic


def update_topic(actor: "User", topic: Topic, names: Names, active: bool, now: datetime) -> bool:
    """New names, or retire (or bring back) a topic: a retired topic cannot be booked, its sessions stay."""
    _allowed(actor)
    names = _names(names, "topic")
    _topic_name_free(names.name_th, topic)
    before = {"name_th": topic.name_th, "name_en": topic.name_en, "is_active": topic.is_active}
    after = {"name_th": names.name_th, "name_en": names.name_en, "is_active": bool(active)}
    if not assign(topic, after):
        return False
    record_event(actor, "topic.updated", topic, now, before=before, after=after)
    return True
