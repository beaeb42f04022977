"""Single sign-on through OpenID Connect, against a real provider on 127.0.0.1 (tests/oidc_provider.py: Authlib's
server components, the authorization code flow with PKCE required, state, nonce, RS256-signed ID tokens). The app's
client is not mocked: it reads the discovery document, redirects, exchanges the code over HTTP and checks the ID
token against the provider's published keys."""

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from flask import g
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from clinic import ConfigError, create_app
from clinic.accounts.models import PRIVACY_NOTICE_VERSION, User
from clinic.audit.models import AuditEvent
from clinic.extensions import db
from tests import factories
from tests.factories import PASSWORD
from tests.oidc_provider import running_provider


@pytest.fixture(scope="module")
def provider():
    with running_provider() as provider:
        yield provider


@pytest.fixture
def sso_app(app, provider):
    """The test's own app, set up for the provider (a client registered with the app's callback URL)."""
    registered = provider.add_client(app.config["BASE_URL"] + "/login/sso/callback")
    app.config.update(OIDC_ISSUER=provider.issuer, OIDC_CLIENT_ID=registered.client_id,
                      OIDC_CLIENT_SECRET=registered.client_secret, OIDC_PROVIDER_NAME="ThaID")
    return app


pytestmark = pytest.mark.own_app


def events(action: str) -> list[AuditEvent]:
    db.session.rollback()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def person(provider, sub: str, email: str, verified: object = True) -> str:
    claims: dict[str, object] = {"email": email, "name": "ทดสอบ"}
    if verified is not None:
        claims["email_verified"] = verified
    provider.people[sub] = claims
    return sub


def start(client, next_: str | None = None) -> str:
    """The app sends the browser to the provider: the authorization URL, with state, nonce and a PKCE challenge."""
    db.session.commit()
    response = client.get("/login/sso" + (f"?next={next_}" if next_ else ""))
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.location


def at_provider(provider, authorize_url: str, sub: str) -> str:
    """The person signs in at the provider, whose answer sends the browser back: the app's callback path."""
    answer = requests.get(provider.sign_in_url(authorize_url, sub), allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["Location"])
    return f"{back.path}?{back.query}"


def sign_in(client, provider, sub: str, next_: str | None = None):
    return client.get(at_provider(provider, start(client, next_), sub))


def test_the_authorization_request_uses_pkce_state_and_nonce(sso_app, client, provider):
    url = start(client)
    query = parse_qs(urlsplit(url).query)
    assert url.startswith(provider.issuer + "/authorize?")
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) >= 43
    assert query["state"][0] and query["nonce"][0] and query["scope"] == ["openid email profile"]
    assert query["redirect_uri"] == ["http://127.0.0.1:5000/login/sso/callback"]
    assert 'data-testid="sso-sign-in"' in client.get("/login").get_data(as_text=True)
    assert "ThaID" in client.get("/login").get_data(as_text=True)


def test_a_verified_email_signs_its_account_in(sso_app, client, provider, officer):
    sub = person(provider, "1100700000001", officer.email.upper())
    tokens_before = provider.token_requests
    response = sign_in(client, provider, sub, next_="/casefile")
    assert (response.status_code, response.location) == (302, "/casefile")
    assert provider.token_requests == tokens_before + 1  # the code went back to the provider over HTTP
    assert client.get("/casefile").status_code == 200
    [event] = events("user.signed_in_sso")
    assert (event.actor_id, event.object_id, event.details["issuer"]) == (officer.id, officer.id, provider.issuer)
    assert "1100700000001" not in str(event.details)  # the provider's subject (a citizen ID in ThaID) is not kept
    # Session version rules hold: ending the user's sessions ends this one too.
    db.session.get(User, officer.id).session_version += 1
    db.session.commit()
    g.pop("_login_user", None)  # requests share the test's app context: forget the user Flask-Login cached in g
    after = client.get("/casefile")
    assert after.status_code == 302 and after.location.startswith("/login")


def test_the_privacy_notice_comes_first_for_single_sign_on_too(sso_app, client, provider, department):
    newcomer = factories.make_user("officer", department=department, privacy_notice_version=None)
    response = sign_in(client, provider, person(provider, "new-1", newcomer.email), next_="/casefile")
    assert response.location.startswith("/privacy?next=")
    assert client.post("/privacy/acknowledge", data={"version": PRIVACY_NOTICE_VERSION,
                                                      "next": "/casefile"}).location == "/casefile"


