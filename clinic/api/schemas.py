"""The API's request and response bodies. The same pydantic models validate what clients send (strictly: unknown
fields and wrong types are refused) and make the OpenAPI document's schemas (clinic/api/openapi.py)."""

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from clinic.bookings.models import BookingStatus
from clinic.bookings.services import MAX_ATTENDEES, MAX_DETAILS, MAX_REASON
from clinic.records.models import ActionOwner, ActionStatus
from clinic.scheduling.models import SlotMode


class Body(BaseModel):
    """What a client sends: no field the schema does not name, no value of the wrong type."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class FieldError(Out):
    field: str
    message: str


class Problem(Out):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldError] | None = None


class TopicOut(Out):
    id: int
    code: str
    name_th: str
    name_en: str


class DepartmentOut(Out):
    id: int
    code: str
    name_th: str
    name_en: str
    abbreviation: str


class MinistryOut(Out):
    id: int
    code: str
    name_th: str
    name_en: str
    abbreviation: str
    departments: list[DepartmentOut]


class SlotOut(Out):
    id: int
    starts_at: datetime
    ends_at: datetime
    mode: SlotMode
    location: str
    advisor: str
    seats_left: int


class AttendeeIn(Body):
    name: str = Field(max_length=200)
    position: str = Field(max_length=200)


class BookingIn(Body):
    slot_id: int
    topic_id: int
    department_id: int
    request_details: str = Field(description=f"Up to {MAX_DETAILS} characters.")
    attendees: list[AttendeeIn] = Field(description=f"1 to {MAX_ATTENDEES} people, each with a name and a position.")
    submission_key: str | None = Field(
        default=None, max_length=64,
        description="A key of the client's choosing: sent again (a retry after a lost answer), the booking already "
                    "made with it is returned instead of a second one.",
    )


class AttendeeOut(Out):
    name: str
    position: str


class BookingSlotOut(Out):
    id: int
    starts_at: datetime
    ends_at: datetime
    mode: SlotMode
    location: str


class BookingOut(Out):
    id: int
    reference: str
    status: BookingStatus
    department_id: int
    topic_id: int
    slot: BookingSlotOut
    request_details: str
    attendees: list[AttendeeOut]
    created_at: datetime
    cancelled_at: datetime | None
    cancel_reason: str
    decline_reason: str


class CancelIn(Body):
    reason: str = Field(description=f"Required; up to {MAX_REASON} characters.")


class RevisionOut(Out):
    number: int
    attendance: str
    issues_raised: str
    guidance: str
    published_at: datetime


class NextStepOut(Out):
    id: int
    booking_id: int
    department_id: int
    description: str
    owner: ActionOwner
    due_on: date
    status: ActionStatus
    progress_note: str
    updated_at: datetime


class RecordOut(Out):
    booking_id: int
    revisions: list[RevisionOut] = Field(description="Published revisions only, oldest first.")
    next_steps: list[NextStepOut]


class NextStepUpdate(Body):
    status: ActionStatus
    note: str = ""


class SessionRowOut(Out):
    booking_id: int
    reference: str
    starts_at: datetime
    ends_at: datetime
    mode: str
    status: str
    advisor: str
    ministry: str
    department: str
    topic: str
    attendees: int
    open_items: int
    done_items: int
    guidance_summary: str


class SessionPageOut(Out):
    items: list[SessionRowOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


ScopeName = Literal["read", "book", "follow-up"]
