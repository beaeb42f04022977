"""Single sign-on through OpenID Connect (Authlib's client): an organisation's identity provider or ThaID.

The flow is the authorization code flow with PKCE (S256), a `state` kept in the session for each sign-in started,
and a `nonce` that the signed ID token must carry. Authlib checks the state, sends the code verifier, fetches the
provider's keys (JWKS) from its discovery document, and checks the ID token's signature, issuer, audience, expiry
and nonce. What this module adds: one client per app, built from the settings when first used, and the person's
identity as claims (the ID token's, completed from the userinfo endpoint when it names no e-mail)."""

from typing import Any

from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app
from joserfc.errors import JoseError
from requests import RequestException

CLIENT_NAME = "oidc"
STATE_PREFIX = f"_state_{CLIENT_NAME}_"  # Authlib keeps each sign-in's state, nonce and PKCE verifier under this
EXTENSION = "clinic.oidc"

# Whatever a provider, a network or a tampered answer can make the client raise: the sign-in is refused, never a 500.
PROTOCOL_FAILURES: tuple[type[Exception], ...] = (OAuthError, JoseError, RequestException, ValueError, KeyError,
                                                  TypeError)


def discovery_url(config: Any) -> str:
    return config.get("OIDC_DISCOVERY_URL") or config["OIDC_ISSUER"].rstrip("/") + "/.well-known/openid-configuration"


def client(app: Flask | None = None) -> Any:
    """The app's OpenID Connect client, or None when single sign-on is not set up (OIDC_ISSUER empty)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    config = app.config
    if not config.get("OIDC_ISSUER"):
        return None
    registry = app.extensions.get(EXTENSION)
    if registry is None:
        registry = app.extensions[EXTENSION] = OAuth(app)
        registry.register(
            CLIENT_NAME,
            client_id=config["OIDC_CLIENT_ID"],
            client_secret=config["OIDC_CLIENT_SECRET"],
            server_metadata_url=discovery_url(config),
            client_kwargs={"scope": config["OIDC_SCOPES"], "code_challenge_method": "S256",
                           "timeout": config.get("OIDC_TIMEOUT", 10)},
        )
    return registry.create_client(CLIENT_NAME)


def callback_url() -> str:
    """The redirect URI registered at the provider: under BASE_URL, never the Host of the request."""
    return current_app.config["BASE_URL"].rstrip("/") + "/login/sso/callback"


def identity(oidc: Any, token: dict[str, Any]) -> dict[str, Any]:
    """The claims of the ID token Authlib validated; without an ID token there is no sign-in. A provider that
    leaves the e-mail out of the ID token is asked at its userinfo endpoint, for the same subject."""
    claims = token.get("userinfo")
    if not claims or not claims.get("sub"):
        raise ValueError("the provider answered without an ID token")
    claims = dict(claims)
    if "email" not in claims and oidc.load_server_metadata().get("userinfo_endpoint"):
        extra = oidc.userinfo(token=token)
        if extra.get("sub") != claims["sub"]:
            raise ValueError("userinfo is about another subject")
        claims.update({k: extra[k] for k in ("email", "email_verified", "name") if k in extra})
    return claims


def issuer() -> str:
    return str(current_app.config["OIDC_ISSUER"])
