"""Booking a seat, cancelling it, and the advisor's decision on it."""

import secrets
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any, cast

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Executable,
    ScalarSelect,
    Table,
    and_,
    bindparam,
    func,
    insert,
    literal,
    null,
    select,
    true,
    union_all,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import contains_eager, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from clinic.accounts.models import User
from clinic.accounts.policies import department_scope, is_admin
from clinic.accounts.queries import department_watchers, is_watched
from clinic.audit.services import record_event
from clinic.bookings import documents
from clinic.bookings.clinic_days import refuse_unless_may_book
from clinic.bookings.ics import invitations
from clinic.bookings.models import ACTIVE_STATUSES, Attendee, Booking, BookingStatus, Document
from clinic.bookings.offers import offer_freed_seats
from clinic.bookings.policies import can_book_for, can_cancel_booking, can_decide_booking, is_slot_advisor
from clinic.bookings.rules import DEFAULT_RULES, BookingRules
from clinic.errors import Conflict, DomainError, NotAllowed
from clinic.extensions import db
from clinic.i18n import as_utc, bangkok_today, fiscal_year, format_date, format_datetime
from clinic.notifications.services import notify, withdraw_unsent
from clinic.organisations.models import Department, Topic, advisor_topics
from clinic.scheduling.models import Slot, SlotStatus
from clinic.scheduling.queries import ClosedName, closed_calendar, on_leave_that_day
from clinic.scheduling.services import BOOKING_LEAD_TIME

MAX_ATTENDEES = 10
MAX_DETAILS = 4000
MAX_REASON = 1000
REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

SLOT_TAKEN = _l("ช่วงเวลานี้เพิ่งถูกจองไป กรุณาเลือกช่วงเวลาอื่น")
ONE_SEAT_PER_DEPARTMENT = _l("ส่วนราชการนี้จองที่นั่งในช่วงเวลานี้แล้ว ส่วนราชการหนึ่งจองได้ 1 ที่นั่งต่อช่วงเวลา")


@dataclass(frozen=True)
class AttendeeInput:
    name: str
    position: str


@dataclass(frozen=True)
class BookingRequest:
    slot: Slot
    department: Department
    topic: Topic
    request_details: str
    attendees: list[AttendeeInput]
    document: documents.Upload | None = None
    # The booking form's one-time key: the same form sent twice makes one booking (see `book_slot`).
    submission_key: str | None = None


def new_reference(now: datetime) -> str:
    """'OPDC-2569-7KQ4M2': the BE fiscal year and a random code a person can read out on the phone."""
    code = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))
    return f"OPDC-{fiscal_year(bangkok_today(now))}-{code}"


@dataclass(frozen=True)
class SlotFacts:
    """What the booking rules need beyond the slot's and topic's rows, read with them in one query
    (`booking_scene`, or `slot_facts` for a caller that holds the rows already)."""

    advisor_teaches_topic: bool
    advisor_on_leave: bool
    # This user's booking made with the same form key (a retry after a lost answer, a double click, Back and send).
    earlier_booking_id: int | None = None
    # The slot and the department(s) booked for are locked in this transaction already (see `booking_scene`).
    locked: bool = False
    # The departments (of those read) that someone watches (opted in to copies); None when not read.
    watched_departments: frozenset[int] | None = None


@dataclass(frozen=True)
class BookingScene:
    """The booking page's rows: the topic, the slot (its advisor loaded), the departments the user books for,
    and the slot's facts, from one query."""

    topic: Topic
    slot: Slot
    departments: list[Department]
    facts: SlotFacts


