"""The outbox under faults, against real servers on 127.0.0.1: an SMTP server (aiosmtpd in a thread) that stops and
starts again, one that accepts the connection and never answers, one that drops the line after DATA; a worker
(`flask outbox send --loop` in a subprocess) stopped by SIGTERM mid-batch, two workers at once, a booking made while
the worker waits on a slow server, and on PostgreSQL a database restart under the worker (a throwaway cluster)."""

import asyncio
import email
import os
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from flask import current_app
from sqlalchemy import func, select

from clinic import ROOT
from clinic.extensions import db
from clinic.notifications.models import OutboxMessage, OutboxStatus
from clinic.notifications.services import SmtpTransport, deliver_due
from clinic.notifications.worker import OutboxWorker
from tests.factories import NOW

SENDER = "OPDC Clinic <clinic@opdc.go.th>"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition: Callable[[], bool], timeout: float = 30.0, what: str = "condition",
             workers: "list[WorkerProcess] | None" = None) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            for worker in workers or []:
                worker.kill()
                print(worker.output)  # noqa: T201 (shown with the failure)
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


class Inbox:
    """aiosmtpd's handler: keeps every message it accepted. `delay` slows each DATA; `gate`, when given, holds
    the answer to each DATA until it is set (`entered` tells the test that a message is being held)."""

    def __init__(self, delay: float = 0.0, gate: threading.Event | None = None) -> None:
        self.messages: list[email.message.Message] = []
        self.delay = delay
        self.gate = gate
        self.entered = threading.Event()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        if self.delay:
            await asyncio.sleep(self.delay)
        self.messages.append(email.message_from_bytes(envelope.content))  # taken: only the answer is to come
        if self.gate is not None:
            self.entered.set()
            await asyncio.get_running_loop().run_in_executor(None, self.gate.wait, 30)
        return "250 OK"

    def message_ids(self) -> list[str]:
        return [m["Message-ID"] for m in self.messages]


class SmtpServer:
    """A real SMTP server on a fixed port of 127.0.0.1 that can be stopped and started again."""

    def __init__(self, inbox: Inbox, port: int | None = None) -> None:
        self.inbox = inbox
        self.port = port or free_port()
        self.controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> "SmtpServer":
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer(Inbox()).start()
    yield server
    server.stop()


class Silent(socketserver.BaseRequestHandler):
    """Accepts the connection and never says a word (until the server shuts down)."""

    def handle(self) -> None:
        self.server.closing.wait(60)  # type: ignore[attr-defined]


class DropsAfterData(socketserver.StreamRequestHandler):
    """Speaks just enough SMTP to take a message, then, for the first `drops` messages, hangs up instead of
    answering the end of DATA: the one moment at which the client cannot know whether the message was taken."""

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        server = self.server
        self.reply("220 127.0.0.1 ESMTP test")
        while line := self.rfile.readline():
            command = line.decode("ascii", "replace").strip().upper()
            if command.startswith(("EHLO", "HELO")):
                self.reply("250 127.0.0.1")
            elif command.startswith(("MAIL", "RCPT", "RSET", "NOOP")):
                self.reply("250 OK")
            elif command == "DATA":
                self.reply("354 go ahead")
                data = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk
                server.received.append(email.message_from_bytes(data))  # type: ignore[attr-defined]
                if server.drops > 0:  # type: ignore[attr-defined]
                    server.drops -= 1  # type: ignore[attr-defined]
                    return  # the connection closes with no answer
                self.reply("250 OK queued")
            elif command == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 not implemented")


class FakeSmtpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, handler: type[socketserver.BaseRequestHandler]) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.closing = threading.Event()
        self.received: list[email.message.Message] = []
        self.drops = 0
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.server_address[1]}"

    def close(self) -> None:
        self.closing.set()
        self.shutdown()
        self.server_close()


def queue(count: int, prefix: str = "person") -> list[int]:
    messages = [OutboxMessage(recipient=f"{prefix}{i}@diw.go.th", subject=f"นัดหมาย {i}", body="รายละเอียด",
                              created_at=NOW, next_attempt_at=NOW) for i in range(count)]
    db.session.add_all(messages)
    db.session.flush()
    ids = [m.id for m in messages]
    db.session.commit()  # and no attribute read after it: on SQLite that would begin a transaction (a write lock)
    return ids


def statuses() -> Counter[str]:
    """The outbox's statuses, read in a transaction that ends at once (on SQLite an open one would hold the
    write lock that the workers need)."""
    found = Counter(str(s) for s in db.session.scalars(select(OutboxMessage.status)))
    db.session.commit()
    return found


