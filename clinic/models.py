"""Every model, imported in one place so that metadata and Alembic see the whole schema."""

from clinic.accounts.models import User
from clinic.api.models import ApiToken
from clinic.audit.models import AuditEvent
from clinic.bookings.models import Attendee, Booking, Document
from clinic.notifications.models import OutboxMessage
from clinic.organisations.models import Department, Ministry, Topic
from clinic.records.models import (
    Acknowledgement,
    ActionItem,
    ConsultationRecord,
    InternalNote,
    RecordRevision,
)
from clinic.scheduling.models import (
    AdvisorLeave,
    Availability,
    CalendarFeed,
    ClinicDay,
    DateOverride,
    Slot,
    WeeklyHours,
)

__all__ = [
    "Acknowledgement", "ActionItem", "AdvisorLeave", "ApiToken", "Attendee", "AuditEvent", "Availability", "Booking",
    "CalendarFeed", "ClinicDay", "ConsultationRecord", "DateOverride", "Department", "Document", "InternalNote", "Ministry",
    "OutboxMessage", "RecordRevision", "Slot", "Topic", "User", "WeeklyHours",
]