def booking_scene(actor: User, topic_id: int, slot_id: int, submission_key: str | None = None,
                  lock: bool = False) -> BookingScene | None:
    """One query for the booking page and its POST: the active topic, the slot and its advisor, the departments
    in the user's scope, whether the advisor teaches the topic and is on leave that day, and the booking this
    form's key made already. None when any of them is missing (a 404).

    With `lock` (a POST), the same statement takes the locks `book_slot` needs (PostgreSQL; SQLite runs writers
    one at a time from BEGIN IMMEDIATE already): FOR NO KEY UPDATE of the departments in scope, so simultaneous
    bookings of one department count each other's, and FOR KEY SHARE of the slot, which waits for a regeneration
    withdrawing it to commit; the slot's row is then read as it is after any wait."""
    query = (
        select(Slot, Topic, Department, *fact_columns(actor, Slot.advisor_id, Topic.id, submission_key),
               is_watched(Department))
        .select_from(Slot)
        .join(Slot.advisor)
        .join(Topic, and_(Topic.id == topic_id, Topic.is_active))
        .join(Department, department_scope(actor, Department.id))
        .where(Slot.id == slot_id)
        .options(contains_eager(Slot.advisor))
        .order_by(Department.ministry_id, Department.id)
    )
    if lock:
        query = (
            query.with_for_update(key_share=True, of=[Department])
            .suffix_with(f"FOR KEY SHARE OF {Slot.__tablename__}", dialect="postgresql")
            .execution_options(populate_existing=True)
        )
    rows = db.session.execute(query).all()
    if not rows:
        return None
    slot, topic, _department, teaches, on_leave, earlier, _watched = rows[0]
    return BookingScene(
        topic=topic, slot=slot, departments=[row[2] for row in rows],
        facts=SlotFacts(bool(teaches), bool(on_leave), earlier, locked=lock,
                        watched_departments=frozenset(row[2].id for row in rows if row[6])),
    )


def fact_columns(actor: User, advisor_id: Any, topic_id: Any, submission_key: str | None) -> tuple[Any, ...]:
    teaches = select(advisor_topics.c.advisor_id).where(
        advisor_topics.c.advisor_id == advisor_id, advisor_topics.c.topic_id == topic_id
    ).exists()
    earlier = (
        select(Booking.id).where(Booking.booked_by_id == actor.id, Booking.submission_key == submission_key)
        .scalar_subquery() if submission_key else null()
    )
    return teaches, on_leave_that_day(advisor_id, Slot.starts_at), earlier


def slot_facts(actor: User, slot: Slot, topic: Topic, submission_key: str | None) -> SlotFacts:
    """`SlotFacts` for a caller that holds the slot and topic already (one query, no locks)."""
    teaches, on_leave, earlier = db.session.execute(
        select(*fact_columns(actor, Slot.advisor_id, literal(topic.id), submission_key)).where(Slot.id == slot.id)
    ).one()
    return SlotFacts(bool(teaches), bool(on_leave), earlier)


