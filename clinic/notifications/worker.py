"""The outbox worker (`flask outbox send --loop`): delivers due e-mail, message by message, and keeps going.

What it guarantees:

- **Nothing is lost.** A message is claimed (`claimed_until`, `claim_token`) in a short transaction, sent outside
  any transaction, and its outcome recorded in another short transaction right after it. A failure is retried
  with exponential back-off and given up (status `failed`, for an administrator to retry) after MAX_ATTEMPTS.
- **Nothing is sent twice, with two exceptions that no outbox can close.** (1) The worker dies (SIGKILL, power
  loss) after the SMTP server accepted a message and before the outcome is recorded: the claim lapses after
  MAIL_CLAIM_SECONDS and the message is sent again. (2) The connection drops after the message's data was sent
  but before the server's answer: SMTP itself cannot tell whether the server took it, so it is retried. In both
  cases the copy carries the same Message-ID, so mail clients can drop it.
- **Two workers never take the same message**: PostgreSQL's `FOR UPDATE SKIP LOCKED`; SQLite has one writer.
- **No lock is held while sending**: on SQLite, bookings go on while a slow SMTP server takes its time.
- **SIGTERM or SIGINT** finishes the message being sent, records it, gives back the rest of the batch and stops
  (exit 0). A second signal stops at once.
- **A database outage is waited out** with back-off (logged, never fatal); an outcome that could not be recorded
  because the database went away is kept and recorded when it returns.
"""

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from clinic.database import utcnow
from clinic.extensions import db
from clinic.notifications.services import (
    ClaimedMessage,
    Transport,
    build_email,
    claim_due,
    record_failure,
    record_sent,
    release,
)

log = logging.getLogger("clinic.outbox")

OUTAGES = (OperationalError, InterfaceError)
MAX_OUTAGE_WAIT = 60.0  # seconds between tries while the database is away
STOP_GRACE = 30.0  # seconds a stopping worker still tries to record the outcome of what it sent

T = TypeVar("T")


class OutboxWorker:
    def __init__(
        self,
        transport: Transport,
        sender: str,
        clock: Callable[[], datetime] = utcnow,
        batch: int = 10,
        lease: timedelta = timedelta(minutes=10),
        stop: threading.Event | None = None,
    ) -> None:
        self.transport = transport
        self.sender = sender
        self.clock = clock
        self.batch = batch
        self.lease = lease
        self.stop = stop or threading.Event()
        self.stopped_at: float | None = None
        self.sent = self.failed = 0

    def deliver_batch(self) -> int:
        """Claim one batch, send each message and record its outcome; returns how many were claimed.
        A message is only sent while at least half its claim is left (a slow batch gives back the rest to
        claim again), and never after a stop was asked for."""
        claims = claim_due(self.clock(), self.batch, self.lease)
        for index, claim in enumerate(claims):
            if self.stop.is_set() or self.clock() > claim.claimed_until - self.lease / 2:
                self.until_recorded(partial(release, claims[index:]))
                break
            self.deliver(claim)
        return len(claims)

    def deliver(self, claim: ClaimedMessage) -> None:
        try:
            email = build_email(claim, self.sender)  # a message that cannot be built fails like one refused
            assert not db.session().in_transaction(), "no transaction may be open while sending"
            self.transport.send(email, claim.id)
        except Exception as error:  # any failure is retried later, then given up for an administrator to see
            self.failed += 1
            failure = error
            log.warning("message %s to %s failed (attempt %s): %s", claim.id, claim.recipient, claim.attempts,
                        f"{type(error).__name__}: {error}")
            recorded = self.until_recorded(lambda: record_failure(claim, failure, self.clock()))
        else:
            self.sent += 1
            recorded = self.until_recorded(lambda: record_sent(claim, self.clock()))
        if not recorded:
            log.error("message %s: the claim lapsed before its outcome was recorded; it may be sent again",
                      claim.id)

    def deliver_all(self) -> tuple[int, int]:
        """Deliver batches until nothing is due (or a stop is asked for); returns (sent, failed)."""
        while not self.stop.is_set() and self.deliver_batch():
            pass
        return self.sent, self.failed

    def until_recorded(self, action: Callable[[], T]) -> T:
        """Run a short transaction; while the database is away, wait and try again (a message that was sent
        must not be sent again because its outcome could not be written). A stopping worker gives up after
        STOP_GRACE, and the message is sent again when its claim lapses."""
        failures = 0
        while True:
            try:
                return action()
            except OUTAGES as error:
                forget_transaction()
                failures += 1
                if self.stop.is_set():
                    self.stopped_at = self.stopped_at or time.monotonic()
                    if time.monotonic() - self.stopped_at > STOP_GRACE:
                        raise
                delay = outage_delay(failures)
                log.warning("database unavailable; retrying in %.0f s: %s", delay, first_line(error))
                time.sleep(delay)

    def run(self, interval: float = 5.0, report: Callable[[int, int], None] | None = None) -> None:
        """Deliver until stopped: every `interval` seconds when idle, at once while there is more to send.
        A database outage is logged and waited out with back-off, never fatal."""
        outages = 0
        while not self.stop.is_set():
            before = self.sent, self.failed
            try:
                claimed = self.deliver_batch()
            except OUTAGES as error:
                forget_transaction()
                outages += 1
                delay = outage_delay(outages)
                log.warning("database unavailable; retrying in %.0f s: %s", delay, first_line(error))
                self.stop.wait(delay)
                continue
            if outages:
                log.warning("database available again")
                outages = 0
            if report and (self.sent, self.failed) != before:
                report(self.sent - before[0], self.failed - before[1])
            if claimed < self.batch:
                self.stop.wait(interval)


def outage_delay(failures: int) -> float:
    return min(MAX_OUTAGE_WAIT, 0.5 * 2 ** min(failures, 10))


def forget_transaction() -> None:
    """After an outage: roll back what is left of the transaction and return the connection; the pool tests
    connections before use, so the next try gets a live one."""
    try:
        db.session.rollback()
    except DBAPIError:
        db.session.close()


def first_line(error: BaseException) -> str:
    return (str(error).splitlines() or [type(error).__name__])[0]
