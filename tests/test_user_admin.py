"""Administrators manage people under /admin/users: the list, invitations, role and scope, deactivation and
advisors' expertise. Nobody else reaches these pages; an administrator cannot lock themself out; a bad form
changes nothing and says why next to its field."""

import re

import pytest
from flask import g
from sqlalchemy import func, select

from clinic.accounts import services
from clinic.accounts.models import User
from clinic.accounts.policies import can_deactivate_user, can_manage_users, can_resend_invitation
from clinic.accounts.services import Scope
from clinic.audit.models import AuditEvent
from clinic.errors import DomainError
from clinic.extensions import db
from clinic.notifications.models import OutboxMessage
from tests import factories
from tests.factories import NOW, PASSWORD
from tests.helpers import change_events, counted_queries

PEOPLE = ["officer", "coordinator", "advisor", "admin"]


@pytest.fixture(autouse=True)
def user_loaded_per_request(app):
    """Load the user on every request, as production's request-scoped app context does (see test_sessions)."""

    def forget_the_loaded_user() -> None:
        g.pop("_login_user", None)

    app.before_request_funcs.setdefault(None, []).insert(0, forget_the_loaded_user)


@pytest.fixture
def someone(request, person):
    return request.getfixturevalue(person)


@pytest.fixture
def other_admin(app):
    return factories.make_user("admin", name="นายบริหาร ระบบ")


def counts() -> tuple[int, int, int]:
    db.session.rollback()
    users, mail = (db.session.scalar(select(func.count()).select_from(m)) for m in (User, OutboxMessage))
    return users, change_events(), mail


def field_error(response, field: str) -> str:
    found = re.search(rf'data-field-error="{field}">([^<]*)<', response.get_data(as_text=True))
    return found.group(1) if found else ""


def invitation(of_department, **overrides) -> dict:
    return {"email": "new@diw.go.th", "name": "นายใหม่ ทดสอบ", "position": "นักวิเคราะห์", "role": "officer",
            "department": str(of_department.id), "ministry": "", "language": "th", **overrides}


# -- policies -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("person", "may"), [(p, p == "admin") for p in PEOPLE])
def test_only_administrators_manage_users(someone, officer, person, may):
    assert can_manage_users(someone) is may
    assert can_deactivate_user(someone, officer) is may


def test_an_administrator_may_deactivate_others_but_not_themself(admin, other_admin, officer):
    assert can_deactivate_user(admin, other_admin) and not can_deactivate_user(admin, admin)
    officer.is_active_account = False
    assert not can_deactivate_user(admin, officer)  # already


def test_an_invitation_is_resent_only_while_it_is_pending(admin, officer, department):
    invited = services.invite_user(admin, services.NewUser("a@diw.go.th", "นายเอ", Scope("officer", department)), NOW)
    assert can_resend_invitation(admin, invited) and not can_resend_invitation(admin, officer)
    invited.is_active_account = False
    assert not can_resend_invitation(admin, invited)


@pytest.mark.parametrize("person", ["officer", "coordinator", "advisor"])
def test_nobody_but_an_administrator_reaches_the_pages(login, someone, officer, person):
    client = login(someone)
    before = counts()
    for path in ("/admin/users", "/admin/users/invite", f"/admin/users/{officer.id}"):
        assert client.get(path).status_code == 403, path
    for path in ("/admin/users/invite", *(f"/admin/users/{officer.id}/{a}" for a in
                 ("scope", "deactivate", "reactivate", "invitation", "expertise"))):
        assert client.post(path, data={"role": "admin"}).status_code == 403, path
    assert counts() == before


def test_the_admin_menu_links_to_users_and_others_do_not_see_it(login, admin, officer):
    assert 'href="/admin/users">ผู้ใช้</a>' in login(admin).get("/admin/reports/sessions").get_data(as_text=True)
    assert 'href="/admin/users"' not in login(officer).get("/casefile").get_data(as_text=True)


# -- the list -------------------------------------------------------------------------------------------------------