def book_slot(
    actor: User, request: BookingRequest, now: datetime, upload_folder: str, max_upload: int,
    rules: BookingRules = DEFAULT_RULES, facts: SlotFacts | None = None,
) -> Booking:
    """Book a seat in a slot for a department, within `rules`. The database decides races: of two requests for the
    last seat, one wins and the other gets `Conflict` ("this slot was just taken"); of many requests of one
    department, no more than the department's allowance of active bookings succeed.

    `facts` come with the rows from `booking_scene` (the route's one query, which also locks); without them they
    are read here. The common path then sends one statement to claim the seat (and, on PostgreSQL, to write the
    attendees with it), and the audit event and e-mails go with the commit: no savepoint, no re-read."""
    slot, department, topic = request.slot, request.department, request.topic
    if not can_book_for(actor, department):
        raise NotAllowed(_l("คุณจองให้ส่วนราชการนี้ไม่ได้"), field="department")
    refuse_unless_may_book(slot, department)  # a clinic day's session: its own rules (no query for other slots)
    if facts is None:
        facts = slot_facts(actor, slot, topic, request.submission_key)
    if facts.earlier_booking_id is not None:
        # the same form again: a retry after a lost answer, a double click, Back and send
        return db.session.get_one(Booking, facts.earlier_booking_id)
    teaches = topic in slot.clinic_day.topics if slot.clinic_day is not None else facts.advisor_teaches_topic
    if not (slot.status == SlotStatus.OPEN and as_utc(slot.starts_at) >= now + BOOKING_LEAD_TIME
            and topic.is_active and teaches):
        raise DomainError(_l("ช่วงเวลานี้ไม่เปิดให้จองแล้ว"), field="slot")
    day = bangkok_today(slot.starts_at)
    closed = window_calendar(now, day, rules)  # one query: the days an administrator opened or closed
    if not slot.opened_on_closed_day and (closed(day) or facts.advisor_on_leave):
        raise DomainError(_l("ช่วงเวลานี้ตรงกับวันหยุดหรือวันลาของที่ปรึกษา"), field="slot")
    check_booking_window(slot, now, rules, closed)
    details = request.request_details.strip()
    if not details:
        raise DomainError(_l("ระบุเรื่องที่ต้องการรับคำปรึกษา"), field="request_details")
    if len(details) > MAX_DETAILS:
        raise DomainError(_l("เรื่องที่ขอรับคำปรึกษายาวเกิน %(n)s ตัวอักษร", n=MAX_DETAILS), field="request_details")
    attendees = [a for a in request.attendees if a.name.strip() or a.position.strip()]
    if not attendees:
        raise DomainError(_l("ระบุผู้เข้าร่วมอย่างน้อย 1 คน"), field="attendees")
    if len(attendees) > MAX_ATTENDEES:
        raise DomainError(_l("ผู้เข้าร่วมได้ไม่เกิน %(n)s คน", n=MAX_ATTENDEES), field="attendees")
    if any(not a.name.strip() or not a.position.strip() for a in attendees):
        raise DomainError(_l("ระบุทั้งชื่อและตำแหน่งของผู้เข้าร่วมทุกคน"), field="attendees")
    checked = documents.check_upload(request.document, max_upload) if request.document else None
    if not facts.locked:
        lock_department(department)
        lock_slot(slot)
    if slot.status != SlotStatus.OPEN:
        raise Conflict(_l("ช่วงเวลานี้ไม่เปิดให้จองแล้ว"), field="slot")

    booking, made_now = insert_booking(actor, request, details, attendees, now, rules)
    if not made_now:
        return booking
    if checked:
        stored_name = documents.store(checked, upload_folder, db.session())
        db.session.add(
            Document(
                booking_id=booking.id, filename=checked.filename, stored_name=stored_name, kind=checked.kind,
                size=len(checked.data), sha256=checked.sha256, uploaded_by_id=actor.id, uploaded_at=now,
            )
        )
    record_event(actor, "booking.created", booking, now, department_id=department.id,
                 reference=booking.reference, slot_id=slot.id, seat=booking.seat_number)
    watched = facts.watched_departments is None or department.id in facts.watched_departments
    notify([slot.advisor, actor, *(department_watchers(department) if watched else [])], "booking_created", now,
           booking=booking, slot=slot, department=department, topic=topic)
    return booking


def window_calendar(now: datetime, day: date, rules: BookingRules) -> ClosedName:
    """The closed days (see `closed_calendar`) from today to the later of `day` and the end of the notice period,
    read with one query, for both the notice's working days and the day of the slot."""
    today = bangkok_today(now)
    return closed_calendar(today, max(day, today + rules.notice_span))


def check_booking_window(slot: Slot, now: datetime, rules: BookingRules, closed: ClosedName | None = None) -> None:
    """Minimum notice in working days, and no further ahead than the rules allow."""
    earliest = rules.earliest_day(bangkok_today(now), closed)
    if bangkok_today(slot.starts_at) < earliest:
        raise DomainError(
            _l("ต้องจองล่วงหน้าอย่างน้อย %(n)s วันทำการ (ไม่นับวันหยุดราชการ) ช่วงเวลาที่เร็วที่สุดที่จองได้คือวันที่ %(day)s",
               n=rules.min_notice_working_days, day=format_date(earliest)),
            field="slot",
        )
    if as_utc(slot.starts_at) > rules.latest_start(now):
        raise DomainError(_l("จองล่วงหน้าได้ไม่เกิน %(n)s วัน", n=rules.max_days_ahead), field="slot")


