"""Configuration defaults. Order of precedence: these defaults, then environment variables,
then `instance/config.py`, then the mapping a test passes to `create_app`."""

import importlib.util
import os
import re
from collections.abc import MutableMapping
from datetime import timedelta
from email.utils import parseaddr
from typing import IO, Any
from urllib.parse import urlsplit

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError


class Defaults:
    SECRET_KEY: str | None = None
    SQLALCHEMY_DATABASE_URI: str | None = None  # filled in from DATABASE_URL or the instance folder
    # Pooled connections are tested before use, so that after a database restart no request gets a dead one.
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {"pool_pre_ping": True}
    SQLALCHEMY_RECORD_QUERIES = False

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=8)
    # A signed-in session ends after this long without a request, and this long after signing in whatever happens.
    SESSION_IDLE_TIMEOUT = timedelta(minutes=60)
    SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=10)
    # A forgotten-password link works this long, and once; an invitation's link to set the first password this long.
    PASSWORD_RESET_MAX_AGE = timedelta(hours=1)
    INVITATION_MAX_AGE = timedelta(days=7)
    # Forgotten-password e-mails asked for one address, by anyone from anywhere: nobody can flood a mailbox.
    PASSWORD_RESET_RATE_LIMIT = "5 per hour"

    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    MAX_CONTENT_LENGTH = 12 * 1024 * 1024  # a 10 MB document plus the rest of the form
    MAX_UPLOAD_BYTES = 10 * 1024 * 1024

    BABEL_DEFAULT_LOCALE = "th"
    BABEL_DEFAULT_TIMEZONE = "Asia/Bangkok"
    LANGUAGES = ("th", "en")
    # The API (/api/v1): calls per token (counted in RATELIMIT_STORAGE_URI, so Redis shares them between processes)
    # and the largest JSON body it reads (a booking is a few kilobytes; documents are uploaded through the pages).
    API_RATE_LIMIT = "600 per minute"
    API_MAX_BODY_BYTES = 64 * 1024

    # Failed sign-ins allowed per address and e-mail; the counters live in memory, or in Redis when
    # RATELIMIT_STORAGE_URI=redis://... so that every app process shares them.
    LOGIN_RATE_LIMIT = "10 per minute;30 per hour"
    RATELIMIT_STORAGE_URI = "memory://"
    # When Redis cannot be reached, sign-in goes on: each process counts in its own memory (the same limits, per
    # process) and logs a warning, and looks for Redis again after 1, 2, 4 ... 32 s. Swallowing errors covers the
    # one call the fallback does not: counting a failed attempt after the answer, should Redis fail in between.
    # The timeouts keep an unanswering Redis from holding a sign-in for the system's two minutes.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_STORAGE_OPTIONS: dict[str, Any] = {"socket_connect_timeout": 1, "socket_timeout": 1}
    RATELIMIT_HEADERS_ENABLED = False
    # Number of reverse proxies in front of the app whose X-Forwarded-For/-Proto to trust (0: none).
    PROXY_COUNT = 0

    # The booking rules (clinic/bookings/rules.py), shown to officers on the booking page and enforced by the services:
    # a slot is booked at least this many working days ahead (weekends and Thai public holidays skipped) and at most
    # this many days ahead; a department cancels up to this many hours before the start (the slot's advisor and
    # administrators also after it); a department holds at most this many active (pending or confirmed, future)
    # bookings at once. One seat per department in a slot is not a setting: the database holds it.
    BOOKING_MIN_NOTICE_WORKING_DAYS = 2
    BOOKING_MAX_DAYS_AHEAD = 90
    BOOKING_CANCEL_CUTOFF_HOURS = 24
    BOOKING_MAX_ACTIVE_PER_DEPARTMENT = 3
    WAITLIST_OFFER_HOURS = 24

    # How many weeks ahead slots are generated from advisors' availability (`flask slots generate`, and on each change).
    SLOT_HORIZON_WEEKS = 8

    MAIL_FROM = "OPDC Clinic <clinic@opdc.go.th>"
    MAIL_URL: str | None = None
    MAIL_CA_FILE: str | None = None  # PEM file of a private CA that signed the SMTP server's certificate
    MAIL_TIMEOUT = 30  # seconds, for each network wait of an SMTP delivery  # smtp://user:pass@host:port ; empty means .eml files under instance/mail/
    # Where the app is reached from outside: every link in an e-mail starts with it, whatever request (or none)
    # caused the e-mail. Set it in production, e.g. https://clinic.opdc.go.th (a path prefix is allowed).
    BASE_URL = "http://127.0.0.1:5000"

    # Personal data (PDPA s.37(3)): `flask retention apply` anonymises what people wrote and uploaded for a session
    # this many days after it took place (attendees' names, the request, e-mail bodies, the documents' files); the
    # statistics the reports count stay.
    RETENTION_DAYS = 730
    # Where the privacy notice tells people to write about their personal data (the data protection officer).
    PRIVACY_CONTACT_EMAIL = "dpo@opdc.go.th"

    # Single sign-on through OpenID Connect (an organisation's identity provider, or ThaID). On when OIDC_ISSUER is
    # set: the provider's discovery document is read from OIDC_ISSUER/.well-known/openid-configuration (or
    # OIDC_DISCOVERY_URL). People are matched to their accounts by a verified e-mail only; nobody gets an account
    # by signing in. PASSWORD_SIGN_IN=0 turns the local password sign-in off (single sign-on only).
    OIDC_ISSUER: str | None = None
    OIDC_DISCOVERY_URL: str | None = None
    OIDC_CLIENT_ID: str | None = None
    OIDC_CLIENT_SECRET: str | None = None
    OIDC_SCOPES = "openid email profile"
    OIDC_PROVIDER_NAME = "Single sign-on"  # the button's label, e.g. "ThaID" or the ministry's system
    OIDC_TIMEOUT = 10  # seconds, for each call to the provider
    PASSWORD_SIGN_IN = True