@pytest.mark.parametrize(("claims", "reason"), [
    ({"email": "nobody@diw.go.th", "verified": True}, "no_account"),
    ({"email": "officer@diw.go.th", "verified": False}, "email_not_verified"),
    ({"email": "officer@diw.go.th", "verified": "false"}, "email_not_verified"),
    ({"email": "officer@diw.go.th", "verified": None}, "email_not_verified"),
])
def test_unknown_or_unverified_emails_are_refused_and_no_account_is_made(sso_app, client, provider, officer, claims,
                                                                         reason):
    users = db.session.scalar(select(func.count()).select_from(User))
    sub = person(provider, f"sub-{reason}", claims["email"], claims["verified"])
    response = sign_in(client, provider, sub)
    text = response.get_data(as_text=True)
    assert response.status_code == 401 and 'data-testid="sso-refused"' in text
    assert ("ไม่มีบัญชีผู้ใช้สำหรับอีเมลนี้" if reason == "no_account" else "ยังไม่ได้ยืนยันอีเมลนี้") in text
    assert db.session.scalar(select(func.count()).select_from(User)) == users
    assert client.get("/casefile").location.startswith("/login")  # nobody is signed in
    [event] = events("user.sso_refused")
    assert event.details["reason"] == reason and event.details["email"] == claims["email"]
    assert events("user.signed_in_sso") == [] and events("access.refused") == []


def test_a_deactivated_user_is_refused(sso_app, client, provider, officer):
    officer.is_active_account = False
    response = sign_in(client, provider, person(provider, "gone", officer.email))
    assert response.status_code == 401 and "ถูกปิดการใช้งาน" in response.get_data(as_text=True)
    assert [e.details["reason"] for e in events("user.sso_refused")] == ["deactivated"]


def test_a_tampered_or_replayed_state_is_refused(sso_app, client, provider, officer):
    callback = at_provider(provider, start(client), person(provider, "s1", officer.email))
    query = parse_qs(urlsplit(callback).query)
    tampered = "/login/sso/callback?" + urlencode({"code": query["code"][0], "state": query["state"][0] + "x"})
    response = client.get(tampered)
    assert response.status_code == 400 and 'data-testid="sso-refused"' in response.get_data(as_text=True)
    assert client.get("/casefile").location.startswith("/login")
    # A state this browser never started (another browser's callback) is refused the same way.
    other = sso_app.test_client()
    assert other.get(callback).status_code == 400
    # The genuine callback signs in once; replaying it is refused (the state is used up).
    assert client.get(callback).status_code == 302
    assert client.get(callback).status_code == 400
    reasons = [e.details["reason"] for e in events("user.sso_refused")]
    assert reasons == ["protocol: MismatchingStateError"] * 3


def test_a_tampered_nonce_is_refused(sso_app, client, provider, officer):
    authorize = start(client)
    state = parse_qs(urlsplit(authorize).query)["state"][0]
    with client.session_transaction() as session:  # the ID token will carry a nonce this sign-in did not send
        stored = session[f"_state_oidc_{state}"]
        stored["data"]["nonce"] = "another-nonce"
        session[f"_state_oidc_{state}"] = stored
    response = client.get(at_provider(provider, authorize, person(provider, "n1", officer.email)))
    assert response.status_code == 400
    assert client.get("/casefile").location.startswith("/login")
    [event] = events("user.sso_refused")
    assert event.details["reason"] == "protocol: InvalidClaimError" and events("user.signed_in_sso") == []


def test_a_code_from_another_sign_in_fails_pkce(sso_app, client, provider, officer):
    """A code injected into another sign-in (its state, its PKCE verifier) is refused by the provider. (Starting the
    second sign-in drops the first's state: the first code could only ever come back under another's state.)"""
    sub = person(provider, "p1", officer.email)
    first, second = start(client), start(client)
    code_of_first = parse_qs(urlsplit(at_provider(provider, first, sub)).query)["code"][0]
    state_of_second = parse_qs(urlsplit(second).query)["state"][0]
    response = client.get("/login/sso/callback?" + urlencode({"code": code_of_first, "state": state_of_second}))
    assert response.status_code == 400
    assert client.get("/casefile").location.startswith("/login")
    [event] = events("user.sso_refused")
    assert event.details["reason"] == "protocol: OAuthError"  # invalid_grant: Code challenge failed


def test_an_id_token_signed_with_another_key_is_refused(sso_app, client, provider, officer):
    sub = person(provider, "k1", officer.email)
    authorize = start(client)
    provider.forge_signatures()
    try:
        response = client.get(at_provider(provider, authorize, sub))
    finally:
        provider.key = provider.published_key
    assert response.status_code == 400
    assert client.get("/casefile").location.startswith("/login")
    assert [e.details["reason"] for e in events("user.sso_refused")] == ["protocol: BadSignatureError"]


