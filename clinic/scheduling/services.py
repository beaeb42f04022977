"""Advisors' availability: creating slots, closed days (leave and Thai public holidays), open-slot search."""

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from clinic.accounts.models import User
from clinic.accounts.policies import is_advisor
from clinic.audit.services import record_event
from clinic.errors import Conflict, DomainError, NotAllowed
from clinic.extensions import db
from clinic.i18n import BANGKOK, as_utc, bangkok_today, format_date, format_datetime
from clinic.organisations.models import Topic
from clinic.scheduling.generation import (
    Exceptions,
    ExistingSlot,
    Hours,
    Reconciliation,
    Rules,
    horizon_days,
    horizon_end,
    plan_reconciliation,
    unwanted_reason,
    wanted_slots,
)
from clinic.scheduling.models import (
    MAX_BUFFER_MINUTES,
    MAX_CAPACITY,
    MAX_SESSION_MINUTES,
    MIN_SESSION_MINUTES,
    AdvisorLeave,
    Availability,
    DateOverride,
    DateOverrideKind,
    Slot,
    SlotMode,
    SlotSource,
    SlotStatus,
    WeeklyHours,
)
from clinic.scheduling.policies import can_manage_calendar, can_open_closed_day
from clinic.scheduling.queries import closed_calendar, closed_day_name, leave_on

BOOKING_LEAD_TIME = timedelta(hours=2)
MAX_REPEAT_WEEKS = 26
MAX_DAYS_AHEAD = timedelta(days=366)
MIN_SLOT_LENGTH = timedelta(minutes=15)
MAX_SLOT_LENGTH = timedelta(hours=8)


@dataclass(frozen=True)
class SlotPlan:
    """What an advisor asks for: one slot, or the same hours repeated weekly."""

    first_day: date
    start: time
    end: time
    mode: SlotMode | str
    location: str = ""
    meeting_url: str = ""
    capacity: int = 1
    weeks: int = 1


def create_slots(actor: User, advisor: User, plan: SlotPlan, now: datetime, open_closed_days: bool = False) -> list[Slot]:
    """Create the slots of `plan` for `advisor`, all or none.

    An advisor creates their own slots; an administrator may create them for any advisor and is the only
    one who may open a slot on a public holiday or a day of leave (`open_closed_days`)."""
    if not can_manage_calendar(actor, advisor):
        raise NotAllowed(_l("คุณจัดการได้เฉพาะปฏิทินของตนเอง"))
    if not is_advisor(advisor):
        raise DomainError(_l("ผู้ใช้นี้ไม่ใช่ที่ปรึกษา"))
    if open_closed_days and not can_open_closed_day(actor):
        raise NotAllowed(_l("เฉพาะผู้ดูแลระบบเท่านั้นที่เปิดช่วงเวลาในวันหยุดได้"))
    mode = validate_plan(plan)
    if plan.first_day > bangkok_today(now) + MAX_DAYS_AHEAD:
        raise DomainError(_l("เปิดช่วงเวลาล่วงหน้าได้ไม่เกิน 1 ปี"), field="first_day")

    slots = []
    for week in range(plan.weeks):
        day = plan.first_day + timedelta(weeks=week)
        starts_at = datetime.combine(day, plan.start, BANGKOK).astimezone(now.tzinfo)
        ends_at = datetime.combine(day, plan.end, BANGKOK).astimezone(now.tzinfo)
        if starts_at <= now:
            raise DomainError(_l("เวลาเริ่มต้องอยู่ในอนาคต"), field="first_day")
        if not open_closed_days:
            refuse_closed_day(advisor.id, day)
        refuse_overlap(advisor.id, starts_at, ends_at)
        slots.append(
            Slot(
                advisor_id=advisor.id,
                starts_at=starts_at,
                ends_at=ends_at,
                capacity=plan.capacity,
                mode=mode,
                location=plan.location.strip() if mode == SlotMode.ONSITE else "",
                meeting_url=plan.meeting_url.strip() if mode == SlotMode.ONLINE else "",
                opened_on_closed_day=open_closed_days,
                created_at=now,
            )
        )
    try:
        with db.session.begin_nested():
            db.session.add_all(slots)
            db.session.flush()
    except IntegrityError as error:
        # Another request created an overlapping slot between our check and our insert.
        raise Conflict(_l("ช่วงเวลานี้ซ้อนกับช่วงเวลาอื่นของคุณ")) from error
    for slot in slots:
        record_event(actor, "slot.created", slot, now, advisor_id=advisor.id, starts_at=slot.starts_at.isoformat())
    return slots