def test_the_list_filters_by_role_ministry_department_status_and_text(login, admin, officer, coordinator,
                                                                     sister_officer, other_department_officer,
                                                                     advisor, ministry, department):
    invited = services.invite_user(admin, services.NewUser("invited@diw.go.th", "นายรอ เชิญ",
                                                           Scope("officer", department)), NOW)
    sister_officer.is_active_account = False
    client = login(admin)

    def listed(**query) -> set[str]:
        response = client.get("/admin/users", query_string=query)
        assert response.status_code == 200
        return set(re.findall(r'data-user="([^"]+)"', response.get_data(as_text=True)))

    everyone = {u.email for u in (admin, officer, coordinator, sister_officer, other_department_officer, advisor, invited)}
    assert listed() == everyone
    assert listed(role="coordinator") == {coordinator.email}
    assert listed(ministry=ministry.id) == {officer.email, coordinator.email, sister_officer.email, invited.email}
    assert listed(department=department.id) == {officer.email, invited.email}
    assert listed(status="invited") == {invited.email}
    assert listed(status="inactive") == {sister_officer.email}
    assert listed(status="active") == everyone - {invited.email, sister_officer.email}
    assert listed(q="OFFICER@diw") == {officer.email}
    assert listed(q="สมชาย") == {advisor.email}
    assert listed(q="100%_") == set()  # LIKE's wildcards are searched for, not obeyed
    page = client.get("/admin/users", query_string={"status": "invited"}).get_data(as_text=True)
    assert 'data-user-status="invited"' in page and "รอตั้งรหัสผ่าน" in page


@pytest.mark.parametrize(("query", "field", "message"), [
    ({"role": "superuser"}, "role", "ไม่พบบทบาทที่เลือก"),
    ({"department": "abc"}, "department", "ไม่พบส่วนราชการที่เลือก"),
    ({"ministry": "99999999999999999999"}, "ministry", "ไม่พบกระทรวงที่เลือก"),
    ({"status": "deleted"}, "status", "ไม่พบสถานะที่เลือก"),
    ({"q": "ก" * 101}, "q", "ยาวได้ไม่เกิน 100 ตัวอักษร"),
])
def test_a_bad_filter_says_why_next_to_it(login, admin, query, field, message):
    response = login(admin).get("/admin/users", query_string=query)
    assert response.status_code == 422 and field_error(response, field) == message
    assert "data-user=" not in response.get_data(as_text=True)


def test_the_list_is_paged_and_a_page_out_of_range_shows_the_last(login, admin, department):
    for n in range(55):
        factories.make_user("officer", department=department, name=f"ก ผู้ใช้ {n:02d}")
    client = login(admin)
    first = client.get("/admin/users").get_data(as_text=True)
    assert first.count("data-user=") == 50 and "พบ 56 คน" in first and "หน้า 1 จาก 2" in first
    for page in ("2", "999", "99999999999999999999"):
        last = client.get("/admin/users", query_string={"page": page}).get_data(as_text=True)
        assert last.count("data-user=") == 6 and "หน้า 2 จาก 2" in last
    assert client.get("/admin/users", query_string={"page": "abc"}).status_code == 200


def test_the_list_issues_the_same_queries_for_few_and_many_users(login, admin, ministry):
    client = login(admin)

    def add_people(n: int) -> None:
        for _ in range(n):
            factories.make_user("officer", department=factories.make_department(ministry))
            factories.make_user("coordinator", ministry=factories.make_ministry())
        db.session.commit()

    def measure() -> int:
        db.session.expire_all()
        with counted_queries() as statements:
            assert client.get("/admin/users").status_code == 200
        return len(statements)

    add_people(1)
    few = measure()
    add_people(8)
    assert measure() == few


# -- invitations ----------------------------------------------------------------------------------------------------


