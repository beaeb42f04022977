"""Administrators manage ministries, departments and topics: create, rename (the department keeps its id, its
bookings and people, and its former name), merge one department into another (everything moves, in one
transaction, audited, refused whole when it cannot be done), retire a topic. Bad input changes nothing."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from clinic.accounts.models import User
from clinic.audit.models import AuditEvent
from clinic.bookings.models import Booking
from clinic.errors import DomainError, NotAllowed
from clinic.extensions import db
from clinic.organisations import services
from clinic.organisations.models import Department, FormerDepartmentName, Ministry, Topic
from clinic.organisations.services import Names
from clinic.records.models import ActionItem
from tests import factories
from tests.factories import NOW


def audit_actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def snapshot() -> tuple:
    """Every row of the tables these services touch, as committed (call it after the setup is committed)."""
    db.session.expire_all()
    return tuple(
        tuple(db.session.execute(select(*model.__table__.c).order_by(model.__table__.c.id)).all())
        for model in (Ministry, Department, FormerDepartmentName, Topic, Booking, User, ActionItem, AuditEvent)
    )


def test_an_administrator_creates_and_edits_a_ministry(admin):
    ministry = services.create_ministry(admin, " moi ", Names("กระทรวงมหาดไทย", "Ministry of Interior", "มท."), NOW)
    assert (ministry.code, ministry.name_th) == ("MOI", "กระทรวงมหาดไทย")
    assert services.update_ministry(admin, ministry, Names("กระทรวงมหาดไทย", "Ministry of the Interior", "มท."), NOW)
    assert not services.update_ministry(admin, ministry, Names("กระทรวงมหาดไทย", "Ministry of the Interior", "มท."), NOW)
    assert ministry.name_en == "Ministry of the Interior"
    assert audit_actions()[-2:] == ["ministry.created", "ministry.updated"]


@pytest.mark.parametrize(("code", "names", "field"), [
    ("", Names("กระทรวงใหม่", "New", "ใหม่"), "code"),
    ("ไทย", Names("กระทรวงใหม่", "New", "ใหม่"), "code"),
    ("X" * 41, Names("กระทรวงใหม่", "New", "ใหม่"), "code"),
    ("TAKEN", Names("กระทรวงใหม่", "New", "ใหม่"), "code"),
    ("NEW", Names("   ", "New", "ใหม่"), "name_th"),
    ("NEW", Names("กระทรวงใหม่", "", "ใหม่"), "name_en"),
    ("NEW", Names("กระทรวงใหม่", "New", ""), "abbreviation"),
    ("NEW", Names("ก" * 201, "New", "ใหม่"), "name_th"),
    ("NEW", Names("กระทรวงใหม่", "New", "ย" * 31), "abbreviation"),
    ("NEW", Names("กระทรวงอุตสาหกรรม", "New", "ใหม่"), "name_th"),
])
def test_a_bad_ministry_is_refused_at_its_field_and_changes_nothing(admin, ministry, code, names, field):
    factories.make_ministry(code="TAKEN")
    db.session.commit()
    before = snapshot()
    with pytest.raises(DomainError) as refused:
        services.create_ministry(admin, code, names, NOW)
    assert refused.value.field == field
    db.session.rollback()
    assert snapshot() == before


@pytest.mark.parametrize("person", ["officer", "coordinator", "advisor"])
def test_only_administrators_manage_organisations(request, person, ministry, department, topic):
    actor = request.getfixturevalue(person)
    for attempt in (
        lambda: services.create_ministry(actor, "X", Names("ก", "M", "ก."), NOW),
        lambda: services.rename_department(actor, department, Names("กรมใหม่", "New", "ใ."), NOW),
        lambda: services.update_topic(actor, topic, Names("ก", "T"), False, NOW),
    ):
        with pytest.raises(NotAllowed):
            attempt()


def test_a_renamed_department_keeps_its_id_bookings_people_and_former_name(admin, department, officer, slot, topic):
    booking = factories.make_booking(slot, officer, topic)
    old = (department.name_th, department.name_en, department.abbreviation)
    assert services.rename_department(admin, department, Names("กรมส่งเสริมและพัฒนาอุตสาหกรรม", "Department of "
                                                                "Industrial Development", "กสพ."), NOW)
    db.session.commit()
    db.session.expire_all()
    renamed = db.session.get(Department, department.id)
    assert renamed.name_th == "กรมส่งเสริมและพัฒนาอุตสาหกรรม"
    assert [(f.name_th, f.name_en, f.abbreviation, f.until) for f in renamed.former_names] == [(*old, NOW)]
    assert db.session.get(Booking, booking.id).department_id == department.id
    assert db.session.get(User, officer.id).department_id == department.id
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "department.renamed"))
    assert event.details["before"]["name_th"] == old[0] and event.department_id == department.id
    assert not services.rename_department(admin, renamed, Names(renamed.name_th, renamed.name_en,
                                                                renamed.abbreviation), NOW)


def test_a_rename_to_a_sister_departments_name_is_refused(admin, department, sister_department):
    db.session.commit()
    before = snapshot()
    with pytest.raises(DomainError) as refused:
        services.rename_department(admin, department, Names(sister_department.name_th, "X", "ก."), NOW)
    assert refused.value.field == "name_th"
    db.session.rollback()
    assert snapshot() == before


def test_merging_moves_bookings_people_and_next_steps_and_retires_the_merged_department(
        admin, department, sister_department, officer, sister_officer, advisor, topic):
    slot = factories.make_slot(advisor, NOW + timedelta(days=7), capacity=3)
    held = factories.make_slot(advisor, NOW - timedelta(days=3))
    booking = factories.make_booking(slot, officer, topic)
    recorded = factories.make_booking(held, officer, topic, status="confirmed")
    record = factories.make_published_record(recorded, advisor, items=[("ส่งผังโครงสร้าง", "department")])
    theirs = factories.make_booking(slot, sister_officer, topic, seat_number=2, status="cancelled")
    plan = services.merge_plan(department, sister_department)
    assert plan.moves["bookings"] == 2 and plan.moves["users"] == 1 and plan.moves["action_items"] == 1
    assert plan.possible
    services.merge_departments(admin, department, sister_department, NOW)
    db.session.commit()
    db.session.expire_all()
    assert {b.department_id for b in db.session.scalars(select(Booking))} == {sister_department.id}
    assert db.session.get(User, officer.id).department_id == sister_department.id
    assert db.session.get(ActionItem, record.action_items[0].id).department_id == sister_department.id
    merged = db.session.get(Department, department.id)
    assert merged.is_retired and merged.merged_into_id == sister_department.id and merged.retired_at == NOW
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "department.merged"))
    assert event.details["survivor_id"] == sister_department.id and event.details["moved"]["bookings"] == 2
    assert db.session.get(Booking, theirs.id).department_id == sister_department.id
    assert db.session.get(Booking, booking.id).department_id == sister_department.id


def test_a_merge_that_would_give_one_department_two_seats_of_a_slot_is_refused_whole(
        admin, department, sister_department, officer, sister_officer, advisor, topic):
    slot = factories.make_slot(advisor, NOW + timedelta(days=7), capacity=3)
    mine = factories.make_booking(slot, officer, topic)
    factories.make_booking(slot, sister_officer, topic, seat_number=2)
    db.session.commit()
    db.session.commit()
    before = snapshot()
    assert services.merge_plan(department, sister_department).clashes == [mine.reference]
    with pytest.raises(DomainError) as refused:
        services.merge_departments(admin, department, sister_department, NOW)
    assert mine.reference in str(refused.value.message)
    db.session.rollback()
    assert snapshot() == before


def test_a_department_is_not_merged_into_itself_nor_into_or_from_a_retired_one(admin, department, sister_department,
                                                                                ministry):
    third = factories.make_department(ministry)
    with pytest.raises(DomainError):
        services.merge_departments(admin, department, department, NOW)
    services.merge_departments(admin, department, sister_department, NOW)
    with pytest.raises(DomainError):
        services.merge_departments(admin, third, department, NOW)
    with pytest.raises(DomainError):
        services.merge_departments(admin, department, third, NOW)
    with pytest.raises(DomainError):
        services.rename_department(admin, department, Names("ก", "D", "ก."), NOW)


def test_a_retired_topic_cannot_be_booked_but_keeps_its_sessions(admin, topic, slot, officer):
    booking = factories.make_booking(slot, officer, topic)
    assert services.update_topic(admin, topic, Names(topic.name_th, topic.name_en), False, NOW)
    db.session.commit()
    assert not db.session.get(Topic, topic.id).is_active
    assert db.session.get(Booking, booking.id).topic_id == topic.id
    created = services.create_topic(admin, "T-NEW", Names("หัวข้อใหม่", "New topic"), NOW)
    assert created.is_active
    with pytest.raises(DomainError) as refused:
        services.create_topic(admin, "T-NEW2", Names(topic.name_th, "Dup"), NOW)
    assert refused.value.field == "name_th"


# -- the pages ------------------------------------------------------------------------------------------------------


def test_the_administrator_renames_and_merges_through_the_pages(login, admin, department, sister_department, officer):
    client = login(admin)
    page = client.get("/admin/departments")
    assert page.status_code == 200 and "กรมโรงงานอุตสาหกรรม" in page.get_data(as_text=True)
    answer = client.post(f"/admin/departments/{department.id}", data={
        "name_th": "กรมโรงงานอุตสาหกรรมใหม่", "name_en": "New DIW", "abbreviation": "กรอ."})
    assert answer.status_code == 302
    page = client.get(f"/admin/departments/{department.id}").get_data(as_text=True)
    assert "กรมโรงงานอุตสาหกรรมใหม่" in page and "กรมโรงงานอุตสาหกรรม<" in page
    confirm = client.get(f"/admin/departments/{department.id}/merge?survivor={sister_department.id}")
    assert confirm.status_code == 200 and 'data-testid="merge-plan"' in confirm.get_data(as_text=True)
    assert db.session.get(User, officer.id).department_id == department.id  # asking changes nothing
    answer = client.post(f"/admin/departments/{department.id}/merge", data={"survivor": str(sister_department.id)})
    assert answer.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, officer.id).department_id == sister_department.id


def test_a_bad_form_is_answered_at_its_field(login, admin, department):
    client = login(admin)
    db.session.commit()
    before = snapshot()
    answer = client.post("/admin/ministries/new", data={"code": "ไทย", "name_th": "ก", "name_en": "M",
                                                        "abbreviation": "ก."})
    assert answer.status_code == 422 and 'data-field-error="code"' in answer.get_data(as_text=True)
    answer = client.get(f"/admin/departments/{department.id}/merge?survivor={department.id}")
    assert answer.status_code == 422
    answer = client.post(f"/admin/departments/{department.id}/merge", data={"survivor": "x"})
    assert answer.status_code == 422
    assert snapshot() == before
