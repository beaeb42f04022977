"""Clinic days held at a ministry: an administrator creates, edits and cancels one; its sessions are slots.

A clinic day's sessions are made with the slot generator's own arithmetic (`sessions_in`): from its start, one
session after another of `session_minutes`, for each advisor who sits that day. They are manual slots tied to the
clinic day (regeneration of an advisor's weekly hours keeps them, and skips what would overlap them). An advisor
on leave that day, or whose calendar holds something else at that hour, is reported as a conflict and gets no
session then; a free slot generated from their weekly hours at OPDC gives way (it is withdrawn): they cannot be
in two places. Editing makes the sessions agree with the new details: free sessions no longer wanted are
withdrawn, sessions holding bookings stay and are reported. Cancelling cancels every active booking with the
administrator's reason and tells each department, as withdrawing a slot does.

Here, not in scheduling, because it reads and changes bookings (scheduling comes before bookings)."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from clinic.accounts.models import Role, User
from clinic.audit.services import record_event
from clinic.bookings.models import ACTIVE_STATUSES, Booking, BookingStatus
from clinic.errors import Conflict, DomainError, NotAllowed
from clinic.extensions import db
from clinic.i18n import as_utc, bangkok_today, format_date
from clinic.notifications.services import notify
from clinic.organisations.models import Department, Ministry, Topic
from clinic.scheduling.generation import Hours, at, sessions_in
from clinic.scheduling.models import (
    MAX_CAPACITY,
    MAX_SESSION_MINUTES,
    MIN_SESSION_MINUTES,
    AdvisorLeave,
    ClinicDay,
    ClinicDayAccess,
    ClinicDayStatus,
    Slot,
    SlotMode,
    SlotSource,
    SlotStatus,
)
from clinic.scheduling.policies import can_manage_clinic_days, may_book_at
from clinic.scheduling.queries import closed_day_name
from clinic.scheduling.services import MAX_DAYS_AHEAD

MAX_ADVISORS = 20
MAX_TOPICS = 30
MAX_TEXT = 300
MAX_NOTE = 1000
MAX_REASON = 1000


@dataclass(frozen=True)
class ClinicDayInput:
    """A clinic day as typed; `ClinicDayForm.clinic_day()` builds it."""

    ministry_id: int | None
    day: date
    venue: str
    room: str
    starts: time
    ends: time
    session_minutes: int
    capacity: int
    access: ClinicDayAccess | str
    advisor_ids: Sequence[int]
    topic_ids: Sequence[int]
    note: str = ""


class Clash(StrEnum):
    """Why an advisor has no session at an hour of the clinic day."""

    LEAVE = "leave"  # on leave that day
    BOOKED = "booked"  # another slot of theirs at that hour holds bookings
    OTHER_SLOT = "other_slot"  # another slot of theirs at that hour (added by hand, or another clinic day)


@dataclass(frozen=True)
class SessionConflict:
    advisor: User
    starts_at: datetime
    ends_at: datetime
    clash: Clash
    slot: Slot | None = None  # the slot in the way (none for leave)


@dataclass
class ClinicDayPlan:
    """What making the sessions does: create, withdraw (free sessions and free generated slots in the way), and
    what it reports instead: conflicts (no session for an advisor at an hour) and booked sessions kept that the
    clinic day no longer asks for."""

    create: list[tuple[int, datetime, datetime]] = field(default_factory=list)
    withdraw: list[Slot] = field(default_factory=list)
    conflicts: list[SessionConflict] = field(default_factory=list)
    kept: list[Slot] = field(default_factory=list)
    sessions: list[Slot] = field(default_factory=list)  # the clinic day's open sessions that stay


@dataclass
class ClinicDayOutcome:
    clinic_day: ClinicDay
    plan: ClinicDayPlan
    created: list[Slot]


def refuse_unless_admin(actor: User) -> None:
    if not can_manage_clinic_days(actor):
        raise NotAllowed(_l("เฉพาะผู้ดูแลระบบเท่านั้นที่จัดการวันคลินิกได้"))


def checked_text(value: str, field_name: str, limit: int, required: str | None = None) -> str:
    value = value.strip()
    if required and not value:
        raise DomainError(required, field=field_name)
    if len(value) > limit:
        raise DomainError(_l("ยาวเกิน %(n)s ตัวอักษร", n=limit), field=field_name)
    return value


@dataclass(frozen=True)
class Checked:
    ministry: Ministry
    day: date
    venue: str
    room: str
    starts: time
    ends: time
    session_minutes: int
    capacity: int
    access: ClinicDayAccess
    advisors: list[User]
    topics: list[Topic]
    note: str


def check_input(data: ClinicDayInput, now: datetime) -> Checked:
    """Every refusal next to its field; nothing is read that the input does not name."""
    ministry = db.session.get(Ministry, data.ministry_id) if data.ministry_id is not None else None
    if ministry is None:
        raise DomainError(_l("เลือกกระทรวงที่เป็นเจ้าภาพ"), field="ministry")
    today = bangkok_today(now)
    if data.day <= today:
        raise DomainError(_l("วันคลินิกต้องเป็นวันหลังจากวันนี้"), field="day")
    if data.day > today + MAX_DAYS_AHEAD:
        raise DomainError(_l("กำหนดล่วงหน้าได้ไม่เกิน 1 ปี"), field="day")
    closed = closed_day_name(data.day)
    if closed:
        raise DomainError(
            _l("วันที่ %(day)s เป็นวันหยุดราชการ (%(name)s) เปิดวันนั้นในหน้าวันหยุดก่อน หากจะจัดคลินิก",
               day=format_date(data.day), name=closed),
            field="day",
        )
    venue = checked_text(data.venue, "venue", MAX_TEXT, _l("ระบุสถานที่จัด"))
    room = checked_text(data.room, "room", MAX_TEXT, _l("ระบุห้องประชุม"))
    note = checked_text(data.note, "note", MAX_NOTE)
    if not MIN_SESSION_MINUTES <= data.session_minutes <= MAX_SESSION_MINUTES:
        raise DomainError(
            _l("เวลาให้คำปรึกษาหนึ่งครั้งต้องอยู่ระหว่าง %(min)s ถึง %(max)s นาที",
               min=MIN_SESSION_MINUTES, max=MAX_SESSION_MINUTES),
            field="session_minutes",
        )
    hours = Hours(data.starts, data.ends)
    if data.ends <= data.starts:
        raise DomainError(_l("เวลาสิ้นสุดต้องหลังเวลาเริ่ม"), field="ends")
    if hours.length() < timedelta(minutes=data.session_minutes):
        raise DomainError(
            _l("ช่วงเวลานี้สั้นกว่าเวลาให้คำปรึกษาหนึ่งครั้ง (%(minutes)s นาที)", minutes=data.session_minutes),
            field="ends",
        )
    if not 1 <= data.capacity <= MAX_CAPACITY:
        raise DomainError(_l("จำนวนที่นั่งต้องอยู่ระหว่าง 1 ถึง %(max)s", max=MAX_CAPACITY), field="capacity")
    try:
        access = ClinicDayAccess(data.access)
    except ValueError:
        raise DomainError(_l("เลือกว่าใครจองได้"), field="access") from None
    advisor_ids = sorted(set(data.advisor_ids))
    if not advisor_ids:
        raise DomainError(_l("เลือกที่ปรึกษาอย่างน้อย 1 คน"), field="advisors")
    if len(advisor_ids) > MAX_ADVISORS:
        raise DomainError(_l("เลือกที่ปรึกษาได้ไม่เกิน %(n)s คน", n=MAX_ADVISORS), field="advisors")
    advisors = list(db.session.scalars(select(User).where(User.id.in_(advisor_ids)).order_by(User.id)))
    if len(advisors) != len(advisor_ids) or any(
        a.role != Role.ADVISOR or not a.is_active_account for a in advisors
    ):
        raise DomainError(_l("เลือกได้เฉพาะที่ปรึกษาที่ยังใช้งานอยู่"), field="advisors")
    topic_ids = sorted(set(data.topic_ids))
    if not topic_ids:
        raise DomainError(_l("เลือกหัวข้ออย่างน้อย 1 หัวข้อ"), field="topics")
    if len(topic_ids) > MAX_TOPICS:
        raise DomainError(_l("เลือกหัวข้อได้ไม่เกิน %(n)s หัวข้อ", n=MAX_TOPICS), field="topics")
    topics = list(db.session.scalars(select(Topic).where(Topic.id.in_(topic_ids)).order_by(Topic.id)))
    if len(topics) != len(topic_ids) or any(not t.is_active for t in topics):
        raise DomainError(_l("เลือกได้เฉพาะหัวข้อที่เปิดให้บริการ"), field="topics")
    return Checked(ministry, data.day, venue, room, data.starts, data.ends, data.session_minutes, data.capacity,
                   access, advisors, topics, note)


def apply(clinic_day: ClinicDay, checked: Checked, now: datetime) -> None:
    clinic_day.venue = checked.venue
    clinic_day.room = checked.room
    clinic_day.starts = checked.starts
    clinic_day.ends = checked.ends
    clinic_day.session_minutes = checked.session_minutes
    clinic_day.capacity = checked.capacity
    clinic_day.access = checked.access
    clinic_day.note = checked.note
    clinic_day.advisors = checked.advisors
    clinic_day.topics = checked.topics
    clinic_day.updated_at = now


def create_clinic_day(actor: User, data: ClinicDayInput, now: datetime) -> ClinicDayOutcome:
    """A new clinic day and its sessions, all in the caller's transaction. A cancelled one of the same ministry and
    day opens again with the new details (one row per ministry and day)."""
    refuse_unless_admin(actor)
    checked = check_input(data, now)
    clinic_day = db.session.scalar(
        select(ClinicDay).where(ClinicDay.ministry_id == checked.ministry.id, ClinicDay.day == checked.day)
    )
    if clinic_day is not None and clinic_day.is_open:
        raise DomainError(
            _l("มีวันคลินิกที่%(ministry)sในวันที่ %(day)s แล้ว", ministry=checked.ministry.name_th,
               day=format_date(checked.day)),
            field="day",
        )
    if clinic_day is None:
        clinic_day = ClinicDay(ministry=checked.ministry, day=checked.day, created_by_id=actor.id)
        db.session.add(clinic_day)
    clinic_day.status = ClinicDayStatus.OPEN
    clinic_day.cancel_reason = ""
    apply(clinic_day, checked, now)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as error:  # another administrator made the same ministry's clinic day this moment
        raise Conflict(_l("มีผู้สร้างวันคลินิกนี้พร้อมกัน กรุณาโหลดหน้าใหม่"), field="day") from error
    outcome = make_sessions(clinic_day, now)
    record_event(actor, "clinic_day.created", clinic_day, now, ministry_id=checked.ministry.id,
                 day=checked.day.isoformat(), advisors=[a.id for a in checked.advisors],
                 topics=[t.id for t in checked.topics], access=str(checked.access),
                 sessions=[s.id for s in outcome.created], conflicts=len(outcome.plan.conflicts))
    return outcome


def update_clinic_day(actor: User, clinic_day: ClinicDay, data: ClinicDayInput, now: datetime) -> ClinicDayOutcome:
    """New details for an open clinic day still to come; its ministry and date stay (cancel it and make another
    to move it). The sessions follow: see `plan_sessions`."""
    refuse_unless_admin(actor)
    if not clinic_day.is_open:
        raise DomainError(_l("วันคลินิกนี้ถูกยกเลิกแล้ว"))
    if clinic_day.day <= bangkok_today(now):
        raise DomainError(_l("แก้ไขวันคลินิกที่ถึงแล้วหรือผ่านไปแล้วไม่ได้"))
    if data.ministry_id != clinic_day.ministry_id:
        raise DomainError(_l("เปลี่ยนกระทรวงที่เป็นเจ้าภาพไม่ได้ ยกเลิกวันคลินิกนี้แล้วสร้างใหม่"), field="ministry")
    if data.day != clinic_day.day:
        raise DomainError(_l("เปลี่ยนวันที่ไม่ได้ ยกเลิกวันคลินิกนี้แล้วสร้างใหม่"), field="day")
    checked = check_input(data, now)
    apply(clinic_day, checked, now)
    db.session.flush()
    outcome = make_sessions(clinic_day, now)
    for slot in outcome.plan.sessions + outcome.plan.kept:
        slot.location = clinic_day.place  # a new room reaches the sessions already booked too
    record_event(actor, "clinic_day.updated", clinic_day, now, advisors=[a.id for a in checked.advisors],
                 topics=[t.id for t in checked.topics], access=str(checked.access),
                 created=[s.id for s in outcome.created], withdrawn=[s.id for s in outcome.plan.withdraw],
                 kept=[s.id for s in outcome.plan.kept], conflicts=len(outcome.plan.conflicts))
    return outcome


def wanted_sessions(clinic_day: ClinicDay, now: datetime) -> list[tuple[datetime, datetime]]:
    """The clinic day's sessions in UTC, one after another from its start (no pause), those still to start."""
    sessions = sessions_in(
        Hours(clinic_day.starts, clinic_day.ends), timedelta(minutes=clinic_day.session_minutes), timedelta(0)
    )
    wanted = [(at(clinic_day.day, s.start), at(clinic_day.day, s.end)) for s in sessions]
    return [(starts_at, ends_at) for starts_at, ends_at in wanted if starts_at > now]