def test_an_administrator_invites_an_officer(login, admin, department):
    client = login(admin)
    page = client.get("/admin/users/invite")
    assert page.status_code == 200 and "เชิญผู้ใช้" in page.get_data(as_text=True)
    response = client.post("/admin/users/invite", data=invitation(department, email=" New@DIW.go.th "))
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "new@diw.go.th"))
    assert response.headers["Location"] == f"/admin/users/{user.id}"
    assert user.department_id == department.id and not user.has_password and user.position == "นักวิเคราะห์"
    detail = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "ส่งคำเชิญไปที่ new@diw.go.th แล้ว" in detail and "ส่งคำเชิญอีกครั้ง" in detail
    assert db.session.scalar(select(OutboxMessage.recipient)) == "new@diw.go.th"


def test_inviting_an_existing_email_says_so_and_changes_nothing(login, admin, officer, department):
    client = login(admin)
    before = counts()
    response = client.post("/admin/users/invite", data=invitation(department, email="OFFICER@diw.go.th"))
    assert response.status_code == 409 and field_error(response, "email") == "มีผู้ใช้อีเมลนี้แล้ว"
    assert counts() == before


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"email": ""}, "email", "กรอกอีเมล"),
    ({"email": "not an email"}, "email", "อีเมลไม่ถูกต้อง"),
    ({"email": "a" * 250 + "@x.go.th"}, "email", "ยาวได้ไม่เกิน 254 ตัวอักษร"),
    ({"name": ""}, "name", "กรอกชื่อ"),
    ({"name": "ก" * 201}, "name", "ยาวได้ไม่เกิน 200 ตัวอักษร"),
    ({"position": "ก" * 201}, "position", "ยาวได้ไม่เกิน 200 ตัวอักษร"),
    ({"role": "superuser"}, "role", "บทบาทไม่ถูกต้อง"),
    ({"role": ["officer", "admin"]}, "role", ""),  # the first value counts: no error, the invitation goes
    ({"department": "99999"}, "department", "ไม่พบส่วนราชการที่เลือก"),
    ({"department": "abc"}, "department", "ไม่พบส่วนราชการที่เลือก"),
    ({"department": ""}, "department", "เจ้าหน้าที่ส่วนราชการต้องมีสังกัดกรม"),
    ({"role": "coordinator"}, "ministry", "ผู้ประสานงานต้องมีสังกัดกระทรวง"),
    ({"language": "fr"}, "language", "ภาษาไม่ถูกต้อง"),
])
def test_a_bad_invitation_says_why_next_to_the_field_and_changes_nothing(login, admin, department, overrides,
                                                                        field, message):
    client = login(admin)
    before = counts()
    response = client.post("/admin/users/invite", data=invitation(department, **overrides))
    if not message:
        assert response.status_code == 302
        return
    assert response.status_code == 422 and field_error(response, field) == message
    assert counts() == before


def test_resending_an_invitation(login, admin, department, officer):
    client = login(admin)
    client.post("/admin/users/invite", data=invitation(department))
    invited = db.session.scalar(select(User).where(User.email == "new@diw.go.th"))
    response = client.post(f"/admin/users/{invited.id}/invitation")
    assert response.status_code == 302
    assert "ส่งคำเชิญใหม่แล้ว" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert db.session.query(OutboxMessage).count() == 2
    before = counts()
    refused = client.post(f"/admin/users/{officer.id}/invitation")
    assert refused.status_code == 409 and "ผู้ใช้นี้ตั้งรหัสผ่านแล้ว" in refused.get_data(as_text=True)
    assert counts() == before


# -- one person's page --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/admin/users/999999", "/admin/users/99999999999", "/admin/users/0",
                                  "/admin/users/-1", "/admin/users/abc"])
def test_an_unknown_or_impossible_id_is_a_404(login, admin, path):
    client = login(admin)
    assert client.get(path).status_code == 404
    assert client.post(path + "/deactivate").status_code in (404, 405)