def lock_department(department: Department) -> None:
    """Make simultaneous bookings of one department wait for each other until the first commits, so each counts
    the others' bookings (PostgreSQL: FOR NO KEY UPDATE of the department's row, which does not block foreign-key
    checks of other writers; SQLite runs writers one at a time from BEGIN IMMEDIATE already)."""
    db.session.execute(select(Department.id).where(Department.id == department.id).with_for_update(key_share=True))


def lock_slot(slot: Slot) -> None:
    """Regeneration may be withdrawing this very slot: read its status again under a lock that waits for the
    withdrawal to commit (PostgreSQL; SQLite runs writers one at a time), so no booking lands on a withdrawn slot."""
    status = db.session.scalar(select(Slot.status).where(Slot.id == slot.id).with_for_update(read=True, key_share=True))
    if status is not None:
        set_committed_value(slot, "status", status)


def active_upcoming_count(department: Department, now: datetime) -> ScalarSelect[int]:
    """The department's active bookings of sessions still to come."""
    return (
        select(func.count(Booking.id))
        .join(Slot, Booking.slot_id == Slot.id)
        .where(Booking.department_id == department.id, Booking.status.in_(ACTIVE_STATUSES), Slot.starts_at > now)
        .scalar_subquery()
    )


def check_department_allowance(department: Department, slot: Slot, now: datetime, rules: BookingRules) -> None:
    """One active seat per department in a slot, and at most `max_active_per_department` active bookings of
    sessions still to come; call under `lock_department`, so the count holds whatever the concurrency."""
    if department_holds_seat(department, slot):
        raise Conflict(ONE_SEAT_PER_DEPARTMENT, field="slot")
    if (db.session.scalar(select(active_upcoming_count(department, now))) or 0) >= rules.max_active_per_department:
        raise Conflict(
            _l("ส่วนราชการนี้มีการจองที่ยังไม่ถึงวันนัดครบ %(n)s รายการแล้ว ยกเลิกรายการเดิมหรือรอให้ผ่านวันนัดก่อนจึงจองเพิ่มได้",
               n=rules.max_active_per_department),
            field="department",
        )


def booking_made_by(actor: User, submission_key: str | None) -> Booking | None:
    if not submission_key:
        return None
    return db.session.scalar(
        select(Booking).where(Booking.booked_by_id == actor.id, Booking.submission_key == submission_key)
    )


def insert_booking(
    actor: User, request: BookingRequest, details: str, attendees: list[AttendeeInput], now: datetime,
    rules: BookingRules = DEFAULT_RULES,
) -> tuple[Booking, bool]:
    """Claim a free seat (call under the department's and the slot's locks). Returns the booking and whether it
    was made now: when the same submission raced this one and won, its booking is returned instead of a refusal.

    One statement claims the lowest free seat, if the department is within its allowance: an INSERT ... SELECT
    ... ON CONFLICT DO NOTHING that the partial unique indexes (one active booking per seat, one per department
    in a slot, one per form key) still guard. When it inserts nothing, the reason is looked up (this path only):
    the form's twin won, the department holds a seat here or is at its allowance, the slot is full, or a
    simultaneous booking took the seat aimed at, and then it tries the next one."""
    slot = request.slot
    for _attempt in range(slot.capacity):
        booking = claim_seat(actor, request, details, attendees, now, rules)
        if booking is not None:
            return booking, True
        # The seat that filled the slot may be this very submission's, committed by its twin since `book_slot`
        # looked (PostgreSQL's READ COMMITTED shows it now): that booking, not a refusal.
        earlier = booking_made_by(actor, request.submission_key)
        if earlier is not None:
            return earlier, False
        check_department_allowance(request.department, slot, now, rules)
        taken = db.session.scalar(
            select(func.count(Booking.id)).where(Booking.slot_id == slot.id, Booking.status.in_(ACTIVE_STATUSES))
        ) or 0
        if taken >= slot.capacity:
            raise Conflict(SLOT_TAKEN, field="slot")
    raise Conflict(SLOT_TAKEN, field="slot")


