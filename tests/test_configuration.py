"""Every setting is checked when the app starts: a wrong one stops it with one line naming the setting and what
it should be, from create_app, from any `flask` command and from wsgi.py, before anything starts."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from clinic import ConfigError, create_app

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = ("DATABASE_URL", "SECRET_KEY", "MAIL_URL", "MAIL_FROM", "SESSION_COOKIE_SECURE", "RATELIMIT_STORAGE_URI",
            "PROXY_COUNT")


@pytest.fixture
def environment(monkeypatch):
    """A clean slate: none of the app's environment variables, whatever the shell running the tests has set."""
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def start(tmp_path, **overrides):
    return create_app({"TESTING": True, "SECRET_KEY": "test secret", "MAIL_FOLDER": str(tmp_path / "mail"),
                       "UPLOAD_FOLDER": str(tmp_path / "uploads"), **overrides})


BAD_ENVIRONMENT = [
    ("MAIL_URL", "smpt://mail",
     "MAIL_URL must start with smtp://, smtp+starttls:// or smtps:// (got 'smpt://mail')"),
    ("MAIL_URL", "mail.opdc.go.th:25",
     "MAIL_URL must start with smtp://, smtp+starttls:// or smtps:// (got 'mail.opdc.go.th:25')"),
    ("MAIL_URL", "smtp://",
     "MAIL_URL must name the SMTP host, as in smtp://mail.example.go.th:25 (got 'smtp://')"),
    ("MAIL_URL", "smtp://clinic:hunter2@mail.opdc.go.th:twentyfive",
     "MAIL_URL must have a numeric port, as in smtp://mail.example.go.th:25 "
     "(got 'smtp://clinic:***@mail.opdc.go.th:twentyfive')"),
    ("MAIL_FROM", "clinic at opdc",
     "MAIL_FROM must be an e-mail address, as in OPDC Clinic <clinic@opdc.go.th> (got 'clinic at opdc')"),
    ("MAIL_FROM", "OPDC Clinic <>",
     "MAIL_FROM must be an e-mail address, as in OPDC Clinic <clinic@opdc.go.th> (got 'OPDC Clinic <>')"),
    ("DATABASE_URL", "postgres//clinic@db/clinic",
     "DATABASE_URL must be a URL such as sqlite:////path/to/clinic.sqlite3 or postgresql://user@host/dbname "
     "(got 'postgres//clinic@db/clinic')"),
    ("DATABASE_URL", "postgresql://clinic:hunter2@db:port/clinic",
     "DATABASE_URL must be a URL such as sqlite:////path/to/clinic.sqlite3 or postgresql://user@host/dbname "
     "(got 'postgresql+psycopg://clinic:***@db:port/clinic')"),
    ("DATABASE_URL", "mysql://clinic:hunter2@db/clinic",
     "DATABASE_URL must be a sqlite:// or postgresql:// URL (got 'mysql://clinic:***@db/clinic')"),
    ("DATABASE_URL", "postgresql+asyncpg://clinic@db/clinic",
     "DATABASE_URL must use the psycopg driver for postgresql, or name none "
     "(got 'postgresql+asyncpg://clinic@db/clinic')"),
    ("DATABASE_URL", "postgresql://clinic@db",
     "DATABASE_URL must name the database, as in postgresql://user@host/clinic (got 'postgresql+psycopg://clinic@db')"),
    ("RATELIMIT_STORAGE_URI", "memcached://127.0.0.1:11211",
     "RATELIMIT_STORAGE_URI must be memory:// or redis://host:port (rediss:// for TLS) "
     "(got 'memcached://127.0.0.1:11211')"),
    ("RATELIMIT_STORAGE_URI", "redis://",
     "RATELIMIT_STORAGE_URI must name the Redis host, as in redis://127.0.0.1:6379 (got 'redis://')"),
    ("PROXY_COUNT", "two", "PROXY_COUNT must be a whole number, 0 or more (got 'two')"),
    ("PROXY_COUNT", "-1", "PROXY_COUNT must be a whole number, 0 or more (got '-1')"),
    ("SESSION_COOKIE_SECURE", "maybe",
     "SESSION_COOKIE_SECURE must be one of 1, true, yes, on or 0, false, no, off (got 'maybe')"),
]


@pytest.mark.parametrize(("name", "value", "message"), BAD_ENVIRONMENT, ids=[f"{n}={v}" for n, v, _ in BAD_ENVIRONMENT])
def test_a_wrong_environment_setting_stops_the_app_with_one_line(environment, tmp_path, name, value, message):
    environment.setenv(name, value)
    with pytest.raises(ConfigError) as refused:
        start(tmp_path)
    assert str(refused.value) == f"configuration error: {message}"
    assert "\n" not in str(refused.value)
    assert "hunter2" not in str(refused.value)  # a password in a URL is never shown