def plan_sessions(clinic_day: ClinicDay, now: datetime, lock: bool = False) -> ClinicDayPlan:
    """Compare the sessions the clinic day asks for with its advisors' calendars that day. Five queries,
    whatever the number of advisors and sessions.

    With `lock` (making them), the advisors' rows are locked first, in id order, so two administrators making
    sessions for the same advisor on the same day (two clinic days, or one edited twice) take turns and the
    second sees the first's sessions (PostgreSQL; SQLite runs writers one at a time)."""
    advisor_ids = sorted(a.id for a in clinic_day.advisors)
    if lock and advisor_ids:
        db.session.execute(
            select(User.id).where(User.id.in_(advisor_ids)).order_by(User.id).with_for_update(key_share=True)
        )
    day_start = at(clinic_day.day, time(0))
    day_end = at(clinic_day.day + timedelta(days=1), time(0))
    slots = list(
        db.session.scalars(
            select(Slot).where(
                Slot.status == SlotStatus.OPEN,
                Slot.starts_at < day_end,
                Slot.ends_at > day_start,
                (Slot.clinic_day_id == clinic_day.id) | Slot.advisor_id.in_(advisor_ids),
            ).order_by(Slot.starts_at, Slot.id)
        )
    )
    held = holding_bookings([s.id for s in slots])
    on_leave = set(
        db.session.scalars(
            select(AdvisorLeave.advisor_id).where(
                AdvisorLeave.advisor_id.in_(advisor_ids),
                AdvisorLeave.first_day <= clinic_day.day,
                AdvisorLeave.last_day >= clinic_day.day,
            )
        )
    )
    wanted = wanted_sessions(clinic_day, now)
    plan = ClinicDayPlan()
    ours = [s for s in slots if s.clinic_day_id == clinic_day.id]
    others = [s for s in slots if s.clinic_day_id != clinic_day.id]
    wanted_keys = {(a, s, e) for a in advisor_ids for s, e in wanted}
    satisfied = set()
    for slot in ours:
        key = (slot.advisor_id, as_utc(slot.starts_at), as_utc(slot.ends_at))
        if as_utc(slot.starts_at) <= now:
            plan.sessions.append(slot)  # begun: history, left as it is
        elif key in wanted_keys and slot.capacity == clinic_day.capacity and slot.advisor_id not in on_leave:
            plan.sessions.append(slot)
            satisfied.add(key)
        elif slot.id in held:
            plan.kept.append(slot)
            if key in wanted_keys:
                satisfied.add(key)
        else:
            plan.withdraw.append(slot)
    staying = [s for s in ours if s not in plan.withdraw]
    advisors = {a.id: a for a in clinic_day.advisors}
    for advisor_id in advisor_ids:
        for starts_at, ends_at in wanted:
            key = (advisor_id, starts_at, ends_at)
            if key in satisfied:
                continue
            advisor = advisors[advisor_id]
            if advisor_id in on_leave:
                plan.conflicts.append(SessionConflict(advisor, starts_at, ends_at, Clash.LEAVE))
                continue
            in_the_way = [
                s for s in others + staying
                if s.advisor_id == advisor_id and as_utc(s.starts_at) < ends_at and starts_at < as_utc(s.ends_at)
            ]
            blocker = next(
                (s for s in in_the_way if s.id in held or s.source != SlotSource.GENERATED or s in staying), None
            )
            if blocker is not None:
                clash = Clash.BOOKED if blocker.id in held else Clash.OTHER_SLOT
                plan.conflicts.append(SessionConflict(advisor, starts_at, ends_at, clash, blocker))
                continue
            for slot in in_the_way:  # free slots generated from the weekly hours at OPDC give way
                if slot not in plan.withdraw:
                    plan.withdraw.append(slot)
            plan.create.append(key)
    return plan