CLAIMED_COLUMNS = ("reference", "slot_id", "slot_capacity", "department_id", "topic_id", "booked_by_id", "status",
                   "request_details", "submission_key", "created_at", "decline_reason", "cancel_reason")


@lru_cache(maxsize=256)
def claim_statement(dialect: str, capacity: int, people: int) -> Executable:
    """The seat-claiming INSERT for a slot of `capacity` seats and `people` attendees, built once (its values are
    bound parameters): the lowest seat that no active booking holds, if the department has fewer than
    `max_active` active bookings to come; ON CONFLICT DO NOTHING, so a seat or form key taken meanwhile inserts
    nothing rather than failing. On PostgreSQL the attendees are written by the same statement."""
    table = cast(Table, Booking.__table__)
    people_table = cast(Table, Attendee.__table__)
    seats = union_all(*(select(literal(n).label("n")) for n in range(1, capacity + 1))).subquery("seats")
    taken = select(Booking.seat_number).where(Booking.slot_id == bindparam("slot_id"),
                                              Booking.status.in_(ACTIVE_STATUSES))
    free_seat = select(func.min(seats.c.n)).where(seats.c.n.not_in(taken)).scalar_subquery()
    active = (
        select(func.count(Booking.id))
        .join(Slot, Booking.slot_id == Slot.id)
        .where(Booking.department_id == bindparam("department_id"), Booking.status.in_(ACTIVE_STATUSES),
               Slot.starts_at > bindparam("now", type_=table.c.created_at.type))
        .scalar_subquery()
    )
    columns = [bindparam(name, type_=table.c[name].type).label(name) for name in CLAIMED_COLUMNS]
    candidate = select(*columns, free_seat.label("seat_number")).where(
        free_seat.is_not(None), active < bindparam("max_active")
    )
    insert_into = postgresql_insert if dialect == "postgresql" else sqlite_insert
    claim = (
        insert_into(table).from_select([*CLAIMED_COLUMNS, "seat_number"], candidate).on_conflict_do_nothing()
        .returning(table.c.id, table.c.seat_number)
    )
    if dialect != "postgresql":
        return claim
    # The attendees go in with the booking, in the same statement (a data-modifying WITH).
    claimed = claim.cte("claimed")
    typed = people_table.c
    listed = union_all(*(
        select(literal(i).label("i"), bindparam(f"name_{i}", type_=typed.name.type).label("name"),
               bindparam(f"position_{i}", type_=typed.position.type).label("position"))
        for i in range(people)
    )).subquery("listed")
    written = (
        insert(people_table)
        .from_select(["booking_id", "name", "position"],
                     select(claimed.c.id, listed.c.name, listed.c.position)
                     .select_from(claimed).join(listed, true()).order_by(listed.c.i))
        .returning(typed.id)
        .cte("written")
    )
    return select(claimed.c.id, claimed.c.seat_number, select(func.array_agg(written.c.id)).scalar_subquery())