BAD_MAPPING = [
    ({"TESTING": False, "SECRET_KEY": "short-secret"},
     "SECRET_KEY must be at least 32 characters (got 12); python -c 'import secrets; print(secrets.token_hex(32))' "
     "makes one"),
    ({"MAX_UPLOAD_BYTES": 0}, "MAX_UPLOAD_BYTES must be a whole number, 1 or more (got 0)"),
    ({"MAX_CONTENT_LENGTH": 5 * 1024 * 1024},
     "MAX_CONTENT_LENGTH must be larger than MAX_UPLOAD_BYTES, to leave room for the rest of the form "
     "(got 5242880, MAX_UPLOAD_BYTES is 10485760)"),
    ({"MAX_CONTENT_LENGTH": "lots"}, "MAX_CONTENT_LENGTH must be a whole number, 1 or more (got 'lots')"),
    ({"PROXY_COUNT": True}, "PROXY_COUNT must be a whole number, 0 or more (got True)"),
]


@pytest.mark.parametrize(("overrides", "message"), BAD_MAPPING, ids=[m.split(" ")[0] for _, m in BAD_MAPPING])
def test_a_wrong_setting_in_the_config_file_stops_the_app_with_one_line(environment, tmp_path, overrides, message):
    with pytest.raises(ConfigError) as refused:
        start(tmp_path, **overrides)
    assert str(refused.value) == f"configuration error: {message}"


def test_good_settings_are_read_as_the_numbers_and_booleans_they_stand_for(environment, tmp_path):
    environment.setenv("PROXY_COUNT", "2")
    environment.setenv("SESSION_COOKIE_SECURE", "Yes")
    environment.setenv("MAIL_URL", "smtp+starttls://clinic:p%40ss@mail.opdc.go.th:587")
    environment.setenv("MAIL_FROM", "คลินิก ก.พ.ร. <clinic@opdc.go.th>")
    environment.setenv("DATABASE_URL", "postgres://clinic@db.example/clinic")
    environment.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    app = start(tmp_path, TESTING=False, SECRET_KEY="x" * 32)
    assert app.config["PROXY_COUNT"] == 2
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://clinic@db.example/clinic"


def test_the_app_starts_without_reaching_the_database(environment, tmp_path):
    """create_app never connects: the 503 page while the database is down, and the tests, rely on it."""
    app = start(tmp_path, SQLALCHEMY_DATABASE_URI="postgresql+psycopg://postgres@127.0.0.1:9/clinic_backup_none")
    assert app.test_client().get("/healthz").status_code == 200


def test_a_short_secret_key_is_allowed_in_tests_only(environment, tmp_path):
    assert start(tmp_path, SECRET_KEY="short").config["SECRET_KEY"] == "short"


def run(args, tmp_path, **environment):
    env = {key: value for key, value in os.environ.items() if key not in SETTINGS and not key.startswith("FLASK_")}
    env.update(environment)
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


MAIL_LINE = "configuration error: MAIL_URL must start with smtp://, smtp+starttls:// or smtps:// (got 'smpt://mail')"


@pytest.mark.parametrize("command", [["routes"], ["doctor"], ["backup", "create", "somewhere"], ["run"]])
def test_any_flask_command_with_a_wrong_setting_prints_one_line_and_exits_2(tmp_path, command):
    result = run([sys.executable, "-m", "flask", "--app", "clinic", *command], tmp_path, MAIL_URL="smpt://mail")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [MAIL_LINE]
    assert result.stdout == ""


def test_wsgi_with_a_wrong_setting_prints_one_line_and_exits_2(tmp_path):
    result = run([sys.executable, "-c", "import wsgi"], tmp_path, MAIL_URL="smpt://mail")
    assert (result.returncode, result.stderr.splitlines()) == (2, [MAIL_LINE])


def test_gunicorn_with_a_wrong_setting_stops_instead_of_restarting_workers(tmp_path):
    """One worker: with several, gunicorn 27 may reap a second failed worker while halting and end with its own
    traceback (still stopping, with status 1)."""
    result = run([sys.executable, "-m", "gunicorn", "-w", "1", "-b", "127.0.0.1:0", "wsgi:app"], tmp_path,
                 MAIL_URL="smpt://mail")
    assert result.returncode == 4  # gunicorn's "App failed to load": the master stops
    assert "Traceback" not in result.stderr
    assert result.stderr.count(MAIL_LINE) == 1  # the worker was not started again
