from datetime import date, timedelta

import pytest
from sqlalchemy import select

from clinic.audit.models import AuditEvent
from clinic.errors import Conflict, DomainError, NotAllowed
from clinic.extensions import db
from clinic.records.models import RecordRevision
from clinic.records.queries import record_for
from clinic.records.services import (
    RecordContent,
    acknowledge,
    add_action_item,
    add_internal_note,
    publish_record,
    save_draft,
    update_action_item,
)
from tests.factories import NOW, make_booking, make_slot

AFTER = NOW + timedelta(days=1)


@pytest.fixture
def held_session(advisor, officer, topic):
    """A confirmed session that took place yesterday."""
    slot = make_slot(advisor, NOW - timedelta(days=1))
    return make_booking(slot, officer, topic, status="confirmed")


def content(guidance="ให้จัดทำการวิเคราะห์ภารกิจ 3 ปีย้อนหลัง") -> RecordContent:
    return RecordContent(attendance="ผู้แทนกรม 2 คน", issues_raised="การจัดตั้งกองใหม่", guidance=guidance)


def test_advisor_drafts_then_publishes_and_department_acknowledges(advisor, officer, held_session):
    attendee = held_session.attendees[0]
    draft = save_draft(advisor, held_session, content(), {attendee.id}, NOW)
    assert draft.number == 1 and draft.published_at is None
    assert attendee.attended is True

    published = publish_record(advisor, record_for(held_session), NOW)
    assert published is draft and published.published_at == NOW

    ack = acknowledge(officer, published, AFTER)
    assert ack.department_id == held_session.department_id
    actions = list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert actions == ["record.draft_saved", "record.published", "record.acknowledged"]


def test_a_change_after_publishing_makes_a_new_revision_and_leaves_the_old_one(advisor, officer, held_session):
    save_draft(advisor, held_session, content("ฉบับแรก"), set(), NOW)
    first = publish_record(advisor, record_for(held_session), NOW)
    acknowledge(officer, first, NOW)

    save_draft(advisor, held_session, content("ฉบับแก้ไข"), set(), AFTER)
    record = record_for(held_session)
    assert record.published is first and first.guidance == "ฉบับแรก"
    second = publish_record(advisor, record, AFTER)

    assert second.number == 2 and second.id != first.id
    db.session.expire_all()
    assert [r.guidance for r in db.session.scalars(select(RecordRevision).order_by(RecordRevision.number))] == [
        "ฉบับแรก", "ฉบับแก้ไข"]
    assert record_for(held_session).published.id == second.id
    assert [a.department_id for a in first.acknowledgements] == [held_session.department_id]
    assert second.acknowledgements == []


def test_only_the_sessions_advisor_writes_the_record(other_advisor, officer, admin, held_session):
    for actor in (other_advisor, officer, admin):
        with pytest.raises(NotAllowed):
            save_draft(actor, held_session, content(), set(), NOW)


def test_pending_booking_has_no_record(advisor, booking):
    with pytest.raises(NotAllowed):
        save_draft(advisor, booking, content(), set(), NOW)


def test_publishing_needs_guidance_and_a_session_that_started(advisor, officer, topic, held_session):
    save_draft(advisor, held_session, content(guidance=" "), set(), NOW)
    with pytest.raises(DomainError) as refused:
        publish_record(advisor, record_for(held_session), NOW)
    assert refused.value.field == "guidance"

    future = make_booking(make_slot(advisor, NOW + timedelta(days=2)), officer, topic, status="confirmed")
    save_draft(advisor, future, content(), set(), NOW)
    with pytest.raises(DomainError):
        publish_record(advisor, record_for(future), NOW)


def test_publishing_twice_without_a_new_draft_is_a_conflict(advisor, held_session):
    save_draft(advisor, held_session, content(), set(), NOW)
    publish_record(advisor, record_for(held_session), NOW)
    with pytest.raises(Conflict):
        publish_record(advisor, record_for(held_session), NOW)


def test_draft_rejects_attendees_of_another_booking_and_overlong_text(advisor, held_session):
    with pytest.raises(DomainError) as refused:
        save_draft(advisor, held_session, content(), {999999}, NOW)
    assert refused.value.field == "attended"
    with pytest.raises(DomainError) as refused:
        save_draft(advisor, held_session, content(guidance="ก" * 10001), set(), NOW)
    assert refused.value.field == "guidance"


def test_acknowledgement_rules(advisor, officer, colleague, other_department_officer, held_session):
    save_draft(advisor, held_session, content(), set(), NOW)
    draft = record_for(held_session).draft
    with pytest.raises(NotAllowed):  # not published yet
        acknowledge(officer, draft, NOW)
    publish_record(advisor, record_for(held_session), NOW)
    with pytest.raises(NotAllowed):
        acknowledge(other_department_officer, draft, NOW)
    with pytest.raises(NotAllowed):
        acknowledge(advisor, draft, NOW)
    acknowledge(officer, draft, NOW)
    with pytest.raises(Conflict):  # the department acknowledged this revision already
        acknowledge(colleague, draft, NOW)


def test_action_items_and_who_updates_them(advisor, officer, other_department_officer, held_session):
    due = date(2026, 12, 31)
    theirs = add_action_item(advisor, held_session, "จัดทำตารางวิเคราะห์ภารกิจ", "department", due, NOW)
    ours = add_action_item(advisor, held_session, "ส่งแบบฟอร์มตัวอย่าง", "opdc", due, NOW)
    with pytest.raises(NotAllowed):  # a step of a draft is not the department's yet
        update_action_item(officer, theirs, "in_progress", "ได้ข้อมูลแล้ว 2 ปี", NOW)
    draft = save_draft(advisor, held_session, RecordContent("2 คน", "โครงสร้าง", "ทบทวนภารกิจ"), set(), NOW)
    publish_record(advisor, draft.record, NOW)

    update_action_item(officer, theirs, "in_progress", "ได้ข้อมูลแล้ว 2 ปี", NOW)
    assert theirs.status == "in_progress" and theirs.progress_note == "ได้ข้อมูลแล้ว 2 ปี"
    with pytest.raises(NotAllowed):
        update_action_item(officer, ours, "done", "", NOW)
    with pytest.raises(NotAllowed):
        update_action_item(other_department_officer, theirs, "done", "", NOW)
    with pytest.raises(DomainError):
        update_action_item(officer, theirs, "forgotten", "", NOW)
    update_action_item(advisor, ours, "done", "", NOW)
    assert ours.status == "done"


@pytest.mark.parametrize(
    ("description", "owner", "due_on", "field"),
    [
        ("", "department", date(2026, 12, 31), "description"),
        ("ก" * 1001, "department", date(2026, 12, 31), "description"),
        ("ทำแผน", "someone", date(2026, 12, 31), "owner"),
        ("ทำแผน", "department", None, "due_on"),
        ("ทำแผน", "department", date(2026, 11, 24), "due_on"),
    ],
)
def test_bad_action_items_are_refused(advisor, held_session, description, owner, due_on, field):
    with pytest.raises(DomainError) as refused:
        add_action_item(advisor, held_session, description, owner, due_on, NOW)
    assert refused.value.field == field


def test_internal_notes_are_for_opdc_only(advisor, officer, held_session):
    note = add_internal_note(advisor, held_session, "กรมนี้เคยขอจัดตั้งกองแล้วในปี 2565", NOW)
    assert note.id is not None
    with pytest.raises(NotAllowed):
        add_internal_note(officer, held_session, "แอบเขียน", NOW)
    with pytest.raises(DomainError):
        add_internal_note(advisor, held_session, "   ", NOW)