def validate_plan(plan: SlotPlan) -> SlotMode:
    """Refuse a plan that cannot be slots; returns its mode."""
    try:
        mode = SlotMode(plan.mode)
    except ValueError:
        raise DomainError(_l("เลือกรูปแบบการให้คำปรึกษา"), field="mode") from None
    if mode == SlotMode.ONSITE and not plan.location.strip():
        raise DomainError(_l("ระบุห้องประชุม"), field="location")
    if mode == SlotMode.ONLINE and not plan.meeting_url.strip().startswith("https://"):
        raise DomainError(_l("ระบุลิงก์การประชุมออนไลน์ที่ขึ้นต้นด้วย https://"), field="meeting_url")
    if not 1 <= plan.capacity <= MAX_CAPACITY:
        raise DomainError(_l("จำนวนที่นั่งต้องอยู่ระหว่าง 1 ถึง %(max)s", max=MAX_CAPACITY), field="capacity")
    if not 1 <= plan.weeks <= MAX_REPEAT_WEEKS:
        raise DomainError(_l("ทำซ้ำได้ 1 ถึง %(max)s สัปดาห์", max=MAX_REPEAT_WEEKS), field="weeks")
    length = datetime.combine(plan.first_day, plan.end) - datetime.combine(plan.first_day, plan.start)
    if length <= timedelta(0):
        raise DomainError(_l("เวลาสิ้นสุดต้องหลังเวลาเริ่ม"), field="end")
    if not MIN_SLOT_LENGTH <= length <= MAX_SLOT_LENGTH:
        raise DomainError(_l("ช่วงเวลาหนึ่งต้องยาว 15 นาทีถึง 8 ชั่วโมง"), field="end")
    return mode


def refuse_closed_day(advisor_id: int, day: date) -> None:
    name = closed_day_name(day)
    if name:
        raise DomainError(_l("วันที่ %(day)s เป็นวันหยุดราชการ (%(name)s)", day=format_date(day), name=name), field="first_day")
    if leave_on(advisor_id, day):
        raise DomainError(_l("วันที่ %(day)s คุณลาอยู่", day=format_date(day)), field="first_day")


def refuse_overlap(advisor_id: int, starts_at: datetime, ends_at: datetime) -> None:
    clash = db.session.scalar(
        select(Slot.starts_at).where(
            Slot.advisor_id == advisor_id,
            Slot.status == SlotStatus.OPEN,
            Slot.starts_at < ends_at,
            Slot.ends_at > starts_at,
        )
    )
    if clash is not None:
        raise DomainError(_l("ช่วงเวลานี้ซ้อนกับช่วงเวลาที่มีอยู่แล้ว (%(when)s)", when=format_datetime(clash)), field="start")


def slot_is_bookable(slot: Slot, topic: Topic, now: datetime) -> bool:
    """Open, far enough ahead, and on `topic`: a clinic day's session takes the clinic day's topics, any other
    slot the advisor's expertise."""
    topics = slot.clinic_day.topics if slot.clinic_day is not None else slot.advisor.expertise
    return (
        slot.status == SlotStatus.OPEN
        and as_utc(slot.starts_at) >= now + BOOKING_LEAD_TIME
        and topic.is_active
        and topic in topics
    )



# Availability: weekly hours, dated exceptions and leave, and the slots generated from them.

SlotHolds = Callable[[Collection[int]], set[int]]
MAX_RANGES_PER_DAY = 6
MAX_LEAVE_DAYS = 366
MAX_NOTE = 300
WEEKDAY_FIELDS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Regeneration:
    """How regeneration sees the world beyond scheduling: how many weeks ahead it generates slots, and which
    slots hold active bookings (a read of the bookings area, `clinic.bookings.queries.slots_holding_bookings`,
    handed in because scheduling comes before bookings)."""

    weeks: int
    holding: SlotHolds


