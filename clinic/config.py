"""Configuration defaults. Order of precedence: these defaults, then environment variables,
then `instance/config.py`, then the mapping a test passes to `create_app`."""

import os
from datetime import timedelta


class Defaults:
    SECRET_KEY: str | None = None
    SQLALCHEMY_DATABASE_URI: str | None = None  # filled in from DATABASE_URL or the instance folder
    # Pooled connections are tested before use, so that after a database restart no request gets a dead one.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
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

    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    MAX_CONTENT_LENGTH = 12 * 1024 * 1024  # a 10 MB document plus the rest of the form
    MAX_UPLOAD_BYTES = 10 * 1024 * 1024

    BABEL_DEFAULT_LOCALE = "th"
    BABEL_DEFAULT_TIMEZONE = "Asia/Bangkok"
    LANGUAGES = ("th", "en")

    # Failed sign-ins allowed per address and e-mail; the counters live in memory, or in Redis when
    # RATELIMIT_STORAGE_URI=redis://... so that every app process shares them.
    LOGIN_RATE_LIMIT = "10 per minute;30 per hour"
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = False
    # Number of reverse proxies in front of the app whose X-Forwarded-For/-Proto to trust (0: none).
    PROXY_COUNT = 0

    # How many weeks ahead slots are generated from advisors' availability (`flask slots generate`, and on each change).
    SLOT_HORIZON_WEEKS = 8

    MAIL_FROM = "OPDC Clinic <clinic@opdc.go.th>"
    MAIL_URL: str | None = None
    MAIL_CA_FILE: str | None = None  # PEM file of a private CA that signed the SMTP server's certificate
    MAIL_TIMEOUT = 30  # seconds, for each network wait of an SMTP delivery  # smtp://user:pass@host:port ; empty means .eml files under instance/mail/
    # Where the app is reached from outside: every link in an e-mail starts with it, whatever request (or none)
    # caused the e-mail. Set it in production, e.g. https://clinic.opdc.go.th (a path prefix is allowed).
    BASE_URL = "http://127.0.0.1:5000"


ENVIRONMENT_KEYS = (
    "SECRET_KEY", "MAIL_URL", "MAIL_FROM", "BASE_URL", "SESSION_COOKIE_SECURE", "RATELIMIT_STORAGE_URI", "PROXY_COUNT",
)


def from_environment() -> dict:
    """Settings taken from environment variables (DATABASE_URL becomes SQLALCHEMY_DATABASE_URI)."""
    found: dict = {}
    if os.environ.get("DATABASE_URL"):
        found["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(os.environ["DATABASE_URL"])
    for key in ENVIRONMENT_KEYS:
        if key in os.environ:
            raw = os.environ[key]
            value: object = raw
            if key == "SESSION_COOKIE_SECURE":
                value = raw.lower() in ("1", "true", "yes")
            elif key == "PROXY_COUNT":
                value = int(raw)
            found[key] = value
    return found


def normalise_database_url(url: str) -> str:
    """Accept the usual `postgres://` and `postgresql://` forms and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
