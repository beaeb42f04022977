"""Opening a Thai public holiday, or closing an extra day (a special day off announced by the Cabinet).

One `HolidayOverride` row per day holds the decision; taking a decision back deletes the row (the day is as the
calendar of public holidays says again). Every advisor's slots are regenerated at once: an opened holiday gets its
sessions, a closed day loses its free generated ones. Closing a day that holds bookings never drops them silently:
the administrator is shown them and must choose to cancel them, with the reason, which every department is told.

Here, not in scheduling, because it reads and cancels bookings (scheduling comes before bookings)."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from clinic.accounts.models import Role, User
from clinic.audit.services import ObjectRef, record_event
from clinic.bookings.models import ACTIVE_STATUSES, Booking, BookingStatus
from clinic.errors import Conflict, DomainError, NotAllowed
from clinic.extensions import db
from clinic.i18n import bangkok_today, format_date
from clinic.notifications.services import notify
from clinic.scheduling.generation import Reconciliation, at
from clinic.scheduling.models import Availability, DayStatus, HolidayOverride, Slot
from clinic.scheduling.policies import can_manage_holidays
from clinic.scheduling.queries import holiday_name
from clinic.scheduling.services import MAX_DAYS_AHEAD, Regeneration, regenerate_slots

MAX_REASON = 300


class DayAction(StrEnum):
    OPEN = "open"
    CLOSE = "close"


@dataclass(frozen=True)
class DayDecision:
    """An administrator's decision as typed; `HolidayForm.decision()` builds it."""

    day: date
    action: DayAction | str
    reason: str
    cancel_bookings: bool = False  # the administrator saw the bookings of the day and chose to cancel them


@dataclass
class DayOutcome:
    day: date
    status: DayStatus
    cancelled: list[Booking] = field(default_factory=list)
    plans: list[Reconciliation] = field(default_factory=list)

    @property
    def created(self) -> int:
        return sum(len(p.create) for p in self.plans)

    @property
    def withdrawn(self) -> int:
        return sum(len(p.withdraw) for p in self.plans)


def bookings_on(day: date) -> list[Booking]:
    """Active bookings of sessions on `day` (Bangkok), by time; one query."""
    return list(
        db.session.scalars(
            select(Booking)
            .join(Booking.slot)
            .where(Slot.starts_at >= at(day, time(0)), Slot.starts_at < at(day + timedelta(days=1), time(0)),
                   Booking.status.in_(ACTIVE_STATUSES))
            .order_by(Slot.starts_at, Booking.id)
        )
    )


def decide_day(actor: User, decision: DayDecision, now: datetime, regeneration: Regeneration) -> DayOutcome:
    """Open or close `decision.day` for the clinic, within the caller's transaction."""
    if not can_manage_holidays(actor):
        raise NotAllowed(_l("เฉพาะผู้ดูแลระบบเท่านั้นที่กำหนดวันหยุดได้"))
    try:
        action = DayAction(decision.action)
    except ValueError:
        raise DomainError(_l("เลือกว่าจะเปิดหรือปิดวันนี้"), field="action") from None
    day = decision.day
    today = bangkok_today(now)
    if day <= today:
        raise DomainError(_l("กำหนดได้ตั้งแต่พรุ่งนี้เป็นต้นไป"), field="day")
    if day > today + MAX_DAYS_AHEAD:
        raise DomainError(_l("กำหนดล่วงหน้าได้ไม่เกิน 1 ปี"), field="day")
    reason = decision.reason.strip()
    if not reason:
        raise DomainError(_l("ระบุเหตุผล เช่น มติคณะรัฐมนตรีวันที่ ..."), field="reason")
    if len(reason) > MAX_REASON:
        raise DomainError(_l("ยาวเกิน %(n)s ตัวอักษร", n=MAX_REASON), field="reason")
    # Decisions about one day take turns (PostgreSQL: the unique day; the row is locked when it exists).
    override = db.session.scalar(select(HolidayOverride).where(HolidayOverride.day == day).with_for_update())
    public_holiday = holiday_name(day)
    closed = (override.status == DayStatus.CLOSED) if override is not None else public_holiday is not None
    outcome = DayOutcome(day, DayStatus.OPEN if action == DayAction.OPEN else DayStatus.CLOSED)
    if action == DayAction.OPEN:
        if not closed:
            raise DomainError(_l("วันที่ %(day)s เปิดทำการอยู่แล้ว", day=format_date(day)), field="day")
    else:
        if closed:
            raise DomainError(_l("วันที่ %(day)s ปิดอยู่แล้ว", day=format_date(day)), field="day")
        held = bookings_on(day)
        if held and not decision.cancel_bookings:
            raise DomainError(
                _l("วันที่ %(day)s มีการจอง %(n)s รายการ ยืนยันการยกเลิกการจองเหล่านี้และแจ้งส่วนราชการก่อนปิดวัน",
                   day=format_date(day), n=len(held)),
                field="cancel_bookings",
            )
        outcome.cancelled = cancel_all(actor, held, reason, now)
    if override is not None:
        target = ObjectRef(HolidayOverride.__tablename__, override.id)
        db.session.delete(override)  # back to what the calendar of public holidays says
    else:
        override = HolidayOverride(day=day, status=outcome.status, reason=reason, created_by_id=actor.id,
                                   created_at=now)
        try:
            with db.session.begin_nested():
                db.session.add(override)
                db.session.flush()
        except IntegrityError as error:  # another administrator decided about this day at the same moment
            raise Conflict(_l("มีผู้กำหนดวันนี้พร้อมกัน กรุณาโหลดหน้าใหม่"), field="day") from error
        target = ObjectRef(HolidayOverride.__tablename__, override.id)
    db.session.flush()
    record_event(actor, f"holiday.{action}", target, now, day=day.isoformat(), reason=reason,
                 public_holiday=public_holiday, cancelled=[b.reference for b in outcome.cancelled])
    outcome.plans = regenerate_everyone(actor, now, regeneration)
    return outcome


def cancel_all(actor: User, bookings: list[Booking], reason: str, now: datetime) -> list[Booking]:
    for booking in bookings:
        previous = booking.status
        booking.status = BookingStatus.CANCELLED
        booking.cancelled_at = now
        booking.cancelled_by_id = actor.id
        booking.cancel_reason = reason
        record_event(actor, "booking.cancelled", booking, now, department_id=booking.department_id,
                     reason=reason, previous_status=previous)
        notify([booking.slot.advisor, booking.booked_by], "booking_cancelled", now, booking=booking, reason=reason)
    return bookings


def regenerate_everyone(actor: User, now: datetime, regeneration: Regeneration) -> list[Reconciliation]:
    """Regenerate the slots of every active advisor who has availability, in id order (one lock after another)."""
    advisors = db.session.scalars(
        select(User)
        .join(Availability, Availability.advisor_id == User.id)
        .where(User.role == Role.ADVISOR, User.is_active_account.is_(True))
        .order_by(User.id)
    ).all()
    return [regenerate_slots(actor, advisor, now, regeneration) for advisor in advisors]