def row(message_id: int) -> OutboxMessage:
    db.session.expire_all()
    found = db.session.get(OutboxMessage, message_id)
    db.session.commit()
    assert found is not None
    return found


# --- the SMTP server misbehaves -------------------------------------------------------------------------------


def test_mail_waits_while_the_server_is_down_and_goes_once_when_it_returns(app):
    ids = queue(3)
    server = SmtpServer(Inbox())  # its port is known, nothing listens there yet
    transport = SmtpTransport(server.url, timeout=5)
    assert deliver_due(transport, SENDER, NOW) == (0, 3)
    assert [(row(i).status, row(i).attempts) for i in ids] == [(OutboxStatus.PENDING, 1)] * 3
    assert "ConnectionRefusedError" in row(ids[0]).last_error

    server.start()
    try:
        assert deliver_due(transport, SENDER, NOW + timedelta(minutes=1)) == (0, 0)  # backing off still
        assert deliver_due(transport, SENDER, NOW + timedelta(minutes=2)) == (3, 0)
        assert deliver_due(transport, SENDER, NOW + timedelta(days=1)) == (0, 0)
    finally:
        server.stop()
    assert sorted(m["To"] for m in server.inbox.messages) == [f"person{i}@diw.go.th" for i in range(3)]
    assert statuses() == {"sent": 3}


def test_a_server_that_never_answers_costs_a_timeout_and_a_later_retry_not_a_hang(app, smtp_server):
    [message_id] = queue(1)
    silent = FakeSmtpServer(Silent)
    started = time.monotonic()
    try:
        assert deliver_due(SmtpTransport(silent.url, timeout=1), SENDER, NOW) == (0, 1)
    finally:
        silent.close()
    assert time.monotonic() - started < 10
    waiting = row(message_id)
    assert waiting.status == OutboxStatus.PENDING and waiting.attempts == 1
    assert "timed out" in waiting.last_error.lower()
    assert waiting.next_attempt_at == NOW + timedelta(minutes=2) and waiting.claim_token is None

    transport = SmtpTransport(smtp_server.url, timeout=5)  # the relay answers again
    assert deliver_due(transport, SENDER, NOW + timedelta(minutes=2)) == (1, 0)
    assert len(smtp_server.inbox.messages) == 1 and row(message_id).status == OutboxStatus.SENT


def test_a_line_dropped_after_data_is_retried_and_the_copy_carries_the_same_message_id(app):
    """The server took the whole message and hung up before saying so: SMTP cannot tell whether it was accepted,
    so the outbox sends it again, and both copies carry one Message-ID, which lets mail clients drop the second."""
    [message_id] = queue(1)
    server = FakeSmtpServer(DropsAfterData)
    server.drops = 1
    try:
        transport = SmtpTransport(server.url, timeout=5)
        assert deliver_due(transport, SENDER, NOW) == (0, 1)
        assert "SMTPServerDisconnected" in row(message_id).last_error
        assert deliver_due(transport, SENDER, NOW + timedelta(minutes=2)) == (1, 0)
    finally:
        server.close()
    first, second = server.received
    assert first["Message-ID"] == second["Message-ID"]
    assert first["Message-ID"].startswith(f"<outbox.{message_id}.")
    assert first["Date"] == second["Date"] and parts(first) == parts(second)
    assert (row(message_id).status, row(message_id).attempts) == (OutboxStatus.SENT, 2)


# --- the worker as a process -----------------------------------------------------------------------------------


class WorkerProcess:
    """`flask outbox send --loop` in a subprocess, on the test's database and the given SMTP server."""

    def __init__(self, database_url: str, mail_url: str, batch: int = 5, interval: float = 0.1) -> None:
        environment = {
            **os.environ, "DATABASE_URL": database_url, "MAIL_URL": mail_url, "MAIL_FROM": SENDER,
            "SECRET_KEY": current_app.config["SECRET_KEY"], "PYTHONUNBUFFERED": "1",  # the installation's own
        }
        environment.pop("FLASK_DEBUG", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "clinic", "outbox", "send", "--loop",
             "--interval", str(interval), "--batch", str(batch)],
            cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )

    def terminate(self, timeout: float = 30) -> tuple[int, str, str]:
        self.process.send_signal(signal.SIGTERM)
        out, err = self.process.communicate(timeout=timeout)
        return self.process.returncode, out, err

    output = ""

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            out, err = self.process.communicate()
            self.output = out + err


