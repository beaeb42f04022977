"""Sessions as iCalendar (RFC 5545) with the icalendar library: one booking for whoever may view it, and an
advisor's private feed of their sessions.

Each booking is one VEVENT whose UID (`booking-<id>@<host of BASE_URL>`) never changes, so a calendar program
updates the event it already holds. Its SEQUENCE is the number of audit events written on the booking after its
creation: every change of a booking (confirmed, declined, cancelled, and whatever change later services make) writes one, in
the same transaction as the change (invariant 3), so the number rises with every change without a counter of its own
that each service would have to remember to raise, and without a migration of the bookings table.

The feed carries what the advisor needs (topic, department, place or meeting link, status, the booking's page) and
nothing about the people attending: no attendee, no officer's name, e-mail or telephone, no request text."""

from collections.abc import Callable, Collection, Sequence
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from icalendar import Calendar, Event
from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, joinedload

from clinic.accounts.models import User
from clinic.audit.models import AuditEvent
from clinic.bookings.models import Booking, BookingStatus
from clinic.extensions import db
from clinic.i18n import BANGKOK, as_utc, local_name
from clinic.organisations.models import Department
from clinic.scheduling.models import Slot, SlotMode

if TYPE_CHECKING:
    from clinic.notifications.services import Recipient

PRODID = "-//OPDC//Clinic booking//TH"
FEED_DAYS_BACK = 30
FEED_LIMIT = 2000  # a bound on one answer, far above an advisor's sessions over the horizon
STATUSES = {
    BookingStatus.PENDING: "TENTATIVE",
    BookingStatus.CONFIRMED: "CONFIRMED",
    BookingStatus.DECLINED: "CANCELLED",
    BookingStatus.CANCELLED: "CANCELLED",
    BookingStatus.EXPIRED: "CANCELLED",
}
CONTENT_TYPE = "text/calendar; charset=utf-8"


def sequences(booking_ids: Collection[int]) -> dict[int, int]:
    """Each booking's SEQUENCE: the audit events on it other than its creation (a new booking is 0). One query."""
    if not booking_ids:
        return {}
    rows = db.session.execute(
        select(AuditEvent.object_id, func.count(AuditEvent.id))
        .where(
            AuditEvent.object_type == Booking.__tablename__,
            AuditEvent.object_id.in_(list(booking_ids)),
            AuditEvent.action != "booking.created",
        )
        .group_by(AuditEvent.object_id)
    ).all()
    found = {int(object_id): int(count) for object_id, count in rows if object_id is not None}
    return {booking_id: found.get(booking_id, 0) for booking_id in booking_ids}


def uid_of(booking: Booking, base_url: str) -> str:
    return f"booking-{booking.id}@{urlsplit(base_url).hostname or 'localhost'}"


def booking_url(booking: Booking, base_url: str) -> str:
    return f"{base_url.rstrip('/')}/bookings/{booking.id}"


def place(slot: Slot, show_link: bool) -> str:
    if slot.mode == SlotMode.ONSITE:
        return slot.location
    return slot.meeting_url if show_link and slot.meeting_url else _("ออนไลน์")


def booking_event(booking: Booking, sequence: int, base_url: str, now: datetime, *, for_advisor: bool) -> Event:
    """The VEVENT of one booking. The advisor (whose slot it is) always gets the meeting link; the department gets
    it once the booking is confirmed, as on the booking's page."""
    slot = booking.slot
    show_link = for_advisor or booking.status == BookingStatus.CONFIRMED
    topic = local_name(booking.topic)
    department = f"{local_name(booking.department)} ({local_name(booking.department.ministry)})"
    lines = [f"{_('ส่วนราชการ')}: {department}", f"{_('หัวข้อ')}: {topic}"]
    if not for_advisor:
        lines.append(f"{_('ที่ปรึกษา')}: {slot.advisor.name}")
    if slot.mode == SlotMode.ONLINE and show_link and slot.meeting_url:
        lines.append(f"{_('ลิงก์การประชุม')}: {slot.meeting_url}")
    lines.append(f"{_('เลขที่อ้างอิง')}: {booking.reference}")
    lines.append(f"{_('รายละเอียดการจอง')}: {booking_url(booking, base_url)}")

    event = Event()
    event.add("uid", uid_of(booking, base_url))
    event.add("sequence", sequence)
    event.add("dtstamp", as_utc(now))
    event.add("created", as_utc(booking.created_at))
    event.add("dtstart", as_utc(slot.starts_at).astimezone(BANGKOK))
    event.add("dtend", as_utc(slot.ends_at).astimezone(BANGKOK))
    event.add("summary", f"{topic} – {booking.department.abbreviation or local_name(booking.department)} "
                         f"({booking.reference})")
    event.add("location", place(slot, show_link))
    event.add("description", "\n".join(lines))
    event.add("url", booking_url(booking, base_url))
    event.add("status", STATUSES[booking.status])
    event.add("transp", "TRANSPARENT" if STATUSES[booking.status] == "CANCELLED" else "OPAQUE")
    return event


