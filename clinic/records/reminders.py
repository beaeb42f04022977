"""Reminders of next steps, queued by `flask reminders queue` (cron): a next step of a published record that is
due in three days, and one that is overdue, each once. A department's step goes to the officer who booked the
session and to the advisor; OPDC's own step to the advisor."""

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from clinic.bookings.models import Booking
from clinic.extensions import db
from clinic.i18n import bangkok_today
from clinic.notifications.services import notify
from clinic.records.models import CLOSED_STATUSES, ActionItem, ActionOwner, ConsultationRecord
from clinic.scheduling.models import Slot

DUE_SOON_DAYS = 3
OVERDUE_LOOKBACK_DAYS = 365  # a bound: a step overdue for longer was reminded long ago


def open_steps_due(now: datetime) -> tuple[list[ActionItem], list[ActionItem]]:
    """(due in three days, overdue) open next steps of published records."""
    today = bangkok_today(now)
    items = db.session.scalars(
        select(ActionItem)
        .where(
            ActionItem.status.not_in(CLOSED_STATUSES),
            ActionItem.published_at.is_not(None),
            ActionItem.due_on <= today + timedelta(days=DUE_SOON_DAYS),
            ActionItem.due_on >= today - timedelta(days=OVERDUE_LOOKBACK_DAYS),
        )
        .options(
            joinedload(ActionItem.record).joinedload(ConsultationRecord.booking).joinedload(Booking.booked_by),
            joinedload(ActionItem.record).joinedload(ConsultationRecord.booking).joinedload(Booking.slot)
            .joinedload(Slot.advisor),
            joinedload(ActionItem.department),
        )
        .order_by(ActionItem.due_on, ActionItem.id)
    ).all()
    soon = [item for item in items if item.due_on == today + timedelta(days=DUE_SOON_DAYS)]
    overdue = [item for item in items if item.due_on < today]
    return soon, overdue


def queue_action_item_reminders(now: datetime) -> int:
    """Queue the reminders due at `now` into the caller's transaction; returns how many e-mails were queued."""
    soon, overdue = open_steps_due(now)
    queued = 0
    for template, items in (("action_item_due", soon), ("action_item_overdue", overdue)):
        for item in items:
            booking = item.record.booking
            recipients = [booking.slot.advisor]
            if item.owner == ActionOwner.DEPARTMENT:
                recipients.insert(0, booking.booked_by)
            queued += len(notify(recipients, template, now, key=f"{template}:{item.id}", item=item,
                                 booking=booking))
    return queued
