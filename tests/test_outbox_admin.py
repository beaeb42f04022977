"""Failed and pending e-mail, for administrators: the page at /admin/mail, its retry button, `flask outbox retry`."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from clinic.accounts.models import Role
from clinic.audit.models import AuditEvent
from clinic.audit.policies import ADMINISTRATOR
from clinic.extensions import db
from clinic.notifications.models import OutboxMessage, OutboxStatus
from tests.factories import NOW


def mail(status: OutboxStatus = OutboxStatus.FAILED, recipient: str = "officer@diw.go.th", **values) -> OutboxMessage:
    values = {"next_attempt_at": NOW, **values}
    message = OutboxMessage(recipient=recipient, subject="ยืนยันนัดหมาย", body="รายละเอียด", created_at=NOW,
                            status=status, **values)
    if status == OutboxStatus.FAILED:
        message.attempts, message.last_error = 8, "ConnectionRefusedError: smtp down"
    db.session.add(message)
    db.session.commit()
    return message


def requeue_events() -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "mail.requeued")))


def test_the_policy_names_the_administrator_role():
    assert ADMINISTRATOR == Role.ADMIN


def test_administrators_see_failed_and_pending_mail_but_not_what_was_sent(login, admin):
    failed = mail(recipient="failed@diw.go.th")
    mail(OutboxStatus.PENDING, recipient="waiting@diw.go.th", attempts=2, last_error="TimeoutError: timed out",
         next_attempt_at=NOW + timedelta(minutes=4))
    mail(OutboxStatus.SENT, recipient="delivered@diw.go.th")
    page = login(admin).get("/admin/mail").get_data(as_text=True)
    assert "failed@diw.go.th" in page and "waiting@diw.go.th" in page and "delivered@diw.go.th" not in page
    assert "smtp down" in page and "TimeoutError: timed out" in page
    assert page.index("failed@diw.go.th") < page.index("waiting@diw.go.th")  # failed first
    assert 'data-testid="mail-counts"' in page and "ส่งไม่สำเร็จ 1 ฉบับ · รอส่ง 1 ฉบับ · ส่งแล้ว 1 ฉบับ" in page
    assert f'action="/admin/mail/{failed.id}/retry"' in page
    assert 'href="/admin/mail"' in page  # in the menu


def test_the_list_is_paged(login, admin):
    db.session.add_all(OutboxMessage(recipient=f"p{i}@diw.go.th", subject="s", body="b", created_at=NOW,
                                     next_attempt_at=NOW) for i in range(55))
    client = login(admin)
    first = client.get("/admin/mail").get_data(as_text=True)
    second = client.get("/admin/mail?page=2").get_data(as_text=True)
    assert first.count("data-message=") == 50 and second.count("data-message=") == 5
    assert "หน้า 2 จาก 2" in second
    assert client.get("/admin/mail?page=x").status_code == 200


@pytest.mark.parametrize("who", ["officer", "advisor", "coordinator"])
def test_nobody_else_sees_or_requeues_mail(request, login, who):
    failed = mail()
    client = login(request.getfixturevalue(who))
    assert client.get("/admin/mail").status_code == 403
    assert client.post(f"/admin/mail/{failed.id}/retry").status_code == 403
    assert 'href="/admin/mail"' not in client.get("/").get_data(as_text=True)
    assert db.session.get(OutboxMessage, failed.id).status == OutboxStatus.FAILED


def test_retrying_a_failed_message_queues_it_at_once_with_an_audit_event(login, admin):
    failed = mail()
    response = login(admin).post(f"/admin/mail/{failed.id}/retry", data={"page": "1"}, follow_redirects=True)
    assert "จะส่งอีเมลถึง officer@diw.go.th อีกครั้งในไม่ช้า" in response.get_data(as_text=True)
    db.session.expire_all()
    again = db.session.get(OutboxMessage, failed.id)
    assert (again.status, again.attempts, again.next_attempt_at) == (OutboxStatus.PENDING, 0, NOW)
    [event] = requeue_events()
    assert event.actor_id == admin.id and event.object_id == failed.id
    assert event.details == {"recipient": "officer@diw.go.th", "previous_status": "failed", "previous_attempts": 8}


def test_mail_already_sent_or_being_sent_is_not_requeued(login, admin):
    sent = mail(OutboxStatus.SENT)
    in_flight = mail(OutboxStatus.PENDING, claimed_until=NOW + timedelta(minutes=5), claim_token="x" * 32)
    client = login(admin)
    page = client.post(f"/admin/mail/{sent.id}/retry", follow_redirects=True).get_data(as_text=True)
    assert "อีเมลฉบับนี้ส่งไปแล้ว" in page
    page = client.post(f"/admin/mail/{in_flight.id}/retry", follow_redirects=True).get_data(as_text=True)
    assert "กำลังถูกส่งอยู่" in page
    assert requeue_events() == []
    assert client.post("/admin/mail/999999/retry").status_code == 404


@pytest.mark.config(WTF_CSRF_ENABLED=True)
def test_retrying_needs_a_csrf_token(app, client, admin):
    from flask import g

    from tests.factories import PASSWORD

    failed_id = mail().id
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login_page).group(1)
    assert client.post("/login", data={"email": admin.email, "password": PASSWORD, "csrf_token": token}).status_code == 302
    assert client.post(f"/admin/mail/{failed_id}/retry").status_code == 400
    assert db.session.get(OutboxMessage, failed_id).status == OutboxStatus.FAILED
    g.pop("csrf_token", None)  # requests share the test's app context, and Flask-WTF caches the token on its `g`
    page = client.get("/admin/mail").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(f"/admin/mail/{failed_id}/retry", data={"csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)


def test_the_command_requeues_one_message_or_every_failed_one(app):
    first, second, sent = mail(), mail(recipient="b@diw.go.th"), mail(OutboxStatus.SENT)
    first_id, second_id, sent_id = first.id, second.id, sent.id
    runner = app.test_cli_runner()
    assert runner.invoke(args=["outbox", "retry"]).exit_code == 2
    result = runner.invoke(args=["outbox", "retry", "--id", str(first_id)])
    assert result.exit_code == 0 and f"requeued 1: {first_id}" in result.output
    result = runner.invoke(args=["outbox", "retry", "--id", str(sent_id)])
    assert result.exit_code == 1 and "ส่งไปแล้ว" in result.output
    assert runner.invoke(args=["outbox", "retry", "--id", "424242"]).exit_code == 1
    result = runner.invoke(args=["outbox", "retry", "--all-failed"])
    assert result.exit_code == 0 and f"requeued 1: {second_id}" in result.output
    db.session.expire_all()
    assert [db.session.get(OutboxMessage, i).status for i in (first_id, second_id, sent_id)] == [
        "pending", "pending", "sent"]
    assert sorted(e.object_id for e in requeue_events()) == [first_id, second_id]
    assert {e.actor_id for e in requeue_events()} == {None}
