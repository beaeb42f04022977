"""Who may do what, as a matrix, without HTTP."""

from datetime import timedelta

import pytest

from clinic.accounts.policies import can_view_department
from clinic.bookings.policies import can_book_for, can_cancel_booking, can_decide_booking, can_view_booking
from clinic.records.policies import can_read_internal_notes, can_read_record, can_update_action_item
from tests.factories import NOW, make_published_record

PEOPLE = ["officer", "colleague", "sister_officer", "other_department_officer", "coordinator", "advisor",
          "other_advisor", "admin"]


@pytest.fixture
def someone(request, person):
    """The one person a row of a matrix is about: only that fixture is built, not all eight."""
    return request.getfixturevalue(person)


@pytest.mark.parametrize(
    ("person", "sees"),
    [("officer", True), ("colleague", True), ("sister_officer", False), ("other_department_officer", False),
     ("coordinator", True), ("advisor", True), ("other_advisor", True), ("admin", True)],
)
def test_who_sees_a_departments_booking(someone, booking, person, sees):
    assert can_view_booking(someone, booking) is sees
    assert can_view_department(someone, booking.department) is sees


@pytest.mark.parametrize(
    ("person", "may"),
    [("officer", True), ("colleague", True), ("sister_officer", False), ("other_department_officer", False),
     ("coordinator", True), ("advisor", True), ("other_advisor", False), ("admin", True)],
)
def test_who_cancels_a_booking_before_it_starts(someone, booking, person, may):
    assert can_cancel_booking(someone, booking, NOW) is may
    assert can_cancel_booking(someone, booking, booking.slot.starts_at + timedelta(seconds=1)) is False


@pytest.mark.parametrize(("person", "may"), [(p, p == "advisor") for p in PEOPLE])
def test_only_the_slots_advisor_decides(someone, booking, person, may):
    assert can_decide_booking(someone, booking, NOW) is may


@pytest.mark.parametrize(
    ("person", "may"),
    [("officer", True), ("coordinator", True), ("sister_officer", False), ("advisor", False), ("admin", False)],
)
def test_who_books_for_the_department(someone, department, person, may):
    assert can_book_for(someone, department) is may


@pytest.mark.parametrize(
    ("person", "reads"),
    [("officer", True), ("sister_officer", False), ("other_department_officer", False), ("coordinator", True),
     ("advisor", True), ("admin", True)],
)
def test_who_reads_a_published_record_and_its_notes(someone, booking, advisor, person, reads):
    record = make_published_record(booking, advisor)
    assert can_read_record(someone, record) is reads
    assert can_read_internal_notes(someone) is (person in ("advisor", "admin"))


def test_department_cannot_read_an_unpublished_record(officer, booking, advisor):
    record = make_published_record(booking, advisor)
    record.revisions[0].published_at = None
    assert can_read_record(officer, record) is False
    assert can_read_record(advisor, record) is True


@pytest.mark.parametrize(
    ("person", "department_item", "opdc_item"),
    [("officer", True, False), ("coordinator", True, False), ("sister_officer", False, False),
     ("advisor", True, True), ("admin", False, False)],
)
def test_who_updates_action_items(someone, booking, advisor, person, department_item, opdc_item):
    record = make_published_record(booking, advisor, items=[("ทำตาราง", "department"), ("ส่งแบบฟอร์ม", "opdc")])
    theirs, ours = record.action_items
    assert can_update_action_item(someone, theirs) is department_item
    assert can_update_action_item(someone, ours) is opdc_item
