"""`flask doctor` says what is configured and whether each part answers: exit 0 when all do, 1 otherwise."""

import socket
import socketserver
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask_migrate import upgrade

from clinic import create_app
from clinic.extensions import db
from tests.databases import own_database


class FakeSmtp(socketserver.StreamRequestHandler):
    """Just enough SMTP to greet, answer EHLO and say goodbye."""

    def handle(self) -> None:
        self.wfile.write(b"220 fake.opdc.go.th ESMTP\r\n")
        for line in self.rfile:
            verb = line.strip().split(b" ")[0].upper()
            if verb in (b"EHLO", b"HELO"):
                self.wfile.write(b"250-fake.opdc.go.th\r\n250 HELP\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


@pytest.fixture
def smtp_server() -> Iterator[str]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), FakeSmtp)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"smtp://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def migrated_url(database_url, tmp_path_factory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("doctor")
    with own_database(database_url, folder) as url:
        app = make_app(url, folder)
        with app.app_context():
            upgrade()
            db.engine.dispose()
        yield url


def make_app(url, tmp_path, **overrides):
    return create_app({"TESTING": True, "SECRET_KEY": "doctor", "SQLALCHEMY_DATABASE_URI": url,
                       "UPLOAD_FOLDER": str(tmp_path / "uploads"), "MAIL_FOLDER": str(tmp_path / "mail"), **overrides})


def doctor(app):
    return app.test_cli_runner().invoke(args=["doctor"])


def test_doctor_with_every_part_answering_exits_0(migrated_url, smtp_server, tmp_path):
    overrides = {"MAIL_URL": smtp_server}
    if redis_answers():
        overrides["RATELIMIT_STORAGE_URI"] = "redis://127.0.0.1:6379/0"
    result = doctor(make_app(migrated_url, tmp_path, **overrides))
    assert result.exit_code == 0, result.output
    assert "FAILED" not in result.output
    assert "schema at revision" in result.output and "(the code's head)" in result.output
    assert f"{smtp_server[len('smtp://'):]} answers EHLO" in result.output
    if redis_answers():
        assert "redis://127.0.0.1:6379/0 answers PING" in result.output
    assert result.output.rstrip().endswith("every part answers")


def test_doctor_says_what_is_configured_without_passwords(migrated_url, tmp_path):
    result = doctor(make_app(migrated_url, tmp_path, MAIL_URL=f"smtp://clinic:hunter2@127.0.0.1:{closed_port()}"))
    assert "hunter2" not in result.output
    assert "smtp://clinic:***@127.0.0.1" in result.output
    assert "languages    th, en (default th)" in result.output
    assert f"uploads      {tmp_path / 'uploads'}" in result.output


def test_doctor_with_the_database_on_a_closed_port_exits_1(tmp_path):
    url = f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/clinic_backup_nowhere"
    result = doctor(make_app(url, tmp_path))
    assert result.exit_code == 1
    assert "FAILED database     does not answer:" in result.output
    assert "ok     uploads" in result.output  # the other parts are still checked
    assert result.output.rstrip().endswith("database did not answer")


def test_doctor_finds_a_database_without_the_schema(database_url, tmp_path):
    with own_database(database_url, tmp_path) as url:
        if url.startswith("sqlite"):
            Path(url.removeprefix("sqlite:///")).touch()
        result = doctor(make_app(url, tmp_path))
    assert result.exit_code == 1
    assert "answers, but has no schema: run flask db upgrade" in result.output


def test_doctor_finds_a_mail_server_that_does_not_answer_and_a_folder_it_cannot_write(migrated_url, tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    app = make_app(migrated_url, tmp_path, MAIL_URL=f"smtp://127.0.0.1:{closed_port()}",
                   UPLOAD_FOLDER=str(tmp_path / "a-file" / "uploads"))
    result = doctor(app)
    assert result.exit_code == 1
    assert "FAILED mail " in result.output and "does not answer" in result.output
    assert "FAILED uploads " in result.output and "is not writable" in result.output
    assert "ok     database" in result.output


def test_doctor_finds_redis_that_does_not_answer(migrated_url, tmp_path):
    result = doctor(make_app(migrated_url, tmp_path, RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{closed_port()}"))
    assert result.exit_code == 1
    assert "FAILED redis " in result.output
