"""OPDC sees every case: advisors and administrators open any department's case file, with every session, record
and next step, from an index of departments that puts overdue next steps first."""

from datetime import timedelta

import pytest

from clinic.extensions import db
from clinic.records.models import ActionItem
from tests.factories import NOW, make_booking, make_department, make_published_record, make_slot, make_user


@pytest.fixture
def cases(advisor, officer, department, topic, ministry):
    """Two departments of one ministry, one of another: the first has an overdue step, the second an open one
    that is not yet due, the third nothing."""
    held = make_booking(make_slot(advisor, NOW - timedelta(days=20)), officer, topic, status="confirmed",
                        request_details="เรื่องของกรมโรงงาน")
    record = make_published_record(held, advisor, items=[("ส่งตารางภารกิจ", "department")])
    record.action_items[0].due_on = (NOW - timedelta(days=3)).date()  # overdue
    sister = make_department(ministry, name_th="กรมส่งเสริมอุตสาหกรรม", name_en="Department of Industrial Promotion")
    sister_officer = make_user("officer", department=sister)
    later = make_booking(make_slot(advisor, NOW - timedelta(days=10)), sister_officer, topic, status="confirmed")
    make_published_record(later, advisor, items=[("ทบทวนกระบวนงาน", "department")])
    elsewhere = make_department(name_th="กรมไม่มีเรื่อง")
    db.session.commit()
    return {"overdue": department, "open": sister, "quiet": elsewhere, "record": record}


@pytest.mark.parametrize("person", ["advisor", "admin"])
def test_opdc_lands_on_the_index_with_overdue_steps_first(request, login, cases, person):
    client = login(request.getfixturevalue(person))
    assert client.get("/casefile").headers["Location"].endswith("/cases")
    page = client.get("/cases").get_data(as_text=True)
    order = [page.index(f'data-department="{cases[k].id}"') for k in ("overdue", "open", "quiet")]
    assert order[0] < min(order[1:])  # the department with an overdue step comes first
    first_row = page[order[0]:page.index("</tr>", order[0])]
    assert "data-overdue>1<" in first_row


def test_the_index_filters_by_ministry_and_ignores_a_bad_filter(login, advisor, cases, ministry):
    client = login(advisor)
    page = client.get(f"/cases?ministry={ministry.id}").get_data(as_text=True)
    assert f'data-department="{cases["overdue"].id}"' in page and f'data-department="{cases["quiet"].id}"' not in page
    for bad in ("abc", "99999999999", "-1", ""):
        response = client.get("/cases", query_string={"ministry": bad})
        assert response.status_code == 200
        assert f'data-department="{cases["quiet"].id}"' in response.get_data(as_text=True)


def test_an_advisor_reads_any_departments_case_file_with_draft_steps(login, other_advisor, officer, cases):
    record = cases["record"]
    db.session.add(ActionItem(record=record, department_id=record.booking.department_id, description="ขั้นตอนในร่าง",
                              owner="opdc", due_on=(NOW + timedelta(days=5)).date(), status="open",
                              created_at=NOW, updated_at=NOW))
    record.revisions[0].published_at = None  # the record is back to a draft: its steps are OPDC's only
    db.session.commit()
    page = login(other_advisor).get(f"/casefile?department={cases['overdue'].id}").get_data(as_text=True)
    assert record.booking.reference in page and "ขั้นตอนในร่าง" in page
    assert "จองคลินิก" not in page.split("<main", 1)[1].split("</h1>", 1)[1].split("การจองและ", 1)[0]
    department_page = login(officer).get("/casefile").get_data(as_text=True)
    assert "ขั้นตอนในร่าง" not in department_page


@pytest.mark.parametrize("person", ["officer", "coordinator"])
def test_departments_do_not_get_the_index(request, login, cases, person):
    assert login(request.getfixturevalue(person)).get("/cases").status_code == 403


def test_the_index_is_in_english_for_english_readers(login, advisor, cases):
    client = login(advisor)
    client.get("/language/en")
    page = client.get("/cases").get_data(as_text=True)
    assert "Department of Industrial Promotion" in page and "All departments' case files" in page