@pytest.fixture
def workers() -> Iterator[list[WorkerProcess]]:
    started: list[WorkerProcess] = []
    yield started
    for worker in started:
        worker.kill()


def test_a_worker_stopped_by_sigterm_mid_batch_finishes_its_message_and_nothing_goes_twice(app, database_url,
                                                                                            workers):
    ids = queue(30)
    server = SmtpServer(Inbox(delay=0.05)).start()
    try:
        first = WorkerProcess(database_url, server.url, batch=10)
        workers.append(first)
        wait_for(lambda: len(server.inbox.messages) >= 7, what="a few messages to go", workers=workers)
        code, out, err = first.terminate()
        assert code == 0, err
        assert "SIGTERM: stopping after the message in hand" in err and "stopped: sent" in out
        delivered = len(server.inbox.messages)
        assert delivered < 30, "the worker was meant to be stopped in the middle of its work"
        # Whatever reached the server is recorded as sent; the rest of the batch was given back, unattempted.
        assert statuses() == {"sent": delivered, "pending": 30 - delivered}
        unsent = [row(i) for i in ids if row(i).status == OutboxStatus.PENDING]
        assert {(m.attempts, m.claim_token) for m in unsent} == {(0, None)}

        second = WorkerProcess(database_url, server.url, batch=10)
        workers.append(second)
        wait_for(lambda: statuses() == {"sent": 30}, what="every message to be sent", workers=workers)
        code, _out, err = second.terminate()
        assert code == 0, err
    finally:
        server.stop()
    assert len(server.inbox.messages) == 30
    assert Counter(server.inbox.message_ids()).most_common(1)[0][1] == 1  # every Message-ID exactly once
    assert sorted(m["To"] for m in server.inbox.messages) == sorted(f"person{i}@diw.go.th" for i in range(30))


def test_a_worker_killed_between_sending_and_recording_loses_nothing_and_its_copy_keeps_the_message_id(
        app, database_url, workers):
    """SIGKILL while the server holds the message: the claim is never recorded, so the message waits until the
    claim lapses and is then sent again, the one duplicate an outbox cannot avoid, with the same Message-ID."""
    from clinic.database import utcnow

    [message_id] = queue(1)
    gate = threading.Event()
    server = SmtpServer(Inbox(gate=gate)).start()
    try:
        worker = WorkerProcess(database_url, server.url)
        workers.append(worker)
        assert server.inbox.entered.wait(30), "the worker never reached the server"
        worker.process.kill()  # the server has the message; the worker never hears back nor records it
        worker.process.communicate(timeout=30)
        gate.set()
        claimed = row(message_id)
        assert claimed.status == OutboxStatus.PENDING and claimed.claimed_until is not None
        transport = SmtpTransport(server.url, timeout=5)
        assert deliver_due(transport, SENDER, utcnow()) == (0, 0)  # claimed still: nobody sends it meanwhile
        assert deliver_due(transport, SENDER, claimed.claimed_until) == (1, 0)
    finally:
        gate.set()
        server.stop()
    first, second = server.inbox.messages
    assert first["Message-ID"] == second["Message-ID"]
    assert (row(message_id).status, row(message_id).attempts) == (OutboxStatus.SENT, 2)


def test_two_workers_at_once_never_send_one_message_twice(app, database_url, workers):
    server = SmtpServer(Inbox(delay=0.02)).start()
    try:
        workers.extend(WorkerProcess(database_url, server.url, batch=3, interval=0.05) for _ in range(2))
        time.sleep(1.5)  # both are up and polling
        queue(60)
        wait_for(lambda: statuses() == {"sent": 60}, timeout=60, what="every message to be sent", workers=workers)
        results = [worker.terminate() for worker in workers]
    finally:
        server.stop()
    assert [code for code, _out, _err in results] == [0, 0], [err for _code, _out, err in results]
    assert len(server.inbox.messages) == 60
    assert len(set(server.inbox.message_ids())) == 60
    sent_by = [int(out.rsplit("stopped: sent ", 1)[1].split(",")[0]) for _code, out, _err in results]
    assert sum(sent_by) == 60 and min(sent_by) > 0, sent_by  # both took part


# --- the database is not held while sending --------------------------------------------------------------------