def claim_seat(
    actor: User, request: BookingRequest, details: str, attendees: list[AttendeeInput], now: datetime,
    rules: BookingRules,
) -> Booking | None:
    """The one INSERT that takes the lowest free seat (None when it took none), and the booking as an object of
    the session built from what was sent and returned, so nothing is read back."""
    slot, department = request.slot, request.department
    values = {
        "reference": new_reference(now), "slot_id": slot.id, "slot_capacity": slot.capacity,
        "department_id": department.id, "topic_id": request.topic.id, "booked_by_id": actor.id,
        "status": BookingStatus.PENDING, "request_details": details,
        "submission_key": request.submission_key or None, "created_at": now, "decline_reason": "",
        "cancel_reason": "",
    }
    people = [(a.name.strip()[:200], a.position.strip()[:200]) for a in attendees]
    dialect = db.session.get_bind().dialect.name
    parameters: dict[str, Any] = {**values, "now": now, "max_active": rules.max_active_per_department}
    statement = claim_statement(dialect, slot.capacity, len(people))
    if dialect == "postgresql":
        for i, (name, position) in enumerate(people):
            parameters[f"name_{i}"], parameters[f"position_{i}"] = name, position
        written_row = db.session.execute(statement, parameters).one_or_none()
        if written_row is None:
            return None
        booking_id, seat, attendee_ids = written_row
        attendee_ids = sorted(attendee_ids)
    else:
        claimed_row = db.session.execute(statement, parameters).one_or_none()
        if claimed_row is None:
            return None
        booking_id, seat = claimed_row
        # One multi-row INSERT; rows get ascending ids in the order listed (writers hold SQLite's one write lock).
        people_table = cast(Table, Attendee.__table__)
        attendee_ids = sorted(db.session.scalars(
            insert(people_table).values(
                [{"booking_id": booking_id, "name": name, "position": position} for name, position in people]
            ).returning(people_table.c.id)
        ))
    booking = Booking(
        id=booking_id, seat_number=seat, **values, decided_at=None, decided_by_id=None, cancelled_at=None,
        cancelled_by_id=None, slot=slot, department=department, topic=request.topic, booked_by=actor,
        decided_by=None, cancelled_by=None, documents=[],
        attendees=[Attendee(id=attendee_id, booking_id=booking_id, name=name, position=position, attended=None)
                   for attendee_id, (name, position) in zip(attendee_ids, people, strict=True)],
    )
    for attendee in booking.attendees:
        make_transient_to_detached(attendee)
    make_transient_to_detached(booking)
    db.session.add(booking)
    return booking


def department_holds_seat(department: Department, slot: Slot) -> bool:
    return bool(db.session.scalar(select(
        select(Booking.id).where(Booking.slot_id == slot.id, Booking.department_id == department.id,
                                 Booking.status.in_(ACTIVE_STATUSES)).exists()
    )))


def checked_reason(reason: str, missing: str) -> str:
    """A cancellation's or a refusal's reason: required, and of a sensible length."""
    reason = reason.strip()
    if not reason:
        raise DomainError(missing, field="reason")
    if len(reason) > MAX_REASON:
        raise DomainError(_l("เหตุผลยาวเกิน %(n)s ตัวอักษร", n=MAX_REASON), field="reason")
    return reason


def cancel_booking(
    actor: User, booking: Booking, reason: str, now: datetime, rules: BookingRules = DEFAULT_RULES
) -> Booking:
    """Cancel an active booking before its session. The department may until `rules.cancel_cutoff` before the
    start; after that only the slot's advisor or an administrator, with their reason."""
    if not can_cancel_booking(actor, booking, now):
        raise NotAllowed(_l("ยกเลิกการจองนี้ไม่ได้"))
    if not (is_slot_advisor(actor, booking) or is_admin(actor)) and now > cancel_deadline(booking, rules):
        raise DomainError(
            _l("ยกเลิกได้ถึง %(when)s (%(n)s ชั่วโมงก่อนเริ่ม) หากจำเป็นต้องยกเลิก กรุณาติดต่อที่ปรึกษา",
               when=format_datetime(cancel_deadline(booking, rules)), n=rules.cancel_cutoff_hours),
            field="reason",
        )
    reason = checked_reason(reason, _l("ระบุเหตุผลที่ยกเลิก"))
    previous = booking.status
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at = now
    booking.cancelled_by_id = actor.id
    booking.cancel_reason = reason
    record_event(actor, "booking.cancelled", booking, now, department_id=booking.department_id,
                 reason=reason, previous_status=previous)
    withdraw_unsent(reminder_key(booking))
    # Those who had the session in their calendars (it was confirmed) get it taken out.
    calendar = invitations(booking, "CANCEL", now) if previous == BookingStatus.CONFIRMED else None
    notify([booking.slot.advisor, booking.booked_by, *department_watchers(booking.department)], "booking_cancelled",
           now, booking=booking, reason=reason, calendar=calendar)
    offer_freed_seats(booking.slot, now, rules)  # the seat goes to the slot's waitlist
    return booking