@dataclass(frozen=True)
class AvailabilityInput:
    """An advisor's availability as typed; `AvailabilityForm.availability()` builds it."""

    weekly: dict[int, list[Hours]]
    session_minutes: int
    buffer_minutes: int
    mode: SlotMode | str
    location: str
    meeting_url: str
    capacity: int
    valid_from: date
    valid_until: date | None


@dataclass(frozen=True)
class DateOverrideInput:
    day: date
    kind: DateOverrideKind | str
    hours: Hours | None = None  # the extra hours; none for a day off
    note: str = ""


@dataclass(frozen=True)
class LeaveInput:
    first_day: date
    last_day: date
    reason: str = ""


def refuse_unless_manages(actor: User | None, advisor: User) -> None:
    """`None` is the system (the `flask slots generate` command), which acts for every advisor."""
    if actor is not None and not can_manage_calendar(actor, advisor):
        raise NotAllowed(_l("คุณจัดการได้เฉพาะปฏิทินของตนเอง"))
    if not is_advisor(advisor):
        raise DomainError(_l("ผู้ใช้นี้ไม่ใช่ที่ปรึกษา"))


def checked_meeting_url(url: str) -> str:
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname or any(c.isspace() for c in url):
        raise DomainError(_l("ระบุลิงก์การประชุมออนไลน์ที่ขึ้นต้นด้วย https://"), field="meeting_url")
    return url