def test_an_error_from_the_provider_is_a_clear_refusal(sso_app, client, provider):
    start(client)
    response = client.get("/login/sso/callback?error=access_denied&error_description=no&state=x")
    assert response.status_code == 400 and 'data-testid="sso-refused"' in response.get_data(as_text=True)


def test_the_password_sign_in_stays_available(sso_app, client, provider, officer):
    db.session.commit()
    assert client.post("/login", data={"email": officer.email, "password": PASSWORD}).status_code == 302


def test_without_single_sign_on_its_routes_are_404(client):
    assert client.get("/login/sso").status_code == 404
    assert client.get("/login/sso/callback?code=x&state=y").status_code == 404
    assert 'data-testid="sso-sign-in"' not in client.get("/login").get_data(as_text=True)


@pytest.mark.config(OIDC_ISSUER="http://127.0.0.1:9", OIDC_CLIENT_ID="c", OIDC_CLIENT_SECRET="s")
def test_a_provider_that_does_not_answer_is_a_503_not_a_500(client):
    response = client.get("/login/sso")
    assert response.status_code == 503 and 'data-testid="sso-refused"' in response.get_data(as_text=True)


@pytest.mark.config(OIDC_ISSUER="https://idp.example.go.th", OIDC_CLIENT_ID="c", OIDC_CLIENT_SECRET="s",
                    PASSWORD_SIGN_IN="0")
def test_the_password_sign_in_can_be_turned_off(client, officer):
    db.session.commit()
    page = client.get("/login").get_data(as_text=True)
    assert 'data-testid="sso-sign-in"' in page and 'name="password"' not in page
    assert client.post("/login", data={"email": officer.email, "password": PASSWORD}).status_code == 404


@pytest.mark.parametrize(("settings", "message"), [
    ({"OIDC_ISSUER": "https://idp.example.go.th"}, "OIDC_CLIENT_ID must be set"),
    ({"OIDC_ISSUER": "idp.example.go.th", "OIDC_CLIENT_ID": "c", "OIDC_CLIENT_SECRET": "s"}, "OIDC_ISSUER must be"),
    ({"OIDC_ISSUER": "http://idp.example.go.th", "OIDC_CLIENT_ID": "c", "OIDC_CLIENT_SECRET": "s"},
     "OIDC_ISSUER must be an https:// URL"),
    ({"PASSWORD_SIGN_IN": "0"}, "PASSWORD_SIGN_IN can only be turned off"),
    ({"OIDC_ISSUER": "https://idp.example.go.th", "OIDC_CLIENT_ID": "c", "OIDC_CLIENT_SECRET": "s",
      "OIDC_SCOPES": "email"}, "OIDC_SCOPES must include openid"),
])
def test_single_sign_on_settings_are_checked_at_start(settings, message):
    with pytest.raises(ConfigError, match=message):
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", **settings})


# Hypothesis: whatever comes back to the callback (a code, a state, an error, any bytes) is a clear refusal that
# signs nobody in and writes nothing but its audit event.
callback_values = st.one_of(st.none(), st.text(max_size=60), st.sampled_from(["", "\x00", "a\r\nb", "x" * 5000,
                                                                              "access_denied", "../../etc"]))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(code=callback_values, state=callback_values, error=callback_values)
def test_any_callback_query_is_refused_not_a_500(sso_app, client, provider, code, state, error):
    start(client)
    query = {k: v for k, v in {"code": code, "state": state, "error": error}.items() if v is not None}
    before = db.session.scalar(select(func.count()).select_from(User))
    response = client.get("/login/sso/callback?" + urlencode(query, encoding="utf-8", errors="surrogatepass"))
    assert response.status_code in (400, 401), response.status_code
    assert db.session.scalar(select(func.count()).select_from(User)) == before
    g.pop("_login_user", None)
    assert client.get("/casefile").status_code == 302


def test_starting_again_and_again_keeps_one_sign_in_in_the_cookie(sso_app, client, provider, officer):
    for _ in range(30):
        authorize = start(client)
    with client.session_transaction() as session:
        assert len([k for k in session if k.startswith("_state_oidc_")]) == 1
    assert sign_in(client, provider, person(provider, "again", officer.email)).status_code == 302
    assert client.get(at_provider(provider, authorize, "again")).status_code == 400  # the last one is used up
