"""The outbox's delivery rules, with fixed time: claims, outcomes, back-off, Message-IDs, stopping mid-batch."""

import threading
from datetime import timedelta
from email.message import EmailMessage

import pytest
from sqlalchemy import select

from clinic.extensions import db
from clinic.notifications.models import OutboxMessage, OutboxStatus
from clinic.notifications.services import (
    MAX_ATTEMPTS,
    build_email,
    claim_due,
    deliver_due,
    message_id_for,
    record_sent,
)
from clinic.notifications.worker import OutboxWorker
from tests.factories import NOW

LEASE = timedelta(minutes=10)


def queue(count: int = 1, when=NOW) -> list[int]:
    messages = [OutboxMessage(recipient=f"person{i}@diw.go.th", subject=f"เรื่อง {i}", body="เนื้อหา",
                              created_at=when, next_attempt_at=when) for i in range(count)]
    db.session.add_all(messages)
    db.session.flush()
    ids = [m.id for m in messages]
    db.session.commit()  # and no attribute read after it: on SQLite that would begin a transaction (a write lock)
    return ids


def message(message_id: int) -> OutboxMessage:
    db.session.expire_all()
    found = db.session.get(OutboxMessage, message_id)
    assert found is not None
    db.session.commit()
    return found


class Recorder:
    """A transport that keeps what it was given, and checks that no transaction is open while it sends."""

    def __init__(self, fail: int = 0) -> None:
        self.emails: list[EmailMessage] = []
        self.fail = fail

    def send(self, email: EmailMessage, message_id: int) -> None:
        assert not db.session().in_transaction()
        if self.fail:
            self.fail -= 1
            raise ConnectionRefusedError("smtp down")
        self.emails.append(email)


def test_a_claim_takes_each_message_once_until_it_lapses(app):
    ids = queue(3)
    first = claim_due(NOW, 2, LEASE)
    second = claim_due(NOW, 10, LEASE)
    assert [c.id for c in first] == ids[:2] and [c.id for c in second] == ids[2:]
    assert claim_due(NOW + LEASE - timedelta(seconds=1), 10, LEASE) == []  # all claimed, none lapsed
    assert not db.session().in_transaction()  # the claim committed: it holds no lock afterwards
    again = claim_due(NOW + LEASE, 10, LEASE)  # nobody recorded an outcome: the claims lapse
    assert [c.id for c in again] == ids and {c.attempts for c in again} == {2}


def test_an_outcome_is_recorded_only_by_the_worker_that_holds_the_claim(app):
    [message_id] = queue()
    [lapsed] = claim_due(NOW, 1, LEASE)
    [current] = claim_due(NOW + LEASE, 1, LEASE)
    assert record_sent(lapsed, NOW + LEASE) is False
    assert message(message_id).status == OutboxStatus.PENDING
    assert record_sent(current, NOW + LEASE) is True
    assert message(message_id).status == OutboxStatus.SENT and message(message_id).claimed_until is None


def test_sending_happens_outside_any_transaction_and_is_recorded_at_once(app):
    ids = queue(3)
    transport = Recorder()
    assert deliver_due(transport, "OPDC <clinic@opdc.go.th>", NOW) == (3, 0)
    assert [e["To"] for e in transport.emails] == [f"person{i}@diw.go.th" for i in range(3)]
    for message_id in ids:
        sent = message(message_id)
        assert (sent.status, sent.attempts, sent.sent_at, sent.claim_token) == (OutboxStatus.SENT, 1, NOW, None)


def test_failures_back_off_exponentially_then_give_up(app):
    [message_id] = queue()
    transport = Recorder(fail=MAX_ATTEMPTS)
    when = NOW
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert deliver_due(transport, "x@y", when) == (0, 1)
        failed = message(message_id)
        assert failed.attempts == attempt and "smtp down" in failed.last_error
        if attempt < MAX_ATTEMPTS:
            assert failed.status == OutboxStatus.PENDING
            assert failed.next_attempt_at == when + timedelta(minutes=2**attempt)
            assert deliver_due(transport, "x@y", failed.next_attempt_at - timedelta(seconds=1)) == (0, 0)
            when = failed.next_attempt_at
    assert message(message_id).status == OutboxStatus.FAILED
    assert deliver_due(Recorder(), "x@y", when + timedelta(days=30)) == (0, 0)


def test_a_message_abandoned_on_its_last_attempt_is_given_up(app):
    [message_id] = queue()
    for attempt in range(MAX_ATTEMPTS):
        assert len(claim_due(NOW + attempt * LEASE, 1, LEASE)) == 1  # each claim lapses unrecorded
    assert claim_due(NOW + MAX_ATTEMPTS * LEASE, 1, LEASE) == []
    given_up = message(message_id)
    assert given_up.status == OutboxStatus.FAILED and given_up.attempts == MAX_ATTEMPTS
    assert "the worker stopped" in given_up.last_error


def test_the_message_id_is_the_same_on_every_attempt_and_unique_per_row_and_installation(app):
    [message_id] = queue()
    transport = Recorder(fail=1)
    deliver_due(transport, "x@y", NOW)
    first_try = claim_due(NOW + LEASE, 1, LEASE)[0]
    retried = build_email(first_try, "x@y")["Message-ID"]
    assert retried == build_email(message(message_id), "x@y")["Message-ID"]
    assert retried.startswith(f"<outbox.{message_id}.") and retried.endswith("@opdc.go.th>")
    other_row = message(queue(when=NOW)[0])
    assert build_email(other_row, "x@y")["Message-ID"] != retried
    assert message_id_for(first_try, "another installation", "opdc.go.th") != retried


def test_a_stop_finishes_the_message_in_hand_and_gives_back_the_rest(app):
    ids = queue(5)
    stop = threading.Event()

    class StopsDuringSecond(Recorder):
        def send(self, email, message_id):
            super().send(email, message_id)
            if len(self.emails) == 2:
                stop.set()  # as SIGTERM would, while this message is being sent

    transport = StopsDuringSecond()
    worker = OutboxWorker(transport, "x@y", clock=lambda: NOW, batch=10, stop=stop)
    worker.run(interval=0)
    assert [message(i).status for i in ids] == ["sent", "sent", "pending", "pending", "pending"]
    assert [(message(i).attempts, message(i).claim_token) for i in ids[2:]] == [(0, None)] * 3
    assert deliver_due(transport, "x@y", NOW) == (3, 0)  # due at once for the next worker
    assert sorted(e["To"] for e in transport.emails) == sorted(f"person{i}@diw.go.th" for i in range(5))


def test_a_slow_batch_gives_back_what_it_cannot_send_within_half_its_claim(app):
    ids = queue(3)
    times = iter([NOW, NOW, NOW + LEASE / 2 + timedelta(seconds=1)] + [NOW + LEASE] * 20)
    transport = Recorder()
    worker = OutboxWorker(transport, "x@y", clock=lambda: next(times), batch=3)
    assert worker.deliver_batch() == 3
    assert [message(i).status for i in ids] == ["sent", "pending", "pending"]
    assert message(ids[1]).claim_token is None


@pytest.mark.parametrize("count", [0, 3])
def test_the_one_shot_command_reports_what_it_sent(app, count):
    queue(count)
    result = app.test_cli_runner().invoke(args=["outbox", "send"])
    assert result.exit_code == 0, result.output
    assert f"sent {count}, failed 0" in result.output
    assert db.session.scalar(select(OutboxMessage.status).where(OutboxMessage.status != "sent")) is None
