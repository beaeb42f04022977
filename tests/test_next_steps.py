"""Next steps followed through: a step of an unpublished draft stays OPDC's until the record is published with it;
every report is kept as history; departments attach evidence; only OPDC drops a step, saying why; overdue steps
stand out and come first; advisors list every open step across departments."""

import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from clinic.bookings.documents import Upload
from clinic.bookings.models import Document
from clinic.errors import DomainError, NotAllowed
from clinic.extensions import db
from clinic.records.models import ActionItem, ActionItemUpdate, ActionStatus
from clinic.records.services import (
    RecordContent,
    add_action_item,
    add_evidence,
    publish_record,
    save_draft,
    update_action_item,
)
from tests import factories
from tests.factories import NOW

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def held(advisor, officer, topic):
    slot = factories.make_slot(advisor, starts_at=NOW - timedelta(days=2))
    return factories.make_booking(slot, officer, topic, status="confirmed")


@pytest.fixture
def published(held, advisor):
    return factories.make_published_record(held, advisor, items=[("ส่งร่างโครงสร้างใหม่", "department")])


@pytest.fixture
def step(published) -> ActionItem:
    return published.action_items[0]


def test_a_step_added_to_a_new_draft_is_hidden_until_published(login, held, published, advisor, officer):
    save_draft(advisor, held, RecordContent("2 คน", "ประเด็น", "คำแนะนำฉบับแก้"), set(), NOW)
    later = add_action_item(advisor, held, "จัดทำแผนถ่ายโอนงาน ZQ-DRAFT-STEP", "department",
                            (NOW + timedelta(days=10)).date(), NOW)
    db.session.flush()
    client = login(officer)
    assert "ZQ-DRAFT-STEP" not in client.get(f"/bookings/{held.id}").get_data(as_text=True)
    assert "ZQ-DRAFT-STEP" not in client.get("/casefile").get_data(as_text=True)
    assert client.post(f"/action-items/{later.id}", data={"status": "done"}).status_code == 404
    client = login(advisor)
    page = client.get(f"/bookings/{held.id}").get_data(as_text=True)
    assert "ZQ-DRAFT-STEP" in page and "data-draft-step" in page

    record = published
    db.session.expire_all()
    publish_record(advisor, db.session.merge(record), NOW)
    client = login(officer)
    assert "ZQ-DRAFT-STEP" in client.get("/casefile").get_data(as_text=True)


def test_every_report_is_kept_in_the_steps_history(step, officer, advisor):
    update_action_item(officer, step, "in_progress", "ร่างเสร็จครึ่งหนึ่ง", NOW)
    update_action_item(officer, step, "in_progress", "ส่งร่างให้ผู้บริหารแล้ว", NOW + timedelta(days=1))
    update_action_item(advisor, step, "done", "", NOW + timedelta(days=2))
    history = db.session.scalars(select(ActionItemUpdate).where(ActionItemUpdate.action_item_id == step.id)
                                 .order_by(ActionItemUpdate.id)).all()
    assert [(h.status, h.note) for h in history] == [
        ("in_progress", "ร่างเสร็จครึ่งหนึ่ง"), ("in_progress", "ส่งร่างให้ผู้บริหารแล้ว"), ("done", "")]
    assert history[0].author_id == officer.id and history[2].author_id == advisor.id


def test_an_update_that_says_nothing_new_is_refused(step, officer):
    with pytest.raises(DomainError):
        update_action_item(officer, step, "open", "", NOW)
    assert db.session.scalar(select(func.count(ActionItemUpdate.id))) == 0


def test_only_opdc_drops_a_step_and_says_why(step, officer, advisor):
    with pytest.raises(NotAllowed):
        update_action_item(officer, step, "dropped", "ไม่จำเป็นแล้ว", NOW)
    with pytest.raises(DomainError):
        update_action_item(advisor, step, "dropped", "", NOW)
    assert step.status == ActionStatus.OPEN
    update_action_item(advisor, step, "dropped", "ครม. ยกเลิกการปรับโครงสร้าง", NOW)
    assert step.status == ActionStatus.DROPPED
    with pytest.raises(NotAllowed):  # a dropped step is closed to the department
        update_action_item(officer, step, "in_progress", "ยังทำต่อ", NOW)


