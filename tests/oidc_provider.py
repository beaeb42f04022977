"""A small but real OpenID Connect provider for the single sign-on tests, built on Authlib's server components and
served over HTTP on 127.0.0.1 by a thread of the test process: discovery, JWKS, the authorization code flow with PKCE
(S256, required of every client), state passed back, nonce in the ID token, RS256-signed ID tokens, userinfo.

The "person at the provider" is chosen by the test: `provider.sign_in_url(authorize_url, sub)` is what their browser
would do after logging in there (it answers with the redirect back to the app). People's claims (`email`,
`email_verified`, `name`) are set with `provider.people[sub] = {...}`."""

import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector, current_token
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import ClientMixin, InvalidRequestError, grants
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from flask import Flask, jsonify, request
from joserfc.jwk import KeySet, RSAKey
from werkzeug.serving import make_server

SCOPES = ("openid", "email", "profile")


@dataclass
class Client(ClientMixin):
    client_id: str
    client_secret: str
    redirect_uris: list[str]

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope: str) -> str:
        return " ".join(s for s in scope.split() if s in SCOPES)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return secrets.compare_digest(client_secret, self.client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class AuthorizationCode:
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    sub: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: int = field(default_factory=lambda: int(time.time()))

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> None:
        return None

    def get_amr(self) -> None:
        return None


@dataclass
class Token:
    access_token: str
    sub: str
    scope: str
    client_id: str
    expires_at: float

    def get_scope(self) -> str:
        return self.scope

    def is_expired(self) -> bool:
        return time.time() > self.expires_at

    def is_revoked(self) -> bool:
        return False

    def check_client(self, client: Client) -> bool:
        return client.client_id == self.client_id


class Provider:
    def __init__(self) -> None:
        self.issuer = ""
        self.key = RSAKey.generate_key(2048, parameters={"kid": secrets.token_hex(8), "use": "sig"}, private=True)
        self.published_key = self.key  # what /jwks shows; a test signs with another key to forge an ID token
        self.clients: dict[str, Client] = {}
        self.codes: dict[str, AuthorizationCode] = {}
        self.tokens: dict[str, Token] = {}
        self.people: dict[str, dict[str, Any]] = {}
        self.token_requests = 0
        self.app = self.make_app()

    def add_client(self, redirect_uri: str) -> Client:
        client = Client(secrets.token_hex(8), secrets.token_urlsafe(24), [redirect_uri])
        self.clients[client.client_id] = client
        return client

    def forge_signatures(self) -> None:
        """From now on, sign ID tokens with a key the provider does not publish (under the published key's id)."""
        self.key = RSAKey.generate_key(2048, parameters={"kid": self.published_key.kid, "use": "sig"}, private=True)

    def sign_in_url(self, authorize_url: str, sub: str) -> str:
        """Where the person's browser posts their 'sign in' at the provider (the app's authorization URL plus who)."""
        return authorize_url + ("&" if "?" in authorize_url else "?") + urlencode({"login_as": sub})

    def make_app(self) -> Flask:
        provider = self
        app = Flask("test_oidc_provider")
        app.config["OAUTH2_TOKEN_EXPIRES_IN"] = {"authorization_code": 600}

        class CodeGrant(grants.AuthorizationCodeGrant):
            TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

            def save_authorization_code(self, code: str, req) -> None:
                data = req.payload.data
                if not data.get("code_challenge"):  # this provider requires PKCE of every client
                    raise InvalidRequestError("code_challenge required")
                provider.codes[code] = AuthorizationCode(
                    code=code, client_id=req.client.client_id, redirect_uri=req.payload.redirect_uri,
                    scope=req.payload.scope, sub=req.user, nonce=data.get("nonce"),
                    code_challenge=data.get("code_challenge"), code_challenge_method=data.get("code_challenge_method"))

            def query_authorization_code(self, code: str, client: Client) -> AuthorizationCode | None:
                found = provider.codes.get(code)
                return found if found is not None and found.client_id == client.client_id else None

            def delete_authorization_code(self, authorization_code: AuthorizationCode) -> None:
                provider.codes.pop(authorization_code.code, None)

            def authenticate_user(self, authorization_code: AuthorizationCode) -> str:
                return authorization_code.sub

        class OpenID(OpenIDCode):
            def exists_nonce(self, nonce: str, req) -> bool:
                return any(code.nonce == nonce for code in provider.codes.values())

            def resolve_client_private_key(self, client: Client) -> RSAKey:
                return provider.key

            def get_client_algorithm(self, client: Client) -> str:
                return "RS256"

            def get_encode_header(self, client: Client) -> dict[str, str]:
                return {"alg": "RS256", "kid": provider.key.kid or ""}

            def get_client_claims(self, client: Client) -> dict[str, Any]:
                return {"iss": provider.issuer, "aud": [client.client_id], "exp": int(time.time()) + 600}

            def generate_user_info(self, user: str, scope: str) -> UserInfo:
                claims = provider.people.get(user, {})
                info = UserInfo(sub=user)
                if "email" in scope.split():
                    info.update({k: claims[k] for k in ("email", "email_verified") if k in claims})
                if "profile" in scope.split() and "name" in claims:
                    info["name"] = claims["name"]
                return info

        def save_token(token: dict[str, Any], req) -> None:
            provider.tokens[token["access_token"]] = Token(token["access_token"], req.user, token.get("scope", ""),
                                                           req.client.client_id, time.time() + token["expires_in"])

        server = AuthorizationServer(app, query_client=self.clients.get, save_token=save_token)
        server.register_grant(CodeGrant, [OpenID(require_nonce=True), CodeChallenge(required=True)])

        class Validator(BearerTokenValidator):
            def authenticate_token(self, token_string: str) -> Token | None:
                return provider.tokens.get(token_string)

        protect = ResourceProtector()
        protect.register_token_validator(Validator())

        @app.get("/.well-known/openid-configuration")
        def discovery():
            return jsonify({
                "issuer": provider.issuer,
                "authorization_endpoint": f"{provider.issuer}/authorize",
                "token_endpoint": f"{provider.issuer}/token",
                "userinfo_endpoint": f"{provider.issuer}/userinfo",
                "jwks_uri": f"{provider.issuer}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "scopes_supported": list(SCOPES),
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            })

        @app.get("/jwks")
        def jwks():
            return jsonify(KeySet([provider.published_key]).as_dict(private=False))

        @app.get("/authorize")
        def authorize():
            sub = request.args.get("login_as")
            if not sub:
                return "sign in at the provider (tests pass login_as)", 200
            try:
                grant = server.get_consent_grant(end_user=sub)
            except OAuth2Error as error:
                return server.handle_error_response(None, error)
            return server.create_authorization_response(grant_user=sub, grant=grant)

        @app.post("/token")
        def issue_token():
            provider.token_requests += 1
            return server.create_token_response()

        @app.get("/userinfo")
        @protect("openid")
        def userinfo():
            return jsonify({"sub": current_token.sub, **provider.people.get(current_token.sub, {})})

        return app


@contextmanager
def running_provider() -> Iterator[Provider]:
    """The provider, served on 127.0.0.1 at a free port until the block ends."""
    provider = Provider()
    server = make_server("127.0.0.1", 0, provider.app, threaded=True)
    provider.issuer = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        thread.join(5)
