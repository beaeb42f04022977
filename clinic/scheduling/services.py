"""Advisors' availability: creating slots, closed days (leave and Thai public holidays), open-slot search."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

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
from clinic.scheduling.models import MAX_CAPACITY, Slot, SlotMode, SlotStatus
from clinic.scheduling.policies import can_manage_calendar, can_open_closed_day
from clinic.scheduling.queries import holiday_name, leave_on

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
    name = holiday_name(day)
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
    return (
        slot.status == SlotStatus.OPEN
        and as_utc(slot.starts_at) >= now + BOOKING_LEAD_TIME
        and topic.is_active
        and topic in slot.advisor.expertise
    )

