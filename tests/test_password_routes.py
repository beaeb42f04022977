"""The password pages, through the test client: change (this browser stays signed in, the others end), forgotten
(the same answer for every address), the pages a reset or invitation link opens, and too many sign-in attempts.
Every bad input gets its message next to its field and changes nothing."""

import re
from datetime import timedelta

import pytest
from flask import g
from sqlalchemy import select

from clinic.accounts.tokens import Purpose, make_token
from clinic.audit.models import AuditEvent
from clinic.extensions import db
from clinic.notifications.models import OutboxMessage
from tests.factories import NOW, PASSWORD

NEW_PASSWORD = "a quiet river at dawn"


@pytest.fixture(autouse=True)
def user_loaded_per_request(app):
    """Load the user on every request, as production's request-scoped app context does (see test_sessions)."""

    def forget_the_loaded_user() -> None:
        g.pop("_login_user", None)

    app.before_request_funcs.setdefault(None, []).insert(0, forget_the_loaded_user)


def state(user) -> tuple:
    db.session.rollback()
    db.session.refresh(user)
    return (user.password_hash, user.session_version, db.session.query(OutboxMessage).count(),
            db.session.query(AuditEvent).count())


def field_error(response, field: str) -> str:
    found = re.search(rf'data-field-error="{field}">([^<]*)<', response.get_data(as_text=True))
    return found.group(1) if found else ""


def copy_of(client, app):
    other = app.test_client()
    other.set_cookie("session", client.get_cookie("session").value)
    return other


# -- change -----------------------------------------------------------------------------------------------------------


def test_changing_the_password_keeps_this_browser_and_ends_the_others(app, login, officer):
    client = login(officer)
    other_browser = copy_of(client, app)
    page = client.get("/account/password")
    assert page.status_code == 200 and "รหัสผ่านปัจจุบัน" in page.get_data(as_text=True)

    response = client.post("/account/password", data={"current_password": PASSWORD, "new_password": NEW_PASSWORD,
                                                       "confirm_password": NEW_PASSWORD})
    assert response.status_code == 302
    assert "เปลี่ยนรหัสผ่านแล้ว" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert client.get("/casefile").status_code == 200
    assert other_browser.get("/casefile").status_code == 302
    assert db.session.scalar(select(OutboxMessage.subject)) == "[OPDC Clinic] รหัสผ่านของคุณถูกเปลี่ยนแล้ว"
    assert login(officer, NEW_PASSWORD).get("/casefile").status_code == 200


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"current_password": None}, "current_password", "กรอกรหัสผ่านปัจจุบัน"),
    ({"current_password": "wrong one"}, "current_password", "รหัสผ่านปัจจุบันไม่ถูกต้อง"),
    ({"new_password": ""}, "new_password", "กรอกรหัสผ่านใหม่"),
    ({"confirm_password": "something else"}, "confirm_password", "รหัสผ่านใหม่ทั้งสองช่องไม่ตรงกัน"),
    ({"new_password": "short", "confirm_password": "short"}, "new_password", "รหัสผ่านต้องยาวอย่างน้อย 12 ตัวอักษร"),
    ({"new_password": "x" * 200_000, "confirm_password": "x" * 200_000}, "new_password",
     "รหัสผ่านยาวได้ไม่เกิน 128 ตัวอักษร"),
    ({"new_password": "qwerty123456", "confirm_password": "qwerty123456"}, "new_password",
     "รหัสผ่านนี้มีในรายการรหัสผ่านที่ใช้กันมากหรือเคยรั่วไหล เดาได้ง่าย กรุณาตั้งรหัสผ่านอื่น"),
    ({"new_password": ["a", "b"], "confirm_password": "b"}, "confirm_password", "รหัสผ่านใหม่ทั้งสองช่องไม่ตรงกัน"),
])
def test_a_refused_change_shows_why_next_to_the_field_and_changes_nothing(login, officer, data, field, message):
    client = login(officer)
    before = state(officer)
    form = {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD, **data}
    form = {k: v for k, v in form.items() if v is not None}  # None: the field is not sent at all
    response = client.post("/account/password", data=form)
    assert response.status_code == 422
    assert field_error(response, field) == message
    assert state(officer) == before
    assert client.get("/casefile").status_code == 200  # still signed in