def cancel_deadline(booking: Booking, rules: BookingRules) -> datetime:
    """Until when the department itself may cancel."""
    return as_utc(booking.slot.starts_at) - rules.cancel_cutoff


def confirm_booking(actor: User, booking: Booking, now: datetime) -> Booking:
    if not can_decide_booking(actor, booking, now):
        raise NotAllowed(_l("ยืนยันการจองนี้ไม่ได้"))
    booking.status = BookingStatus.CONFIRMED
    booking.decided_at = now
    booking.decided_by_id = actor.id
    record_event(actor, "booking.confirmed", booking, now, department_id=booking.department_id)
    slot = booking.slot
    notify([booking.booked_by, *department_watchers(booking.department)], "booking_confirmed", now, booking=booking,
           slot=slot, calendar=invitations(booking, "REQUEST", now))
    return booking


def decline_booking(
    actor: User, booking: Booking, reason: str, now: datetime, rules: BookingRules = DEFAULT_RULES
) -> Booking:
    if not can_decide_booking(actor, booking, now):
        raise NotAllowed(_l("ปฏิเสธการจองนี้ไม่ได้"))
    reason = checked_reason(reason, _l("ระบุเหตุผลที่ปฏิเสธ"))
    booking.status = BookingStatus.DECLINED
    booking.decided_at = now
    booking.decided_by_id = actor.id
    booking.decline_reason = reason
    record_event(actor, "booking.declined", booking, now, department_id=booking.department_id, reason=reason)
    notify([booking.booked_by, *department_watchers(booking.department)], "booking_declined", now, booking=booking,
           reason=reason)
    offer_freed_seats(booking.slot, now, rules)  # the seat goes to the slot's waitlist
    return booking


def expire_pending(now: datetime, rules: BookingRules = DEFAULT_RULES) -> list[Booking]:
    """Requests still pending when their session began become `expired`: the seat is freed, an audit event is
    written and the officer who asked is told by e-mail, all in the caller's transaction. Run again, it finds
    nothing more to do (only pending requests are touched), so a cron job may run it as often as it likes.
    Rows are locked as they are read, skipping those another run or an advisor's decision holds."""
    due = list(
        db.session.scalars(
            select(Booking)
            .join(Slot, Booking.slot_id == Slot.id)
            .where(Booking.status == BookingStatus.PENDING, Slot.starts_at <= now)
            .order_by(Booking.id)
            .with_for_update(of=Booking, skip_locked=True)
        )
    )
    for booking in due:
        booking.status = BookingStatus.EXPIRED
        booking.decided_at = now
        record_event(None, "booking.expired", booking, now, department_id=booking.department_id,
                     reference=booking.reference, slot_id=booking.slot_id)
        notify([booking.booked_by, *department_watchers(booking.department)], "booking_expired", now,
               booking=booking, slot=booking.slot)
        offer_freed_seats(booking.slot, now, rules)  # its session began: this closes the slot's waitlist
    return due


def reminder_key(booking: Booking) -> str:
    """The outbox key of the reminders of a booking's session (queued once; withdrawn if it is cancelled)."""
    return f"reminder:booking:{booking.id}"