def test_changing_a_role_ends_the_users_sessions_and_records_before_and_after(app, login, admin, officer, ministry,
                                                                               department):
    officer_browser = app.test_client()
    db.session.commit()
    officer_browser.post("/login", data={"email": officer.email, "password": PASSWORD})
    assert officer_browser.get("/casefile").status_code == 200
    client = login(admin)
    response = client.post(f"/admin/users/{officer.id}/scope", data={"role": "coordinator", "ministry": ministry.id,
                                                                     "department": department.id})
    assert response.status_code == 302
    assert "เปลี่ยนบทบาทและสังกัดแล้ว" in client.get(response.headers["Location"]).get_data(as_text=True)
    db.session.refresh(officer)
    assert (officer.role, officer.ministry_id, officer.department_id) == ("coordinator", ministry.id, None)
    assert officer_browser.get("/casefile").status_code == 302
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.role_changed"))
    assert event.actor_id == admin.id and event.object_id == officer.id
    assert event.details == {"before": {"role": "officer", "department_id": department.id, "ministry_id": None},
                             "after": {"role": "coordinator", "department_id": None, "ministry_id": ministry.id}}
    again = client.post(f"/admin/users/{officer.id}/scope", data={"role": "coordinator", "ministry": ministry.id})
    assert "ไม่มีการเปลี่ยนแปลง" in client.get(again.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"role": "officer", "department": ""}, "department", "เจ้าหน้าที่ส่วนราชการต้องมีสังกัดกรม"),
    ({"role": "coordinator"}, "ministry", "ผู้ประสานงานต้องมีสังกัดกระทรวง"),
    ({"role": "root"}, "role", "บทบาทไม่ถูกต้อง"),
    ({"role": "officer", "department": "2147483648"}, "department", "ไม่พบส่วนราชการที่เลือก"),
])
def test_a_bad_role_change_says_why_and_changes_nothing(login, admin, advisor, data, field, message):
    client = login(admin)
    before = counts()
    response = client.post(f"/admin/users/{advisor.id}/scope", data=data)
    assert response.status_code == 422 and field_error(response, field) == message
    assert counts() == before


def test_an_administrator_cannot_demote_or_deactivate_themself(login, admin, department):
    client = login(admin)
    page = client.get(f"/admin/users/{admin.id}").get_data(as_text=True)
    assert "ปิดการใช้งานบัญชีของตนเองไม่ได้" not in page and 'data-testid="self-note"' in page
    assert "/deactivate" not in page
    before = counts()
    demoted = client.post(f"/admin/users/{admin.id}/scope", data={"role": "officer", "department": department.id})
    assert demoted.status_code == 422
    assert field_error(demoted, "role") == "คุณเปลี่ยนบทบาทของตนเองไม่ได้ ให้ผู้ดูแลระบบคนอื่นเปลี่ยนให้"
    deactivated = client.post(f"/admin/users/{admin.id}/deactivate")
    assert deactivated.status_code == 422 and "คุณปิดการใช้งานบัญชีของตนเองไม่ได้" in deactivated.get_data(as_text=True)
    assert counts() == before
    assert client.get("/admin/users").status_code == 200  # still an administrator, still signed in


def test_deactivation_ends_sessions_at_once_keeps_history_and_can_be_undone(app, login, admin, officer, booking):
    officer_browser = app.test_client()
    db.session.commit()
    officer_browser.post("/login", data={"email": officer.email, "password": PASSWORD})
    client = login(admin)
    response = client.post(f"/admin/users/{officer.id}/deactivate")
    assert response.status_code == 302
    assert officer_browser.get("/casefile").status_code == 302
    assert app.test_client().post("/login", data={"email": officer.email, "password": PASSWORD}).status_code == 422
    assert db.session.get(User, officer.id) is not None and booking.booked_by_id == officer.id
    again = client.post(f"/admin/users/{officer.id}/deactivate")
    assert again.status_code == 409 and "ถูกปิดการใช้งานอยู่แล้ว" in again.get_data(as_text=True)
    assert client.post(f"/admin/users/{officer.id}/reactivate").status_code == 302
    assert app.test_client().post("/login", data={"email": officer.email, "password": PASSWORD}).status_code == 302
    assert client.post(f"/admin/users/{officer.id}/reactivate").status_code == 409
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == officer.id,
                                                                 AuditEvent.actor_id == admin.id)
                                 .order_by(AuditEvent.id)).all()
    assert actions == ["user.sessions_ended", "user.deactivated", "user.reactivated"]


