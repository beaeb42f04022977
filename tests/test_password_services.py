"""Changing, resetting and first setting a password, as services with fixed time: links expire with a moved clock,
work once, die with any password change, and each refusal says why and changes nothing."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from clinic.accounts import services
from clinic.accounts.passwords import COMMON
from clinic.accounts.services import NewUser, Scope
from clinic.accounts.tokens import BadLink, ExpiredLink, Purpose, UsedLink, make_token, user_for_token
from clinic.audit.models import AuditEvent
from clinic.errors import DomainError
from clinic.extensions import db
from clinic.notifications.models import OutboxMessage
from tests.factories import NOW, PASSWORD

NEW_PASSWORD = "a quiet river at dawn"


def outbox() -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def link_in(message: OutboxMessage, path: str) -> str:
    found = re.search(rf"http://127\.0\.0\.1:5000/account/{path}/(\S+)", message.body)
    assert found, message.body
    return found.group(1)


def snapshot(user) -> tuple:
    db.session.refresh(user)
    return user.password_hash, user.session_version, len(outbox()), len(actions())


# -- change ---------------------------------------------------------------------------------------------------------


def test_changing_the_password_ends_sessions_audits_and_tells_the_user(officer):
    version = officer.session_version
    services.change_password(officer, PASSWORD, NEW_PASSWORD, NOW)
    assert officer.check_password(NEW_PASSWORD) and not officer.check_password(PASSWORD)
    assert officer.password_hash.startswith("scrypt:")
    assert officer.session_version == version + 1
    assert actions() == ["user.sessions_ended", "user.password_changed"]
    [message] = outbox()
    assert message.recipient == officer.email and message.subject == "[OPDC Clinic] รหัสผ่านของคุณถูกเปลี่ยนแล้ว"
    assert "25 พ.ย. 2569 10:00 น." in message.body and "/account/password/forgot" in message.body


@pytest.mark.parametrize(("current", "new", "field", "message"), [
    ("wrong password!", NEW_PASSWORD, "current_password", "รหัสผ่านปัจจุบันไม่ถูกต้อง"),
    ("x" * 200_000, NEW_PASSWORD, "current_password", "รหัสผ่านปัจจุบันไม่ถูกต้อง"),
    (PASSWORD, PASSWORD, "new_password", "รหัสผ่านใหม่ต้องไม่ซ้ำกับรหัสผ่านปัจจุบัน"),
    (PASSWORD, "short", "new_password", "รหัสผ่านต้องยาวอย่างน้อย 12 ตัวอักษร"),
    (PASSWORD, "password1234", "new_password", str(COMMON)),
    (PASSWORD, "x" * 200_000, "new_password", "รหัสผ่านยาวได้ไม่เกิน 128 ตัวอักษร"),
    (PASSWORD, "นายอนุชา is me again", "new_password", "รหัสผ่านต้องไม่มีอีเมลหรือชื่อของคุณ"),
])
def test_a_refused_change_says_why_next_to_its_field_and_changes_nothing(officer, current, new, field, message):
    db.session.commit()
    before = snapshot(officer)
    with pytest.raises(DomainError) as refused:
        services.change_password(officer, current, new, NOW)
    db.session.rollback()
    assert (refused.value.field, str(refused.value.message)) == (field, message)
    assert snapshot(officer) == before


# -- forgotten password ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["th", "en"])
def test_a_reset_link_goes_to_the_account_in_its_language_and_works_once(officer, language):
    officer.language = language
    services.request_password_reset("  Officer@DIW.go.th ", NOW)
    [message] = outbox()
    token = link_in(message, "password/reset")
    if language == "th":
        assert message.subject == "[OPDC Clinic] ตั้งรหัสผ่านใหม่"
        assert "ถึง 25 พ.ย. 2569 11:00 น." in message.body  # one hour
    else:
        assert message.subject == "[OPDC Clinic] Set a new password"
        assert "until 25 Nov 2026 11:00" in message.body and not re.search(r"[\u0e00-\u0e7f]", message.body.replace(officer.name, ""))
    assert actions() == ["user.password_reset_requested"]
    version = officer.session_version

    services.reset_password(token, NEW_PASSWORD, NOW + timedelta(minutes=59))
    assert officer.check_password(NEW_PASSWORD) and officer.session_version == version + 1
    assert actions()[-2:] == ["user.sessions_ended", "user.password_reset"]
    assert outbox()[-1].subject in ("[OPDC Clinic] รหัสผ่านของคุณถูกเปลี่ยนแล้ว", "[OPDC Clinic] Your password was changed")
    db.session.commit()

    before = snapshot(officer)
    with pytest.raises(UsedLink):
        services.reset_password(token, "another fine passphrase", NOW + timedelta(minutes=59))
    db.session.rollback()
    assert snapshot(officer) == before


def test_an_unknown_or_deactivated_address_gets_no_mail_but_the_same_work(officer, monkeypatch):
    from clinic.notifications import services as notifications

    rendered: list[str] = []
    real = notifications.render_email

    def counting(template, recipient, **context):
        rendered.append(template)
        return real(template, recipient, **context)

    monkeypatch.setattr(notifications, "render_email", counting)
    services.request_password_reset("nobody@nowhere.go.th", NOW)
    officer.is_active_account = False
    services.request_password_reset(officer.email, NOW)
    # Signed, rendered and written as for a real account, then rolled back: nothing is sent, nothing recorded.
    assert rendered == ["password_reset"] * 2
    assert outbox() == [] and actions() == []
    db.session.commit()
    assert outbox() == []


def test_a_reset_link_expires_after_an_hour(app, officer):
    token = make_token(officer, Purpose.PASSWORD_RESET, NOW)
    db.session.commit()
    before = snapshot(officer)
    assert user_for_token(token, Purpose.PASSWORD_RESET, NOW + timedelta(minutes=60)) == officer
    with pytest.raises(ExpiredLink) as refused:
        services.reset_password(token, NEW_PASSWORD, NOW + timedelta(minutes=61))
    assert refused.value.status_code == 410 and "หมดอายุ" in str(refused.value.message)
    db.session.rollback()
    assert snapshot(officer) == before


@pytest.mark.config(PASSWORD_RESET_MAX_AGE=timedelta(minutes=15))
def test_the_lifetime_of_a_reset_link_is_configurable(app, officer):
    token = make_token(officer, Purpose.PASSWORD_RESET, NOW)
    with pytest.raises(ExpiredLink):
        user_for_token(token, Purpose.PASSWORD_RESET, NOW + timedelta(minutes=16))


def test_any_password_change_voids_the_reset_links_sent_before_it(officer):
    token = make_token(officer, Purpose.PASSWORD_RESET, NOW)
    services.change_password(officer, PASSWORD, NEW_PASSWORD, NOW + timedelta(minutes=5))
    with pytest.raises(UsedLink):
        user_for_token(token, Purpose.PASSWORD_RESET, NOW + timedelta(minutes=6))


@pytest.mark.parametrize("tamper", [
    lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # the signature
    lambda t: "eyJ1c2VyIjoxfQ" + t[t.index("."):],  # another user id under the same signature
    lambda t: t[: len(t) // 2],  # cut short
    lambda t: "",
    lambda t: "not-a-token",
    lambda t: "x" * 5000,
])
def test_a_tampered_link_is_refused_and_changes_nothing(officer, tamper):
    token = make_token(officer, Purpose.PASSWORD_RESET, NOW)
    db.session.commit()
    before = snapshot(officer)
    with pytest.raises(BadLink) as refused:
        services.reset_password(tamper(token), NEW_PASSWORD, NOW)
    assert refused.value.status_code == 400
    db.session.rollback()
    assert snapshot(officer) == before


def test_a_link_made_for_one_purpose_does_not_serve_another(officer):
    reset = make_token(officer, Purpose.PASSWORD_RESET, NOW)
    with pytest.raises(BadLink):
        services.accept_invitation(reset, NEW_PASSWORD, NOW)


def test_a_link_of_a_deactivated_account_is_refused(officer):
    token = make_token(officer, Purpose.PASSWORD_RESET, NOW)
    officer.is_active_account = False
    with pytest.raises(BadLink):
        services.reset_password(token, NEW_PASSWORD, NOW)


def test_a_refused_new_password_leaves_the_link_usable(officer):
    token = make_token(officer, Purpose.PASSWORD_RESET, NOW)
    db.session.commit()
    with pytest.raises(DomainError) as refused:
        services.reset_password(token, "qwerty123456", NOW)
    assert refused.value.field == "new_password"
    db.session.rollback()
    services.reset_password(token, NEW_PASSWORD, NOW)
    assert officer.check_password(NEW_PASSWORD)


# -- invitations ----------------------------------------------------------------------------------------------------


def invite(admin, department, **overrides):
    values = {"email": "New.Officer@DIW.go.th", "name": "นางสาวใหม่ ทดสอบ", "scope": Scope("officer", department),
              "position": "นักวิเคราะห์นโยบายและแผน"}
    return services.invite_user(admin, NewUser(**{**values, **overrides}), NOW)


def test_an_invited_person_cannot_sign_in_until_they_set_a_password_through_the_link(admin, department):
    user = invite(admin, department)
    assert user.email == "new.officer@diw.go.th" and not user.has_password
    assert services.authenticate(user.email, "") is None and services.authenticate(user.email, user.password_hash) is None
    [message] = outbox()
    assert message.subject == "[OPDC Clinic] คำเชิญเข้าใช้ระบบคลินิกให้คำปรึกษา สำนักงาน ก.พ.ร."
    assert "นางสาวดวงใจ ผู้ดูแล เชิญคุณ" in message.body and "ส่วนราชการ: กรมโรงงานอุตสาหกรรม" in message.body
    assert "ลิงก์ใช้ได้ถึง 2 ธ.ค. 2569 10:00 น." in message.body  # seven days
    token = link_in(message, "invitation")
    assert actions() == ["user.invited"]

    services.accept_invitation(token, NEW_PASSWORD, NOW + timedelta(days=6))
    assert services.authenticate("new.officer@diw.go.th", NEW_PASSWORD) is user
    assert actions()[-1] == "user.invitation_accepted"
    with pytest.raises(UsedLink):
        services.accept_invitation(token, "another fine passphrase", NOW + timedelta(days=6))


def test_an_invitation_in_english_for_an_english_speaker(admin, department):
    invite(admin, department, language="en")
    [message] = outbox()
    assert message.subject == "[OPDC Clinic] Invitation to the OPDC Consultation Clinic"
    assert "นางสาวดวงใจ ผู้ดูแล has invited you" in message.body and "Role: Department officer" in message.body
    assert f"Department: {department.name_en}" in message.body
    assert "works until 2 Dec 2026 10:00" in message.body


def test_an_invitation_expires(admin, department):
    invite(admin, department)
    token = link_in(outbox()[0], "invitation")
    with pytest.raises(ExpiredLink):
        services.accept_invitation(token, NEW_PASSWORD, NOW + timedelta(days=7, seconds=1))


def test_resending_an_invitation_voids_the_earlier_link(admin, department):
    user = invite(admin, department)
    first = link_in(outbox()[0], "invitation")
    services.resend_invitation(admin, user, NOW + timedelta(hours=1))
    second = link_in(outbox()[1], "invitation")
    with pytest.raises(UsedLink):
        services.accept_invitation(first, NEW_PASSWORD, NOW + timedelta(hours=2))
    services.accept_invitation(second, NEW_PASSWORD, NOW + timedelta(hours=2))
    assert actions() == ["user.invited", "user.invitation_resent", "user.sessions_ended", "user.invitation_accepted"]
    with pytest.raises(DomainError, match="ตั้งรหัสผ่านแล้ว"):
        services.resend_invitation(admin, user, NOW)


def test_an_invitation_to_an_existing_email_is_refused_and_changes_nothing(admin, department, officer):
    db.session.commit()
    with pytest.raises(DomainError) as refused:
        invite(admin, department, email=" OFFICER@diw.go.th")
    assert refused.value.field == "email" and str(refused.value.message) == "มีผู้ใช้อีเมลนี้แล้ว"
    assert refused.value.status_code == 409
    db.session.rollback()
    assert outbox() == [] and actions() == []


@pytest.mark.parametrize(("overrides", "field"), [
    ({"email": "not-an-email"}, "email"),
    ({"email": "a" * 250 + "@x.go.th"}, "email"),
    ({"name": "   "}, "name"),
    ({"name": "ก" * 201}, "name"),
    ({"position": "ก" * 201}, "position"),
    ({"language": "fr"}, "language"),
])
def test_bad_invitations_are_refused_next_to_their_field(admin, department, overrides, field):
    with pytest.raises(DomainError) as refused:
        invite(admin, department, **overrides)
    assert refused.value.field == field
    db.session.rollback()
    assert outbox() == [] and actions() == []


def test_only_administrators_invite(advisor, department):
    with pytest.raises(DomainError) as refused:
        invite(advisor, department)
    assert refused.value.status_code == 403


def test_one_link_sent_twice_at_once_sets_one_password(app, officer):
    """Two requests racing with one reset link (a double click, two tabs): the user's row is locked, so the second
    sees the password the first set and is refused; exactly one password wins."""
    import threading

    from clinic.accounts.models import User

    token = make_token(officer, Purpose.PASSWORD_RESET, NOW)
    officer_id = officer.id
    db.session.commit()
    outcomes: list[str] = []
    barrier = threading.Barrier(6)

    def attempt(n: int) -> None:
        with app.app_context():
            barrier.wait()
            try:
                services.reset_password(token, f"racing passphrase number {n}", NOW)
                db.session.commit()
                outcomes.append("set")
            except UsedLink:
                db.session.rollback()
                outcomes.append("used")
            except Exception as error:  # anything else fails the test
                db.session.rollback()
                outcomes.append(repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["set"] + ["used"] * 5
    db.session.expire_all()
    assert db.session.query(AuditEvent).filter_by(action="user.password_reset").count() == 1
    assert db.session.get(User, officer_id).session_version == 1
