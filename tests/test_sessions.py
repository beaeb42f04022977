"""Sessions that end: signing out ends every session of the user (a copied cookie too), sessions expire when idle
and after a fixed time, signed-in pages are never cached, and `next=` can never smuggle a header or a host."""

from datetime import timedelta

import pytest

from clinic.accounts import services as account_services
from clinic.accounts.services import authenticate, end_sessions
from clinic.audit.models import AuditEvent
from clinic.extensions import db
from tests.factories import NOW, PASSWORD


@pytest.fixture(autouse=True)
def user_loaded_per_request(app):
    """In production each request has an application context of its own, so Flask-Login loads the user (and
    checks the session) on every request. The tests' app context outlives requests and would keep the user
    loaded by an earlier request in `g`: forget it at the start of each request, as production does."""
    from flask import g

    def forget_the_loaded_user() -> None:
        g.pop("_login_user", None)

    hooks = app.before_request_funcs.setdefault(None, [])
    hooks.insert(0, forget_the_loaded_user)
    yield
    hooks.remove(forget_the_loaded_user)  # the app may be shared with other tests


class Clock:
    """The app's NOW, moved by the test."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self):
        return self.now


def copy_of(client, app):
    """A second browser holding a copy of `client`'s session cookie (taken by a thief, or a shared machine)."""
    thief = app.test_client()
    cookie = client.get_cookie("session")
    thief.set_cookie("session", cookie.value)
    return thief


def test_a_cookie_copied_before_sign_out_is_worthless_after_it(app, login, officer):
    client = login(officer)
    thief = copy_of(client, app)
    assert thief.get("/casefile").status_code == 200
    assert client.post("/logout").status_code == 302
    response = thief.get("/casefile")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    events = db.session.query(AuditEvent).filter_by(action="user.sessions_ended").all()
    assert [e.details["reason"] for e in events] == ["signed_out"]


def test_ending_a_users_sessions_ends_them_in_every_browser(app, login, officer):
    client = login(officer)
    other_browser = copy_of(client, app)
    end_sessions(None, officer, NOW, reason="password_changed")
    db.session.commit()
    for browser in (client, other_browser):
        assert browser.get("/casefile").status_code == 302
    assert login(officer).get("/casefile").status_code == 200  # signing in again starts a valid session


def test_a_deactivated_users_old_cookie_is_worthless(app, login, officer):
    client = login(officer)
    officer.is_active_account = False
    db.session.commit()
    assert client.get("/casefile").status_code == 302


@pytest.mark.config(SESSION_IDLE_TIMEOUT=timedelta(minutes=60), SESSION_ABSOLUTE_TIMEOUT=timedelta(hours=10))
def test_an_idle_session_ends_and_signing_in_returns_to_the_page(app, login, officer):
    clock = Clock()
    app.config["NOW"] = clock
    client = login(officer)
    clock.now += timedelta(minutes=59)
    assert client.get("/casefile").status_code == 200
    clock.now += timedelta(minutes=61)
    response = client.get("/casefile?department=1")
    assert response.status_code == 302
    assert "/login?next=/casefile?department%3D1" in response.headers["Location"]
    assert client.get("/casefile").status_code == 302  # the session is gone, not merely refused once


def test_a_session_ends_after_its_absolute_lifetime_however_busy(app, login, officer):
    clock = Clock()
    app.config["NOW"] = clock
    client = login(officer)
    for _ in range(19):  # a request every half hour keeps it from going idle...
        clock.now += timedelta(minutes=30)
        assert client.get("/casefile").status_code == 200
    clock.now += timedelta(minutes=31)  # ...but 10 hours after signing in it ends
    assert client.get("/casefile").status_code == 302


def test_signed_in_pages_and_downloads_are_not_cached_and_static_files_are(login, officer, booking, admin):
    client = login(officer)
    assert client.get("/casefile").headers["Cache-Control"] == "no-store"
    assert client.get(f"/bookings/{booking.id}").headers["Cache-Control"] == "no-store"
    with client.get("/static/css/app.css") as static:
        assert "no-store" not in static.headers.get("Cache-Control", "")
    export = login(admin).get("/admin/reports/sessions.csv")
    assert export.status_code == 200 and export.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    "target",
    ["/casefile\r\nSet-Cookie: x=1", "/casefile\nLocation: https://evil.example", "/\\evil.example",
     "/\\\\evil.example", "//evil.example", "https://evil.example/", "/%0d%0aSet-Cookie:x", "/a\x00b", "/a\tb",
     "/" + "a" * 5000, "javascript:alert(1)", "/ok\x7f"],
)
def test_next_never_leaves_the_site_nor_splits_a_header(client, officer, target):
    db.session.commit()
    response = client.post("/login", query_string={"next": target}, data={"email": officer.email, "password": PASSWORD})
    assert response.status_code in (302, 400)
    location = response.headers.get("Location", "")
    assert "\r" not in location and "\n" not in location and "evil.example" not in location
    switch = client.get("/language/en", query_string={"next": target})
    assert switch.status_code in (302, 400) and "evil.example" not in switch.headers.get("Location", "")


def test_an_unknown_email_costs_a_password_check_like_a_known_one(officer, monkeypatch):
    checked: list[str] = []
    real = account_services.check_password_hash

    def counting(password_hash: str, password: str) -> bool:
        checked.append(password_hash.split(":", 1)[0])
        return real(password_hash, password)

    monkeypatch.setattr(account_services, "check_password_hash", counting)
    assert authenticate("nobody@nowhere.go.th", "wrong password") is None
    assert checked == ["scrypt"]  # the same work a real account's scrypt hash costs