def test_the_change_page_needs_a_signed_in_user(client):
    response = client.get("/account/password")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_change_page_reads_in_english(login, officer):
    client = login(officer)
    client.get("/language/en")
    page = client.post("/account/password", data={"current_password": "wrong one", "new_password": NEW_PASSWORD,
                                                   "confirm_password": NEW_PASSWORD})
    text = page.get_data(as_text=True)
    assert "Change password" in text and "The current password is incorrect." in text


# -- forgotten ------------------------------------------------------------------------------------------------------


def test_every_address_gets_the_same_answer_and_only_an_account_gets_mail(client, officer):
    db.session.commit()
    answers = []
    for email in (officer.email, "nobody@nowhere.go.th"):
        response = client.post("/account/password/forgot", data={"email": email})
        assert response.status_code == 302 and response.headers["Location"] == "/login"
        answers.append(client.get("/login").get_data(as_text=True))
    assert answers[0] == answers[1]
    assert "หากอีเมลนี้มีบัญชีในระบบ เราได้ส่งลิงก์ตั้งรหัสผ่านใหม่ไปให้แล้ว" in answers[0] and "60 นาที" in answers[0]
    assert db.session.scalars(select(OutboxMessage.recipient)).all() == [officer.email]


@pytest.mark.parametrize(("email", "message"), [
    ("", "กรอกอีเมล"), ("not an email", "อีเมลไม่ถูกต้อง"), ("a" * 300 + "@x.go.th", "ยาวได้ไม่เกิน 254 ตัวอักษร"),
])
def test_a_bad_address_is_refused_next_to_the_field(client, email, message):
    response = client.post("/account/password/forgot", data={"email": email})
    assert response.status_code == 422 and field_error(response, "email") == message
    assert db.session.query(OutboxMessage).count() == 0


def reset_link(client, officer) -> str:
    client.post("/account/password/forgot", data={"email": officer.email})
    body = db.session.scalar(select(OutboxMessage.body))
    return re.search(r"http://127\.0\.0\.1:5000(/account/password/reset/\S+)", body).group(1)