def test_an_advisors_expertise(login, admin, advisor, topic, other_topic):
    client = login(admin)
    page = client.get(f"/admin/users/{advisor.id}").get_data(as_text=True)
    assert "หัวข้อที่เชี่ยวชาญ" in page and other_topic.name_th in page
    response = client.post(f"/admin/users/{advisor.id}/expertise", data={"topics": [topic.id, other_topic.id]})
    assert response.status_code == 302
    db.session.refresh(advisor)
    assert [t.id for t in advisor.expertise] == [topic.id, other_topic.id]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.expertise_changed"))
    assert event.details == {"before": [topic.id], "after": [topic.id, other_topic.id]}
    assert client.post(f"/admin/users/{advisor.id}/expertise", data={}).status_code == 302
    db.session.refresh(advisor)
    assert advisor.expertise == []


@pytest.mark.parametrize("topics", [["99999"], ["abc"], ["1", "x"]])
def test_bad_expertise_says_why_and_changes_nothing(login, admin, advisor, topic, topics):
    client = login(admin)
    before = counts()
    response = client.post(f"/admin/users/{advisor.id}/expertise", data={"topics": topics})
    assert response.status_code == 422 and field_error(response, "topics") == "ตัวเลือกไม่ถูกต้อง"
    assert counts() == before


def test_only_advisors_have_expertise(login, admin, officer, topic):
    client = login(admin)
    assert 'data-testid="expertise"' not in client.get(f"/admin/users/{officer.id}").get_data(as_text=True)
    before = counts()
    response = client.post(f"/admin/users/{officer.id}/expertise", data={"topics": [topic.id]})
    assert response.status_code == 422
    assert field_error(response, "topics") == "กำหนดหัวข้อความเชี่ยวชาญได้เฉพาะที่ปรึกษา"
    assert counts() == before


def test_the_pages_read_in_english(login, admin, officer):
    client = login(admin)
    client.get("/language/en")
    listing = client.get("/admin/users").get_data(as_text=True)
    assert "Invite a user" in listing and "Department officer" in listing and "Affiliation" in listing
    detail = client.get(f"/admin/users/{officer.id}").get_data(as_text=True)
    assert "Role and affiliation" in detail and "Deactivate account" in detail
    assert "Send invitation" in client.get("/admin/users/invite").get_data(as_text=True)


@pytest.mark.config(WTF_CSRF_ENABLED=True)
def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(client, admin, officer, department):
    db.session.commit()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post("/login", data={"email": admin.email, "password": PASSWORD, "csrf_token": token}).status_code == 302
    before = counts()
    for path, data in ((f"/admin/users/{officer.id}/deactivate", {}),
                       (f"/admin/users/{officer.id}/scope", {"role": "admin"}),
                       ("/admin/users/invite", invitation(department)),
                       ("/account/password", {"current_password": PASSWORD, "new_password": "a quiet river at dawn",
                                              "confirm_password": "a quiet river at dawn"})):
        response = client.post(path, data=data)
        assert response.status_code == 400, path
        assert "แบบฟอร์มหมดอายุ" in response.get_data(as_text=True)
    assert counts() == before


def test_a_service_refuses_a_non_administrator_whatever_the_route(officer, advisor):
    for act in (lambda: services.deactivate_user(officer, advisor, NOW),
                lambda: services.change_scope(officer, advisor, Scope("admin"), NOW),
                lambda: services.set_expertise(officer, advisor, [], NOW)):
        with pytest.raises(DomainError) as refused:
            act()
        assert refused.value.status_code == 403