def test_a_booking_goes_through_while_the_worker_waits_on_a_slow_smtp_server(app, officer, department, topic, slot,
                                                                             tmp_path):
    """On SQLite the worker once sent inside its transaction, holding the write lock: a booking waited 22 s and
    failed. Now it holds no transaction while sending."""
    from clinic.bookings.services import AttendeeInput, BookingRequest, book_slot

    queue(1)
    gate = threading.Event()
    server = SmtpServer(Inbox(gate=gate)).start()
    outcome: list[tuple[int, int]] = []

    def work() -> None:
        with app.app_context():
            outcome.append(deliver_due(SmtpTransport(server.url, timeout=30), SENDER, NOW))

    thread = threading.Thread(target=work)
    thread.start()
    try:
        assert server.inbox.entered.wait(10), "the worker never reached the server"
        started = time.monotonic()
        request = BookingRequest(slot=slot, department=department, topic=topic, request_details="ขอคำปรึกษา",
                                 attendees=[AttendeeInput("นายก", "นักวิเคราะห์")])
        booking = book_slot(officer, request, NOW, str(tmp_path), 1024)
        db.session.commit()
        took = time.monotonic() - started
        assert not outcome, "the worker was meant to be still waiting on the server"
    finally:
        gate.set()
        thread.join(30)
        server.stop()
    assert took < 3, f"the booking waited {took:.1f} s for the worker"
    assert booking.id is not None
    # The worker went on to send the booking's own e-mails, written while it was waiting on the server.
    [(sent, failed)] = outcome
    assert sent > 1 and failed == 0 and statuses() == {"sent": sent}


# --- PostgreSQL goes away under the worker ---------------------------------------------------------------------

needs_postgres = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL", "").startswith("postgres"),
    reason="a database restart is tested with the PostgreSQL suite",
)


@pytest.fixture(scope="module")
def cluster():
    from tests.live import can_run_clusters, throwaway_cluster

    if not can_run_clusters():
        pytest.skip("needs PostgreSQL's server binaries and root (to run them as the postgres user)")
    with throwaway_cluster() as running:
        yield running


@pytest.fixture
def cluster_app(cluster, tmp_path):
    from clinic import create_app

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": cluster.url, "SECRET_KEY": "outbox worker test, long enough for production",
                      "MAIL_FOLDER": str(tmp_path / "mail"), "MAIL_FROM": SENDER})
    with app.app_context():
        db.drop_all()
        db.create_all()
        yield app
        db.session.remove()
        db.engine.dispose()


@needs_postgres
def test_the_worker_survives_a_database_restart_and_delivers_afterwards(cluster, cluster_app, smtp_server, workers):
    queue(3, prefix="before")
    worker = WorkerProcess(cluster.url, smtp_server.url, interval=0.1)
    workers.append(worker)
    wait_for(lambda: len(smtp_server.inbox.messages) == 3, what="the first messages")
    db.session.remove()

    cluster.stop()
    try:
        time.sleep(3)  # the worker keeps looking, and finds no database
        assert worker.process.poll() is None, "the worker died with the database"
    finally:
        cluster.start()

    queue(3, prefix="after")
    wait_for(lambda: len(smtp_server.inbox.messages) == 6, what="the messages written after the restart")
    wait_for(lambda: statuses() == {"sent": 6}, what="their outcomes")
    code, _out, err = worker.terminate()
    assert code == 0, err
    assert "database unavailable" in err and "database available again" in err
    assert len(set(smtp_server.inbox.message_ids())) == 6


@needs_postgres
def test_an_outcome_the_database_could_not_take_is_recorded_when_it_returns(cluster, cluster_app, smtp_server):
    """The server took the message, then the database went away before the worker could record it: the worker
    keeps the outcome and records it once the database is back, so the message is not sent a second time."""
    [message_id] = queue(1)
    db.session.remove()
    smtp = SmtpTransport(smtp_server.url, timeout=5)

    class ThenTheDatabaseGoes:
        def send(self, message, number):
            smtp.send(message, number)
            cluster.stop()
            threading.Timer(2.0, cluster.start).start()

    worker = OutboxWorker(ThenTheDatabaseGoes(), SENDER, clock=lambda: NOW)
    assert worker.deliver_all() == (1, 0)
    assert len(smtp_server.inbox.messages) == 1
    sent = row(message_id)
    assert (sent.status, sent.attempts, sent.claim_token) == (OutboxStatus.SENT, 1, None)
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def parts(message: email.message.Message) -> list[tuple[str, bytes]]:
    """Each part's type and decoded content (a multipart boundary is drawn anew on each attempt)."""
    return [(part.get_content_type(), part.get_payload(decode=True)) for part in message.walk()
            if not part.is_multipart()]