def holding_bookings(slot_ids: Sequence[int]) -> set[int]:
    if not slot_ids:
        return set()
    return set(
        db.session.scalars(
            select(Booking.slot_id)
            .where(Booking.slot_id.in_(list(slot_ids)), Booking.status.in_(ACTIVE_STATUSES))
            .distinct()
        )
    )


def make_sessions(clinic_day: ClinicDay, now: datetime) -> ClinicDayOutcome:
    """Carry out `plan_sessions`: withdraw first (a new session may take the hours of a slot withdrawn), then
    create. If another writer put a slot in the way between the plan and the insert, the database refuses the
    overlap and nothing of this change stays."""
    plan = plan_sessions(clinic_day, now, lock=True)
    for slot in plan.withdraw:
        slot.status = SlotStatus.CANCELLED
    db.session.flush()
    created = [
        Slot(
            advisor_id=advisor_id, starts_at=starts_at, ends_at=ends_at, capacity=clinic_day.capacity,
            mode=SlotMode.ONSITE, location=clinic_day.place, clinic_day_id=clinic_day.id,
            source=SlotSource.MANUAL, created_at=now,
        )
        for advisor_id, starts_at, ends_at in plan.create
    ]
    try:
        with db.session.begin_nested():
            db.session.add_all(created)
            db.session.flush()
    except IntegrityError as error:
        raise Conflict(_l("ปฏิทินของที่ปรึกษาเปลี่ยนระหว่างสร้างช่วงเวลา กรุณาลองอีกครั้ง")) from error
    plan.sessions.extend(created)
    return ClinicDayOutcome(clinic_day, plan, created)


