"""`flask doctor`: what is configured, and whether each part answers (the database, mail, Redis, the folders).

`create_app` checks the settings but never connects (the app must start, and serve its 503 page, while the database
is down); this is where an operator learns that a part does not answer."""

import smtplib
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from clinic.config import redacted

TIMEOUT = 5.0  # seconds for each part to answer


@dataclass(frozen=True)
class Check:
    part: str
    ok: bool
    detail: str


def describe_database(url: URL) -> str:
    """'postgresql clinic on db.example:5432 as clinic' or 'sqlite /path/clinic.sqlite3': no password."""
    if url.get_backend_name() == "sqlite":
        return f"sqlite {url.database or ':memory:'}"
    host = url.host or "local socket"
    port = f":{url.port}" if url.port else ""
    user = f" as {url.username}" if url.username else ""
    return f"postgresql {url.database} on {host}{port}{user}"


def configured(config: Mapping[str, Any]) -> list[tuple[str, str]]:
    """What the app is set up to use, as (part, description) pairs; never a password."""
    mail = redacted(config["MAIL_URL"]) if config.get("MAIL_URL") else f".eml files in {config['MAIL_FOLDER']}"
    languages = ", ".join(config["LANGUAGES"])
    return [
        ("database", describe_database(make_url(config["SQLALCHEMY_DATABASE_URI"]))),
        ("mail", f"{mail} (from {config['MAIL_FROM']})"),
        ("rate limits", redacted(config["RATELIMIT_STORAGE_URI"])),
        ("uploads", str(config["UPLOAD_FOLDER"])),
        ("languages", f"{languages} (default {config['BABEL_DEFAULT_LOCALE']})"),
    ]


def check_database(database_url: str, migrations: str) -> Check:
    """SELECT 1, then the schema's Alembic revision against the code's head."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).is_file():
        return Check("database", False, f"no database file at {url.database} (flask db upgrade creates it)")
    connect_args = {"connect_timeout": int(TIMEOUT)} if url.get_backend_name() == "postgresql" else {}
    engine = create_engine(url, poolclass=NullPool, connect_args=connect_args)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            current = MigrationContext.configure(connection).get_current_heads()
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        return Check("database", False, f"does not answer: {reason}")
    finally:
        engine.dispose()
    heads = ScriptDirectory(migrations).get_heads()
    if not current:
        return Check("database", False, "answers, but has no schema: run flask db upgrade")
    if set(current) == set(heads):
        return Check("database", True, f"answers; schema at revision {', '.join(current)} (the code's head)")
    return Check("database", False, f"answers; schema at revision {', '.join(current)} but the code expects "
                                    f"{', '.join(heads)}: run flask db upgrade (or deploy the matching code)")


def check_smtp(mail_url: str) -> Check:
    """Connect and say EHLO (and STARTTLS when the URL asks for it); no sign-in, no message."""
    parts = urlsplit(mail_url)
    host = parts.hostname or "localhost"
    port = parts.port or (465 if parts.scheme == "smtps" else 25)
    try:
        smtp = (smtplib.SMTP_SSL(host, port, timeout=TIMEOUT) if parts.scheme == "smtps"
                else smtplib.SMTP(host, port, timeout=TIMEOUT))
        with smtp:
            code, _ = smtp.ehlo()
            if code != 250:
                return Check("mail", False, f"{host}:{port} refused EHLO (code {code})")
            if parts.scheme == "smtp+starttls":
                smtp.starttls()
                smtp.ehlo()
    except (OSError, smtplib.SMTPException) as error:
        return Check("mail", False, f"{host}:{port} does not answer: {error or type(error).__name__}")
    return Check("mail", True, f"{host}:{port} answers EHLO")


def check_writable(part: str, folder: str) -> Check:
    """The folder exists (or can be made) and a file can be written in it."""
    try:
        Path(folder).mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".doctor-"):
            pass
    except OSError as error:
        return Check(part, False, f"{folder} is not writable: {error.strerror or error}")
    return Check(part, True, f"{folder} is writable")


def check_redis(uri: str) -> Check:
    """PING, with AUTH first when the URL carries a password."""
    import redis

    client = redis.Redis.from_url(uri, socket_timeout=TIMEOUT, socket_connect_timeout=TIMEOUT)
    try:
        client.ping()
    except (redis.RedisError, OSError) as error:  # OSError covers timeouts and TLS errors
        return Check("redis", False, f"{redacted(uri)} does not answer PING: {error}")
    finally:
        client.close()
    return Check("redis", True, f"{redacted(uri)} answers PING")


def run_checks(config: Mapping[str, Any], migrations: str) -> list[Check]:
    checks = [check_database(config["SQLALCHEMY_DATABASE_URI"], migrations)]
    if config.get("MAIL_URL"):
        checks.append(check_smtp(config["MAIL_URL"]))
    else:
        checks.append(check_writable("mail", config["MAIL_FOLDER"]))
    if config["RATELIMIT_STORAGE_URI"].startswith(("redis://", "rediss://")):
        checks.append(check_redis(config["RATELIMIT_STORAGE_URI"]))
    checks.append(check_writable("uploads", config["UPLOAD_FOLDER"]))
    return checks