def checked_weekly_hours(weekly: dict[int, list[Hours]], session: timedelta) -> dict[int, list[Hours]]:
    """Each weekday's ranges in order; refuses an end before its start, ranges that overlap, and a range too
    short for one session, next to that weekday's field."""
    checked: dict[int, list[Hours]] = {}
    for weekday, ranges in sorted(weekly.items()):
        field = WEEKDAY_FIELDS[weekday]
        if len(ranges) > MAX_RANGES_PER_DAY:
            raise DomainError(_l("วันหนึ่งมีได้ไม่เกิน %(n)s ช่วง", n=MAX_RANGES_PER_DAY), field=field)
        for hours in ranges:
            if hours.end <= hours.start:
                raise DomainError(
                    _l("ช่วง %(hours)s: เวลาสิ้นสุดต้องหลังเวลาเริ่ม", hours=str(hours)), field=field
                )
            if hours.length() < session:
                raise DomainError(
                    _l("ช่วง %(hours)s สั้นกว่าเวลาให้คำปรึกษาหนึ่งครั้ง (%(minutes)s นาที)",
                       hours=str(hours), minutes=int(session.total_seconds() // 60)),
                    field=field,
                )
        ordered = sorted(ranges)
        for before, after in zip(ordered, ordered[1:], strict=False):
            if before.overlaps(after):
                raise DomainError(
                    _l("ช่วง %(first)s ซ้อนกับช่วง %(second)s", first=str(before), second=str(after)), field=field
                )
        if ordered:
            checked[weekday] = ordered
    if not checked:
        raise DomainError(_l("ระบุเวลาให้คำปรึกษาอย่างน้อย 1 ช่วง"), field=WEEKDAY_FIELDS[0])
    return checked


def save_availability(
    actor: User, advisor: User, data: AvailabilityInput, now: datetime, regeneration: Regeneration
) -> tuple[Availability, Reconciliation]:
    """Set the advisor's availability and regenerate their slots in the same transaction."""
    refuse_unless_manages(actor, advisor)
    if not MIN_SESSION_MINUTES <= data.session_minutes <= MAX_SESSION_MINUTES:
        raise DomainError(
            _l("เวลาให้คำปรึกษาหนึ่งครั้งต้องอยู่ระหว่าง %(min)s ถึง %(max)s นาที",
               min=MIN_SESSION_MINUTES, max=MAX_SESSION_MINUTES),
            field="session_minutes",
        )
    if not 0 <= data.buffer_minutes <= MAX_BUFFER_MINUTES:
        raise DomainError(
            _l("เวลาพักระหว่างการให้คำปรึกษาต้องอยู่ระหว่าง 0 ถึง %(max)s นาที", max=MAX_BUFFER_MINUTES),
            field="buffer_minutes",
        )
    try:
        mode = SlotMode(data.mode)
    except ValueError:
        raise DomainError(_l("เลือกรูปแบบการให้คำปรึกษา"), field="mode") from None
    location = data.location.strip()
    meeting_url = ""
    if mode == SlotMode.ONSITE and not location:
        raise DomainError(_l("ระบุห้องประชุม"), field="location")
    if mode == SlotMode.ONLINE:
        meeting_url = checked_meeting_url(data.meeting_url)
    if not 1 <= data.capacity <= MAX_CAPACITY:
        raise DomainError(_l("จำนวนที่นั่งต้องอยู่ระหว่าง 1 ถึง %(max)s", max=MAX_CAPACITY), field="capacity")
    today = bangkok_today(now)
    if data.valid_until is not None and data.valid_until < data.valid_from:
        raise DomainError(_l("วันสิ้นสุดต้องไม่ก่อนวันเริ่มใช้"), field="valid_until")
    if data.valid_until is not None and data.valid_until < today:
        raise DomainError(_l("ช่วงวันที่ใช้สิ้นสุดไปแล้ว ระบุวันสิ้นสุดตั้งแต่วันนี้เป็นต้นไป"), field="valid_until")
    if data.valid_from > today + MAX_DAYS_AHEAD:
        raise DomainError(_l("วันเริ่มใช้ต้องไม่เกิน 1 ปีจากวันนี้"), field="valid_from")
    weekly = checked_weekly_hours(data.weekly, timedelta(minutes=data.session_minutes))

    availability = db.session.scalar(select(Availability).where(Availability.advisor_id == advisor.id))
    if availability is None:
        availability = Availability(advisor_id=advisor.id)
        db.session.add(availability)
    availability.session_minutes = data.session_minutes
    availability.buffer_minutes = data.buffer_minutes
    availability.mode = mode
    availability.location = location if mode == SlotMode.ONSITE else ""
    availability.meeting_url = meeting_url
    availability.capacity = data.capacity
    availability.valid_from = data.valid_from
    availability.valid_until = data.valid_until
    availability.updated_at = now
    availability.hours = [
        WeeklyHours(weekday=weekday, starts=hours.start, ends=hours.end)
        for weekday, ranges in weekly.items()
        for hours in ranges
    ]
    db.session.flush()
    record_event(
        actor, "availability.saved", availability, now, advisor_id=advisor.id,
        weekly={WEEKDAY_FIELDS[d]: [str(h) for h in r] for d, r in weekly.items()},
        session_minutes=data.session_minutes, buffer_minutes=data.buffer_minutes, mode=str(mode),
        capacity=data.capacity, valid_from=data.valid_from.isoformat(),
        valid_until=data.valid_until.isoformat() if data.valid_until else None,
    )
    return availability, regenerate_slots(actor, advisor, now, regeneration)


def add_date_override(
    actor: User, advisor: User, data: DateOverrideInput, now: datetime, regeneration: Regeneration
) -> tuple[DateOverride, Reconciliation]:
    """Extra hours on a date, or a day off; the slots of that date are regenerated at once."""
    refuse_unless_manages(actor, advisor)
    try:
        kind = DateOverrideKind(data.kind)
    except ValueError:
        raise DomainError(_l("เลือกว่าเป็นเวลาเพิ่มเติมหรือวันหยุด"), field="kind") from None
    today = bangkok_today(now)
    if data.day < today:
        raise DomainError(_l("วันที่ต้องไม่อยู่ในอดีต"), field="day")
    if data.day > today + MAX_DAYS_AHEAD:
        raise DomainError(_l("กำหนดล่วงหน้าได้ไม่เกิน 1 ปี"), field="day")
    note = data.note.strip()
    if len(note) > MAX_NOTE:
        raise DomainError(_l("ยาวเกิน %(n)s ตัวอักษร", n=MAX_NOTE), field="note")
    same_day = list(
        db.session.scalars(
            select(DateOverride).where(DateOverride.advisor_id == advisor.id, DateOverride.day == data.day)
        )
    )
    start = end = None
    if kind == DateOverrideKind.DAY_OFF:
        if any(o.kind == DateOverrideKind.DAY_OFF for o in same_day):
            raise DomainError(_l("วันที่ %(day)s เป็นวันหยุดอยู่แล้ว", day=format_date(data.day)), field="day")
        if same_day:
            raise DomainError(
                _l("วันที่ %(day)s มีเวลาเพิ่มเติมอยู่ ลบเวลาเพิ่มเติมก่อนกำหนดเป็นวันหยุด", day=format_date(data.day)),
                field="day",
            )
    else:
        availability = db.session.scalar(select(Availability).where(Availability.advisor_id == advisor.id))
        if availability is None:
            raise DomainError(_l("บันทึกเวลาให้คำปรึกษาประจำสัปดาห์ก่อนเพิ่มเวลาเฉพาะวัน"), field="day")
        if data.hours is None:
            raise DomainError(_l("ระบุเวลาเพิ่มเติม เช่น 13:00-16:00"), field="hours")
        hours = data.hours
        if hours.end <= hours.start:
            raise DomainError(_l("เวลาสิ้นสุดต้องหลังเวลาเริ่ม"), field="hours")
        if hours.length() < timedelta(minutes=availability.session_minutes):
            raise DomainError(
                _l("ช่วงนี้สั้นกว่าเวลาให้คำปรึกษาหนึ่งครั้ง (%(minutes)s นาที)", minutes=availability.session_minutes),
                field="hours",
            )
        name = closed_day_name(data.day)
        if name:
            raise DomainError(
                _l("วันที่ %(day)s เป็นวันหยุดราชการ (%(name)s)", day=format_date(data.day), name=name), field="day"
            )
        if leave_on(advisor.id, data.day):
            raise DomainError(_l("วันที่ %(day)s คุณลาอยู่", day=format_date(data.day)), field="day")
        if any(o.kind == DateOverrideKind.DAY_OFF for o in same_day):
            raise DomainError(_l("วันที่ %(day)s เป็นวันหยุด", day=format_date(data.day)), field="day")
        for other in same_day:
            if other.starts is not None and other.ends is not None and hours.overlaps(Hours(other.starts, other.ends)):
                raise DomainError(
                    _l("ซ้อนกับเวลาเพิ่มเติม %(hours)s ของวันเดียวกัน", hours=str(Hours(other.starts, other.ends))),
                    field="hours",
                )
        start, end = hours.start, hours.end
    override = DateOverride(advisor_id=advisor.id, day=data.day, kind=kind, starts=start, ends=end, note=note)
    db.session.add(override)
    db.session.flush()
    record_event(actor, "availability.date_added", override, now, advisor_id=advisor.id, day=data.day.isoformat(),
                 kind=str(kind), hours=str(Hours(start, end)) if start and end else None)
    return override, regenerate_slots(actor, advisor, now, regeneration)


def remove_date_override(
    actor: User, override: DateOverride, now: datetime, regeneration: Regeneration
) -> Reconciliation:
    advisor = override.advisor
    refuse_unless_manages(actor, advisor)
    record_event(actor, "availability.date_removed", override, now, advisor_id=advisor.id,
                 day=override.day.isoformat(), kind=str(override.kind))
    db.session.delete(override)
    db.session.flush()
    return regenerate_slots(actor, advisor, now, regeneration)


def add_leave(
    actor: User, advisor: User, data: LeaveInput, now: datetime, regeneration: Regeneration
) -> tuple[AdvisorLeave, Reconciliation]:
    """Days of leave: no slot is generated on them, and their free generated slots are withdrawn. Booked
    sessions on them stay as they are and are reported for the advisor to resolve, never cancelled here."""
    refuse_unless_manages(actor, advisor)
    today = bangkok_today(now)
    if data.first_day < today:
        raise DomainError(_l("วันลาต้องไม่เริ่มในอดีต"), field="first_day")
    if data.first_day > today + MAX_DAYS_AHEAD:
        raise DomainError(_l("กำหนดล่วงหน้าได้ไม่เกิน 1 ปี"), field="first_day")
    if data.last_day < data.first_day:
        raise DomainError(_l("วันสุดท้ายต้องไม่ก่อนวันแรก"), field="last_day")
    if (data.last_day - data.first_day).days + 1 > MAX_LEAVE_DAYS:
        raise DomainError(_l("ลาได้ครั้งละไม่เกิน %(n)s วัน", n=MAX_LEAVE_DAYS), field="last_day")
    reason = data.reason.strip()
    if len(reason) > MAX_NOTE:
        raise DomainError(_l("ยาวเกิน %(n)s ตัวอักษร", n=MAX_NOTE), field="reason")
    clash = db.session.scalar(
        select(AdvisorLeave).where(
            AdvisorLeave.advisor_id == advisor.id,
            AdvisorLeave.first_day <= data.last_day,
            AdvisorLeave.last_day >= data.first_day,
        )
    )
    if clash is not None:
        raise DomainError(
            _l("ซ้อนกับวันลาที่มีอยู่แล้ว (%(first)s – %(last)s)",
               first=format_date(clash.first_day), last=format_date(clash.last_day)),
            field="first_day",
        )
    leave = AdvisorLeave(advisor_id=advisor.id, first_day=data.first_day, last_day=data.last_day, reason=reason)
    db.session.add(leave)
    db.session.flush()
    record_event(actor, "leave.added", leave, now, advisor_id=advisor.id, first_day=data.first_day.isoformat(),
                 last_day=data.last_day.isoformat())
    return leave, regenerate_slots(actor, advisor, now, regeneration)


def remove_leave(actor: User, leave: AdvisorLeave, now: datetime, regeneration: Regeneration) -> Reconciliation:
    advisor = leave.advisor
    refuse_unless_manages(actor, advisor)
    if leave.last_day < bangkok_today(now):
        raise DomainError(_l("ลบวันลาที่ผ่านไปแล้วไม่ได้"))
    record_event(actor, "leave.removed", leave, now, advisor_id=advisor.id, first_day=leave.first_day.isoformat(),
                 last_day=leave.last_day.isoformat())
    db.session.delete(leave)
    db.session.flush()
    return regenerate_slots(actor, advisor, now, regeneration)


def availability_rules(availability: Availability | None) -> Rules | None:
    if availability is None:
        return None
    weekly: dict[int, list[Hours]] = {}
    for row in availability.hours:
        weekly.setdefault(row.weekday, []).append(Hours(row.starts, row.ends))
    return Rules(
        weekly=weekly,
        session=timedelta(minutes=availability.session_minutes),
        buffer=timedelta(minutes=availability.buffer_minutes),
        valid_from=availability.valid_from,
        valid_until=availability.valid_until,
        mode=SlotMode(availability.mode),
        location=availability.location,
        meeting_url=availability.meeting_url,
        capacity=availability.capacity,
    )


def exceptions_for(advisor_id: int, first: date, last: date) -> Exceptions:
    """The advisor's extra hours, days off and leave between `first` and `last`; two queries."""
    overrides = db.session.scalars(
        select(DateOverride).where(
            DateOverride.advisor_id == advisor_id, DateOverride.day >= first, DateOverride.day <= last
        )
    ).all()
    leave = db.session.execute(
        select(AdvisorLeave.first_day, AdvisorLeave.last_day).where(
            AdvisorLeave.advisor_id == advisor_id, AdvisorLeave.last_day >= first, AdvisorLeave.first_day <= last
        )
    ).all()
    extra: dict[date, list[Hours]] = {}
    for o in overrides:
        if o.kind == DateOverrideKind.EXTRA and o.starts is not None and o.ends is not None:
            extra.setdefault(o.day, []).append(Hours(o.starts, o.ends))
    return Exceptions(
        extra=extra,
        days_off=frozenset(o.day for o in overrides if o.kind == DateOverrideKind.DAY_OFF),
        leave=[(f, la) for f, la in leave],
    )


@dataclass
class SlotsPlan:
    """The reconciliation of one advisor's slots, and the slots it was worked out from (by id)."""

    reconciliation: Reconciliation
    slots: dict[int, Slot]
    wanted: int


def plan_slots(advisor: User, now: datetime, regeneration: Regeneration, lock: bool = False) -> SlotsPlan:
    """Work out what regeneration would do now, without doing it (the availability page shows its conflicts).

    With `lock` (regeneration itself, on PostgreSQL) the advisor's row is locked first, so two regenerations
    of one advisor run one after the other, and then the open slots of the horizon, so that a booking being
    made on one of them commits (and is seen) before this decides, and one made afterwards finds the slot
    withdrawn. SQLite serialises writers anyway."""
    if lock:
        db.session.execute(select(User.id).where(User.id == advisor.id).with_for_update(key_share=True))
    availability = db.session.scalar(select(Availability).where(Availability.advisor_id == advisor.id))
    rules = availability_rules(availability)
    days = horizon_days(now, regeneration.weeks)
    exceptions = exceptions_for(advisor.id, days[0], days[-1])
    closed = closed_calendar(days[0], days[-1])
    wanted = wanted_slots(rules, exceptions, now, regeneration.weeks, closed)
    query = select(Slot).where(
        Slot.advisor_id == advisor.id,
        Slot.status == SlotStatus.OPEN,
        Slot.ends_at > now,
        Slot.starts_at < horizon_end(now, regeneration.weeks),
    ).order_by(Slot.starts_at, Slot.id)
    slots = {s.id: s for s in db.session.scalars(query.with_for_update() if lock else query)}
    held = regeneration.holding([s.id for s in slots.values() if s.source == SlotSource.GENERATED])
    existing = [
        ExistingSlot(
            id=s.id, starts_at=as_utc(s.starts_at), ends_at=as_utc(s.ends_at), source=SlotSource(s.source),
            mode=SlotMode(s.mode), location=s.location, meeting_url=s.meeting_url, capacity=s.capacity,
            held=s.id in held,
        )
        for s in slots.values()
    ]
    reconciliation = plan_reconciliation(
        wanted, existing, now, lambda slot: unwanted_reason(slot, rules, exceptions, closed)
    )
    return SlotsPlan(reconciliation, slots, len(wanted))


def regenerate_slots(actor: User | None, advisor: User, now: datetime, regeneration: Regeneration) -> Reconciliation:
    """Bring the advisor's generated slots of the horizon in line with their availability: create the missing,
    withdraw (cancel) the free ones no longer wanted, never touch a slot holding bookings (reported as a
    conflict instead), keep manual slots and skip what would overlap them. Running it again changes nothing.
    `actor` None is the system (the `flask slots generate` command)."""
    refuse_unless_manages(actor, advisor)
    planned = plan_slots(advisor, now, regeneration, lock=True)
    plan = planned.reconciliation
    for slot_id in plan.withdraw:
        planned.slots[slot_id].status = SlotStatus.CANCELLED
    db.session.flush()  # withdrawn first: a new slot may take the hours of one withdrawn
    created = [
        Slot(
            advisor_id=advisor.id, starts_at=w.starts_at, ends_at=w.ends_at, capacity=w.capacity, mode=w.mode,
            location=w.location, meeting_url=w.meeting_url, source=SlotSource.GENERATED, created_at=now,
        )
        for w in plan.create
    ]
    try:
        with db.session.begin_nested():
            db.session.add_all(created)
            db.session.flush()
    except IntegrityError as error:
        # A manual slot was added between our read and our insert (regenerations of one advisor take turns).
        raise Conflict(_l("ปฏิทินเปลี่ยนระหว่างสร้างช่วงเวลา กรุณาลองอีกครั้ง")) from error
    if plan.changes:
        record_event(
            actor, "slots.regenerated", advisor, now, advisor_id=advisor.id,
            created=[s.id for s in created], withdrawn=plan.withdraw,
            conflicts=[c.slot_id for c in plan.conflicts], skipped=len(plan.skipped),
        )
    return plan