BOOKING_RULE_KEYS = {  # each a whole number, at least this
    "BOOKING_MIN_NOTICE_WORKING_DAYS": 0, "BOOKING_MAX_DAYS_AHEAD": 1, "BOOKING_CANCEL_CUTOFF_HOURS": 0,
    "BOOKING_MAX_ACTIVE_PER_DEPARTMENT": 1, "WAITLIST_OFFER_HOURS": 1,
}

ENVIRONMENT_KEYS = (
    "SECRET_KEY", "MAIL_URL", "MAIL_FROM", "BASE_URL", "SESSION_COOKIE_SECURE", "RATELIMIT_STORAGE_URI", "PROXY_COUNT",
    *BOOKING_RULE_KEYS, "RETENTION_DAYS", "PRIVACY_CONTACT_EMAIL", "OIDC_ISSUER", "OIDC_DISCOVERY_URL", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET",
    "OIDC_SCOPES", "OIDC_PROVIDER_NAME", "PASSWORD_SIGN_IN",
)


def from_environment() -> dict[str, Any]:
    """Settings taken from environment variables (DATABASE_URL becomes SQLALCHEMY_DATABASE_URI). Values stay
    text here; `check_settings` turns them into numbers and booleans, or refuses them."""
    found: dict[str, Any] = {}
    if os.environ.get("DATABASE_URL"):
        found["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(os.environ["DATABASE_URL"])
    for key in ENVIRONMENT_KEYS:
        if key in os.environ:
            found[key] = os.environ[key]
    return found


def normalise_database_url(url: str) -> str:
    """Accept the usual `postgres://` and `postgresql://` forms and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class ConfigError(click.ClickException):
    """A setting the app cannot work with. `create_app` raises it before anything starts.

    It is a `click.ClickException` because Flask's CLI calls `create_app` for every `flask` command: click then
    shows `show()`'s one line and exits with `exit_code`, where any other exception would print a traceback.
    `wsgi.py` does the same for gunicorn."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)

    @property
    def line(self) -> str:
        return f"configuration error: {self.message}"

    def __str__(self) -> str:
        return self.line

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(self.line, file=file, err=file is None)


SUPPORTED_DATABASES = {"sqlite": ("pysqlite",), "postgresql": ("psycopg",)}
MAIL_SCHEMES = ("smtp", "smtp+starttls", "smtps")
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off", "")
MIN_SECRET_KEY_LENGTH = 32


def redacted(url: str) -> str:
    """The URL with any password replaced by ***, for messages and `flask doctor`."""
    return re.sub(r"^([^:/?#]*://[^/?#@:]*:)[^@]*@", r"\1***@", url)


def check_settings(config: MutableMapping[str, Any]) -> None:
    """Check every setting the app reads, turning words into the numbers and booleans they stand for; raise
    `ConfigError` naming the first setting that is wrong and what it should be. Nothing here connects anywhere:
    whether the database, SMTP server and Redis answer is `flask doctor`'s question."""
    config["SQLALCHEMY_DATABASE_URI"] = check_database_url(config["SQLALCHEMY_DATABASE_URI"])
    check_mail_url(config.get("MAIL_URL"))
    check_mail_from(config.get("MAIL_FROM"))
    check_rate_limit_storage(config.get("RATELIMIT_STORAGE_URI"))
    config["PROXY_COUNT"] = whole_number("PROXY_COUNT", config.get("PROXY_COUNT"), minimum=0)
    config["SESSION_COOKIE_SECURE"] = boolean("SESSION_COOKIE_SECURE", config.get("SESSION_COOKIE_SECURE"))
    check_secret_key(config.get("SECRET_KEY"), testing=bool(config.get("TESTING")))
    check_upload_limits(config)
    for key, minimum in BOOKING_RULE_KEYS.items():
        config[key] = whole_number(key, config.get(key), minimum=minimum)
    config["RETENTION_DAYS"] = whole_number("RETENTION_DAYS", config.get("RETENTION_DAYS"), minimum=30)
    config["PASSWORD_SIGN_IN"] = boolean("PASSWORD_SIGN_IN", config.get("PASSWORD_SIGN_IN", True))
    config["OIDC_TIMEOUT"] = whole_number("OIDC_TIMEOUT", config.get("OIDC_TIMEOUT", 10), minimum=1)
    check_single_sign_on(config)


def check_database_url(url: object) -> str:
    expected = "DATABASE_URL must be a URL such as sqlite:////path/to/clinic.sqlite3 or postgresql://user@host/dbname"
    if not isinstance(url, str) or not url.strip():
        raise ConfigError(f"{expected} (got {url!r})")
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as error:
        raise ConfigError(f"{expected} (got {redacted(url)!r})") from error
    backend, driver = parsed.get_backend_name(), parsed.get_driver_name()
    if backend not in SUPPORTED_DATABASES:
        raise ConfigError(f"DATABASE_URL must be a sqlite:// or postgresql:// URL (got {redacted(url)!r})")
    if driver not in SUPPORTED_DATABASES[backend]:
        raise ConfigError(
            f"DATABASE_URL must use the {SUPPORTED_DATABASES[backend][0]} driver for {backend}, "
            f"or name none (got {redacted(url)!r})"
        )
    if backend == "postgresql" and not parsed.database:
        raise ConfigError(f"DATABASE_URL must name the database, as in postgresql://user@host/clinic "
                          f"(got {redacted(url)!r})")
    return url


def check_mail_url(url: object) -> None:
    if url is None or url == "":
        return  # e-mail is written as .eml files under MAIL_FOLDER
    if not isinstance(url, str):
        raise ConfigError(f"MAIL_URL must be text such as smtp://mail.example.go.th:25 (got {url!r})")
    parts = urlsplit(url)
    if parts.scheme not in MAIL_SCHEMES or not url.startswith(f"{parts.scheme}://"):
        raise ConfigError(
            f"MAIL_URL must start with smtp://, smtp+starttls:// or smtps:// (got {redacted(url)!r})"
        )
    try:
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number)
    except ValueError as error:
        raise ConfigError(f"MAIL_URL must have a numeric port, as in smtp://mail.example.go.th:25 "
                          f"(got {redacted(url)!r})") from error
    if not parts.hostname:
        raise ConfigError(f"MAIL_URL must name the SMTP host, as in smtp://mail.example.go.th:25 "
                          f"(got {redacted(url)!r})")