def test_the_department_attaches_evidence_which_both_sides_read(login, app, step, held, officer, advisor):
    client = login(officer)
    answer = client.post(f"/action-items/{step.id}/evidence",
                         data={"evidence": (io.BytesIO(PDF), "คำสั่งแต่งตั้ง.pdf")},
                         content_type="multipart/form-data")
    assert answer.status_code == 302
    evidence = db.session.scalars(select(Document).where(Document.action_item_id == step.id)).all()
    assert [d.filename for d in evidence] == ["คำสั่งแต่งตั้ง.pdf"] and evidence[0].booking_id == held.id
    page = client.get(f"/bookings/{held.id}").get_data(as_text=True)
    assert "คำสั่งแต่งตั้ง.pdf" in page and "data-evidence" in page
    with client.get(f"/documents/{evidence[0].id}") as download:
        assert download.data == PDF
    with login(advisor).get(f"/documents/{evidence[0].id}") as download:
        assert download.status_code == 200


@pytest.mark.parametrize("upload, message", [
    (Upload("สรุปผล.pdf", b"just text, not a PDF"), "PDF, DOCX"),
    (Upload("สรุปผล.pdf", b""), "ว่างเปล่า"),
    (Upload("สรุปผล.pdf", PDF + b"x" * 2048), "10 MB"),
    (None, "เลือกไฟล์"),
])
def test_disguised_empty_oversized_or_missing_evidence_is_refused(app, step, officer, tmp_path, upload, message):
    with pytest.raises(DomainError) as refused:
        add_evidence(officer, step, upload, str(tmp_path), 1024, NOW)
    assert message in str(refused.value.message)
    assert db.session.scalar(select(func.count(Document.id))) == 0
    assert not any(tmp_path.iterdir())


def test_another_department_can_neither_see_nor_attach_to_the_step(login, step, sister_officer):
    client = login(sister_officer)
    answer = client.post(f"/action-items/{step.id}/evidence", data={"evidence": (io.BytesIO(PDF), "x.pdf")},
                         content_type="multipart/form-data")
    assert answer.status_code == 404
    assert db.session.scalar(select(func.count(Document.id))) == 0


def test_overdue_steps_stand_out_and_come_first(login, published, held, advisor, officer):
    on_time = published.action_items[0]
    late = add_action_item(advisor, held, "ส่งรายงานความคืบหน้า", "department", NOW.date(), NOW)
    late.due_on = (NOW - timedelta(days=3)).date()
    late.published_at = NOW
    db.session.flush()
    page = login(officer).get("/casefile").get_data(as_text=True)
    assert page.index(f'data-action-item="{late.id}"') < page.index(f'data-action-item="{on_time.id}"')
    row = page[page.index(f'data-action-item="{late.id}"'):]
    assert row.index("data-overdue") < row.index("</tr>")


def test_advisors_list_the_open_steps_of_every_department(login, published, held, advisor, other_advisor, officer,
                                                          sister_officer, topic):
    sister_slot = factories.make_slot(other_advisor, starts_at=NOW - timedelta(days=1))
    sister_booking = factories.make_booking(sister_slot, sister_officer, topic, status="confirmed")
    sister_record = factories.make_published_record(sister_booking, other_advisor,
                                                    items=[("ทบทวนภารกิจ ZQ-SISTER", "opdc")])
    sister_record.action_items[0].due_on = (NOW - timedelta(days=1)).date()
    update_action_item(advisor, published.action_items[0], "done", "", NOW)
    db.session.flush()
    client = login(advisor)
    page = client.get("/next-steps").get_data(as_text=True)
    assert "ZQ-SISTER" in page and "ส่งร่างโครงสร้างใหม่" not in page  # done steps are not open
    assert "ZQ-SISTER" not in client.get("/next-steps?mine=1").get_data(as_text=True)
    assert "ZQ-SISTER" not in client.get("/next-steps?owner=department").get_data(as_text=True)
    assert login(officer).get("/next-steps").status_code == 403


def test_an_earlier_revision_can_be_read_after_a_correction(login, held, published, advisor, officer,
                                                            sister_officer):
    first = published.revisions[0]
    save_draft(advisor, held, RecordContent("2 คน", "ประเด็น", "คำแนะนำฉบับแก้ไข ZQ-SECOND"), set(), NOW)
    db.session.flush()
    db.session.expire_all()
    record = db.session.merge(published)
    draft = record.draft
    client = login(officer)
    assert client.get(f"/revisions/{draft.id}").status_code == 404  # a draft is OPDC's
    publish_record(advisor, record, NOW)
    db.session.flush()
    page = client.get(f"/bookings/{held.id}").get_data(as_text=True)
    assert "ZQ-SECOND" in page and f'href="/revisions/{first.id}"' in page
    earlier = client.get(f"/revisions/{first.id}").get_data(as_text=True)
    assert "ควรทบทวนภารกิจ" in earlier and "ZQ-SECOND" not in earlier
    assert login(sister_officer).get(f"/revisions/{first.id}").status_code == 404
