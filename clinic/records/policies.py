from datetime import datetime

from clinic.accounts.models import User
from clinic.accounts.policies import can_view_department, is_admin, is_advisor, is_department_user, is_opdc
from clinic.bookings.models import Booking, BookingStatus
from clinic.i18n import as_utc
from clinic.records.models import ActionItem, ActionOwner, ActionStatus, ConsultationRecord, RecordRevision

__all__ = [
    "can_acknowledge", "can_browse_all_case_files", "can_drop_action_item", "can_give_feedback",
    "can_open_case_files", "can_read_all_feedback", "can_read_internal_notes", "can_read_record", "can_read_revision",
    "can_record_now", "can_search", "can_see_action_item", "can_update_action_item", "can_write_record",
]


def can_open_case_files(user: User) -> bool:
    """Departments open their own case files (coordinators their ministry's); OPDC opens every one."""
    return is_department_user(user) or is_opdc(user)


def can_search(user: User) -> bool:
    """Search requests, records and next steps: OPDC everywhere, departments within their case files."""
    return can_open_case_files(user)


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


def can_read_revision(user: User, revision: RecordRevision) -> bool:
    """A published revision, earlier ones too, for whoever reads the record; drafts for OPDC only."""
    return can_read_record(user, revision.record) and (revision.published_at is not None or is_opdc(user))


def can_read_internal_notes(user: User) -> bool:
    return is_opdc(user)


def can_acknowledge(user: User, revision: RecordRevision) -> bool:
    return (
        is_department_user(user)
        and revision.published_at is not None
        and can_view_department(user, revision.record.booking.department)
        and revision is revision.record.published
    )


def can_see_action_item(user: User, item: ActionItem) -> bool:
    """OPDC sees every step, drafts' too; the department sees a step once the record is published with it."""
    if is_opdc(user):
        return True
    return item.published_at is not None and can_view_department(user, item.department)


def can_update_action_item(user: User, item: ActionItem) -> bool:
    """The department reports on the published steps it owns; OPDC advisors update any step."""
    if is_advisor(user):
        return True
    return (
        item.owner == ActionOwner.DEPARTMENT
        and item.published_at is not None
        and item.status != ActionStatus.DROPPED
        and is_department_user(user)
        and can_view_department(user, item.department)
    )


def can_drop_action_item(user: User, item: ActionItem) -> bool:
    """Dropping a step is OPDC's decision: the advisors'."""
    return is_advisor(user)


def can_give_feedback(user: User, record: ConsultationRecord) -> bool:
    """The department rates a session it held, once, after its record is published."""
    return (
        is_department_user(user)
        and can_view_department(user, record.booking.department)
        and record.published is not None
        and record.feedback is None
    )


def can_read_all_feedback(user: User) -> bool:
    """Every department's ratings and comments: administrators (an advisor reads those of their own sessions on
    the session's page)."""
    return is_admin(user)