def check_mail_from(value: object) -> None:
    expected = "MAIL_FROM must be an e-mail address, as in OPDC Clinic <clinic@opdc.go.th>"
    if not isinstance(value, str) or "\n" in value or "\r" in value:
        raise ConfigError(f"{expected} (got {value!r})")
    _name, address = parseaddr(value)
    if not re.fullmatch(r"[^@\s<>]+@[^@\s<>.]+(\.[^@\s<>.]+)*", address):
        raise ConfigError(f"{expected} (got {value!r})")


def check_rate_limit_storage(uri: object) -> None:
    expected = "RATELIMIT_STORAGE_URI must be memory:// or redis://host:port (rediss:// for TLS)"
    if uri == "memory://":
        return
    if not isinstance(uri, str):
        raise ConfigError(f"{expected} (got {uri!r})")
    parts = urlsplit(uri)
    if parts.scheme not in ("redis", "rediss") or not uri.startswith(f"{parts.scheme}://"):
        raise ConfigError(f"{expected} (got {redacted(uri)!r})")
    try:
        parts.port  # noqa: B018
    except ValueError as error:
        raise ConfigError(f"{expected} (got {redacted(uri)!r})") from error
    if not parts.hostname:
        raise ConfigError(f"RATELIMIT_STORAGE_URI must name the Redis host, as in redis://127.0.0.1:6379 "
                          f"(got {redacted(uri)!r})")
    if importlib.util.find_spec("redis") is None:
        raise ConfigError("RATELIMIT_STORAGE_URI uses Redis, which needs the Python package redis (pip install redis)")