def cancel_clinic_day(actor: User, clinic_day: ClinicDay, reason: str, now: datetime) -> list[Booking]:
    """Cancel a clinic day still to come: its sessions are withdrawn and every active booking on them is cancelled
    with `reason` (required when there is one), each department and advisor told. Returns the bookings cancelled."""
    refuse_unless_admin(actor)
    if not clinic_day.is_open:
        raise DomainError(_l("วันคลินิกนี้ถูกยกเลิกแล้ว"))
    if clinic_day.day < bangkok_today(now):
        raise DomainError(_l("ยกเลิกวันคลินิกที่ผ่านไปแล้วไม่ได้"))
    reason = reason.strip()
    if len(reason) > MAX_REASON:
        raise DomainError(_l("เหตุผลยาวเกิน %(n)s ตัวอักษร", n=MAX_REASON), field="reason")
    slots = list(
        db.session.scalars(
            select(Slot)
            .where(Slot.clinic_day_id == clinic_day.id, Slot.status == SlotStatus.OPEN)
            .with_for_update()
        )
    )
    bookings = list(
        db.session.scalars(
            select(Booking)
            .where(Booking.slot_id.in_([s.id for s in slots]), Booking.status.in_(ACTIVE_STATUSES))
            .order_by(Booking.id)
            .with_for_update()
        )
    ) if slots else []
    if any(as_utc(s.starts_at) <= now for s in slots if any(b.slot_id == s.id for b in bookings)):
        raise DomainError(_l("วันคลินิกนี้มีการให้คำปรึกษาที่เริ่มแล้ว ยกเลิกทั้งวันไม่ได้"))
    if bookings and not reason:
        raise DomainError(
            _l("วันคลินิกนี้มีการจอง %(n)s รายการ ระบุเหตุผลที่ยกเลิก ระบบจะแจ้งส่วนราชการที่จองไว้", n=len(bookings)),
            field="reason",
        )
    for booking in bookings:
        previous = booking.status
        booking.status = BookingStatus.CANCELLED
        booking.cancelled_at = now
        booking.cancelled_by_id = actor.id
        booking.cancel_reason = reason
        record_event(actor, "booking.cancelled", booking, now, department_id=booking.department_id,
                     reason=reason, previous_status=previous, clinic_day_id=clinic_day.id)
        notify([booking.slot.advisor, booking.booked_by], "booking_cancelled", now, booking=booking, reason=reason)
    for slot in slots:
        slot.status = SlotStatus.CANCELLED
    clinic_day.status = ClinicDayStatus.CANCELLED
    clinic_day.cancel_reason = reason
    clinic_day.updated_at = now
    db.session.flush()
    record_event(actor, "clinic_day.cancelled", clinic_day, now, reason=reason,
                 bookings=[b.reference for b in bookings], slots=[s.id for s in slots])
    return bookings


def refuse_unless_may_book(slot: Slot, department: Department) -> None:
    """A clinic day's sessions: open ones only, and only for the departments it admits (see `may_book_at`)."""
    clinic_day = slot.clinic_day
    if clinic_day is None:
        return
    if not clinic_day.is_open:
        raise DomainError(_l("วันคลินิกนี้ถูกยกเลิกแล้ว"), field="slot")
    if not may_book_at(department, clinic_day):
        raise NotAllowed(
            _l("วันคลินิกนี้เปิดให้เฉพาะส่วนราชการในสังกัด%(ministry)s จองได้", ministry=clinic_day.ministry.name_th),
            field="department",
        )