def calendar_of(events: Sequence[Event], name: str | None = None) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    if name:
        calendar.add("x-wr-calname", name)
        calendar.add("x-wr-timezone", "Asia/Bangkok")
        calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", timedelta(hours=1))
    for event in events:
        calendar.add_component(event)
    calendar.add_missing_timezones()  # the VTIMEZONE of Asia/Bangkok that DTSTART and DTEND refer to
    return calendar.to_ical()


def booking_calendar(booking: Booking, base_url: str, now: datetime) -> bytes:
    """One session, for someone who may view the booking. Two queries beyond the booking's own loading."""
    sequence = sequences([booking.id])[booking.id]
    return calendar_of([booking_event(booking, sequence, base_url, now, for_advisor=False)])


def feed_bookings(advisor: User, now: datetime, until: datetime) -> list[Booking]:
    """The advisor's bookings from 30 days back to `until` (the end of the horizon), every status (a cancelled
    session must reach the subscribers' calendars as cancelled), at most FEED_LIMIT of them. One query."""
    return list(
        db.session.scalars(
            select(Booking)
            .join(Booking.slot)
            .where(
                Slot.advisor_id == advisor.id,
                Slot.starts_at >= now - timedelta(days=FEED_DAYS_BACK),
                Slot.starts_at < until,
            )
            .options(
                contains_eager(Booking.slot),
                joinedload(Booking.department).joinedload(Department.ministry),
                joinedload(Booking.topic),
            )
            .order_by(Slot.starts_at, Booking.id)
            .limit(FEED_LIMIT)
        )
    )


def advisor_feed(advisor: User, base_url: str, now: datetime, until: datetime) -> bytes:
    bookings = feed_bookings(advisor, now, until)
    numbers = sequences([b.id for b in bookings])
    events = [booking_event(b, numbers[b.id], base_url, now, for_advisor=True) for b in bookings]
    return calendar_of(events, name=_("นัดหมายที่ปรึกษา ก.พ.ร."))


def invitation(booking: Booking, method: str, attendee_email: str, organizer: str, base_url: str, now: datetime,
               *, for_advisor: bool) -> bytes:
    """An iTIP invitation (RFC 5546) sent with an e-mail about a session: METHOD:REQUEST puts the session in the
    recipient's calendar (or updates it: same UID, higher SEQUENCE), METHOD:CANCEL takes it out. The organiser is
    the clinic's own address, the recipient the one attendee named; nobody else's address is in it."""
    sequence = sequences([booking.id])[booking.id]
    event = booking_event(booking, sequence, base_url, now, for_advisor=for_advisor)
    event.add("organizer", f"mailto:{organizer}", parameters={"CN": _("คลินิกให้คำปรึกษา สำนักงาน ก.พ.ร.")})
    event.add("attendee", f"mailto:{attendee_email}",
              parameters={"ROLE": "REQ-PARTICIPANT", "PARTSTAT": "ACCEPTED", "RSVP": "FALSE"})
    if method == "CANCEL":
        event["status"] = "CANCELLED"
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def invitations(booking: Booking, method: str, now: datetime) -> "Callable[[Recipient], bytes | None]":
    """For `notify(..., calendar=)`: the invitation to (or cancellation of) the booking's session for the officer
    who booked it and the advisor, from the clinic's address (MAIL_FROM); the advisor gets the meeting link, as in
    their feed. Colleagues who get copies get no invitation."""
    config = current_app.config
    _name, organizer = parseaddr(str(config["MAIL_FROM"]))

    def for_recipient(recipient: "Recipient") -> bytes | None:
        if recipient is not booking.booked_by and recipient is not booking.slot.advisor:
            return None  # a colleague's copy: the session is not theirs to attend
        return invitation(booking, method, recipient.email, organizer, config["BASE_URL"], now,
                          for_advisor=recipient is booking.slot.advisor)

    return for_recipient