def test_a_reset_link_sets_the_password_once_and_ends_every_session(app, client, login, officer):
    signed_in = login(officer)
    path = reset_link(app.test_client(), officer)
    page = client.get(path)
    assert page.status_code == 200 and officer.email in page.get_data(as_text=True)
    response = client.post(path, data={"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert signed_in.get("/casefile").status_code == 302
    again = client.get(path)
    assert again.status_code == 410 and "ลิงก์นี้ใช้ไปแล้ว" in again.get_data(as_text=True)
    assert login(officer, NEW_PASSWORD).get("/casefile").status_code == 200


def test_a_bad_new_password_on_the_reset_page_changes_nothing_and_keeps_the_link(client, officer):
    path = reset_link(client, officer)
    before = state(officer)
    response = client.post(path, data={"new_password": "abcdefghijkl", "confirm_password": "abcdefghijkl"})
    assert response.status_code == 422
    assert "แป้นพิมพ์เรียงกัน" in field_error(response, "new_password")
    assert state(officer) == before
    assert client.get(path).status_code == 200


def test_an_expired_link_gets_a_clear_page_and_changes_nothing(app, client, officer):
    path = reset_link(client, officer)
    before = state(officer)
    app.config["NOW"] = lambda: NOW + timedelta(hours=1, seconds=1)
    for response in (client.get(path), client.post(path, data={"new_password": NEW_PASSWORD,
                                                                "confirm_password": NEW_PASSWORD})):
        assert response.status_code == 410
        text = response.get_data(as_text=True)
        assert "ลิงก์ตั้งรหัสผ่านใหม่นี้หมดอายุแล้ว" in text and 'href="/account/password/forgot"' in text
    assert state(officer) == before


@pytest.mark.parametrize("path", [
    "/account/password/reset/not-a-token", "/account/password/reset/" + "x" * 3000,
    "/account/invitation/eyJ1c2VyIjoxfQ.awZPMA.AAAAAAAAAAAAAAAAAAAAAAAAAAA", "/account/invitation/%00",
])
def test_a_tampered_link_gets_a_clear_page(client, officer, path):
    response = client.post(path, data={"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert response.status_code in (400, 404)
    if response.status_code == 400 and "%00" not in path:
        assert "ไม่ถูกต้อง" in response.get_data(as_text=True)


def test_an_invitation_link_lets_the_person_in(app, client, login, admin, department):
    client = login(admin)
    client.post("/admin/users/invite", data={"email": "new@diw.go.th", "name": "นายใหม่ ทดสอบ", "role": "officer",
                                             "department": department.id, "language": "th"})
    body = db.session.scalar(select(OutboxMessage.body))
    path = re.search(r"http://127\.0\.0\.1:5000(/account/invitation/\S+)", body).group(1)
    newcomer = app.test_client()
    page = newcomer.get(path)
    assert page.status_code == 200 and "ยินดีต้อนรับ นายใหม่ ทดสอบ" in page.get_data(as_text=True)
    assert newcomer.post("/login", data={"email": "new@diw.go.th", "password": NEW_PASSWORD}).status_code == 422
    assert newcomer.post(path, data={"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}).status_code == 302
    assert newcomer.post("/login", data={"email": "new@diw.go.th", "password": NEW_PASSWORD}).status_code == 302
    assert newcomer.get("/casefile").status_code == 200


def test_a_link_for_another_purpose_is_refused(client, officer):
    token = make_token(officer, Purpose.PASSWORD_RESET, NOW)
    db.session.commit()
    response = client.get(f"/account/invitation/{token}")
    assert response.status_code == 400 and "ลิงก์คำเชิญนี้ไม่ถูกต้อง" in response.get_data(as_text=True)


@pytest.mark.config(PASSWORD_RESET_RATE_LIMIT="2 per hour")
def test_nobody_can_flood_a_mailbox_with_reset_mail(client, officer):
    db.session.commit()
    for _ in range(2):
        assert client.post("/account/password/forgot", data={"email": officer.email}).status_code == 302
    flooded = client.post("/account/password/forgot", data={"email": officer.email})
    assert flooded.status_code == 429 and int(flooded.headers["Retry-After"]) > 0
    assert db.session.query(OutboxMessage).count() == 2


# -- too many sign-in attempts --------------------------------------------------------------------------------------


@pytest.mark.config(LOGIN_RATE_LIMIT="3 per minute")
@pytest.mark.parametrize("language", ["th", "en"])
def test_too_many_failed_sign_ins_say_when_to_try_again_in_the_readers_language(client, officer, language):
    db.session.commit()
    client.get(f"/language/{language}")
    for _ in range(3):
        assert client.post("/login", data={"email": officer.email, "password": "wrong guess"}).status_code == 422
    response = client.post("/login", data={"email": officer.email, "password": PASSWORD})
    assert response.status_code == 429
    seconds = int(response.headers["Retry-After"])
    assert 0 < seconds <= 61
    text = response.get_data(as_text=True)
    if language == "th":
        assert "ลองเข้าสู่ระบบหลายครั้งเกินไป" in text and "ลองใหม่ได้อีกครั้งในอีกประมาณ 1 นาที (เวลา" in text
    else:
        assert "Too many sign-in attempts" in text and "You can try again at " in text
    assert 'href="/account/password/forgot"' in text