def whole_number(name: str, value: object, minimum: int) -> int:
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and re.fullmatch(r"\s*\d+\s*", value):
        number = int(value)
    if number is None or number < minimum:
        raise ConfigError(f"{name} must be a whole number, {minimum} or more (got {value!r})")
    return number


def boolean(name: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in TRUE_WORDS + FALSE_WORDS:
        return value.strip().lower() in TRUE_WORDS
    raise ConfigError(f"{name} must be one of 1, true, yes, on or 0, false, no, off (got {value!r})")


def check_secret_key(key: object, testing: bool) -> None:
    if key is None or key == "":
        return  # a random key is kept in instance/secret_key
    if not isinstance(key, str | bytes):
        raise ConfigError(f"SECRET_KEY must be text (got a {type(key).__name__})")
    if not testing and len(key) < MIN_SECRET_KEY_LENGTH:
        # The key itself is never echoed.
        raise ConfigError(f"SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} characters (got {len(key)}); "
                          "python -c 'import secrets; print(secrets.token_hex(32))' makes one")


def check_upload_limits(config: MutableMapping[str, Any]) -> None:
    upload = config["MAX_UPLOAD_BYTES"] = whole_number("MAX_UPLOAD_BYTES", config.get("MAX_UPLOAD_BYTES"), minimum=1)
    content = config.get("MAX_CONTENT_LENGTH")
    if content is None:
        return  # no limit on the request as a whole; uploads are still held to MAX_UPLOAD_BYTES
    content = config["MAX_CONTENT_LENGTH"] = whole_number("MAX_CONTENT_LENGTH", content, minimum=1)
    if content <= upload:
        raise ConfigError(
            f"MAX_CONTENT_LENGTH must be larger than MAX_UPLOAD_BYTES, to leave room for the rest of the form "
            f"(got {content}, MAX_UPLOAD_BYTES is {upload})"
        )


def check_single_sign_on(config: MutableMapping[str, Any]) -> None:
    """Single sign-on is on when OIDC_ISSUER is set: it then needs the client's id and secret. Without it, the
    password sign-in cannot be turned off (nobody could sign in)."""
    issuer = config.get("OIDC_ISSUER") or None
    config["OIDC_ISSUER"] = issuer
    for key in ("OIDC_ISSUER", "OIDC_DISCOVERY_URL"):
        value = config.get(key) or None
        if value is None:
            continue
        parts = urlsplit(value) if isinstance(value, str) else None
        loopback = parts is not None and parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")
        if parts is None or not parts.hostname or (parts.scheme != "https" and not loopback):
            raise ConfigError(f"{key} must be an https:// URL, as in https://idp.example.go.th (got {value!r}); "
                              "http:// only on this machine (127.0.0.1)")
    if issuer is None:
        if not config["PASSWORD_SIGN_IN"]:
            raise ConfigError("PASSWORD_SIGN_IN can only be turned off when single sign-on is set up (OIDC_ISSUER)")
        return
    for key in ("OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET"):
        if not isinstance(config.get(key), str) or not config[key].strip():
            raise ConfigError(f"{key} must be set when OIDC_ISSUER is (the client registered at the provider)")
    scopes = config.get("OIDC_SCOPES")
    if not isinstance(scopes, str) or "openid" not in scopes.split():
        raise ConfigError(f"OIDC_SCOPES must include openid, as in 'openid email profile' (got {scopes!r})")
