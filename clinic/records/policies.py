from datetime import datetime

from clinic.accounts.models import User
from clinic.accounts.policies import can_view_department, is_advisor, is_department_user, is_opdc
from clinic.bookings.models import Booking, BookingStatus
from clinic.i18n import as_utc
from clinic.records.models import ActionItem, ActionOwner, ConsultationRecord, RecordRevision

__all__ = [
    "can_acknowledge", "can_browse_all_case_files", "can_open_case_files", "can_read_internal_notes",
    "can_read_record", "can_record_now", "can_update_action_item", "can_write_record",
]


def can_open_case_files(user: User) -> bool:
    """Departments open their own case files (coordinators their ministry's); OPDC opens every one."""
    return is_department_user(user) or is_opdc(user)


def can_browse_all_case_files(user: User) -> bool:
    """OPDC advisors and administrators read every department's case file, for consistent advice."""
    return is_opdc(user)


def can_write_record(user: User, booking: Booking) -> bool:
    """The advisor who held the session writes its record, once the booking was confirmed."""
    return is_advisor(user) and booking.slot.advisor_id == user.id and booking.status == BookingStatus.CONFIRMED


def can_record_now(user: User, booking: Booking, now: datetime) -> bool:
    """The record button is offered once the session has begun: before that, publishing is refused."""
    return can_write_record(user, booking) and as_utc(booking.slot.starts_at) <= now


def can_read_record(user: User, record: ConsultationRecord) -> bool:
    """OPDC reads drafts too; the department reads a record once a revision is published."""
    if is_opdc(user):
        return True
    return can_view_department(user, record.booking.department) and record.published is not None


def can_read_internal_notes(user: User) -> bool:
    return is_opdc(user)


def can_acknowledge(user: User, revision: RecordRevision) -> bool:
    return (
        is_department_user(user)
        and revision.published_at is not None
        and can_view_department(user, revision.record.booking.department)
        and revision is revision.record.published
    )


def can_update_action_item(user: User, item: ActionItem) -> bool:
    """The department reports on the steps it owns; OPDC advisors update any step."""
    if is_advisor(user):
        return True
    return item.owner == ActionOwner.DEPARTMENT and is_department_user(user) and can_view_department(user, item.department)
