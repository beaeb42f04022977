"""Faults under traffic, with real processes: a gunicorn worker killed (SIGKILL) in the middle of a burst of
bookings, and the PostgreSQL server restarted while gunicorn serves page loads and bookings.

What must hold: nothing is half-written (every booking has its audit event, its attendees and its e-mails); a
request that got an answer got a true one; a request that got none is sent again with the same submission key
and lands on a booking, the very one it made if that had been committed, so that no form books twice; no
answer is ever a 500 (a 503 with Retry-After while the database is down); and the same processes serve again
as soon as the database is back."""

import os
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from tests.live import (
    NO_ANSWER,
    Answer,
    Client,
    Seeded,
    booked_id,
    booking_form,
    can_run_clusters,
    database_like_the_suite,
    gunicorn,
    scalar,
    seed,
    signed_in,
    throwaway_cluster,
    unique_tag,
)

pytestmark = pytest.mark.slow

ON_POSTGRES = os.environ.get("TEST_DATABASE_URL", "").startswith("postgres")
BURST = 48  # officers, each booking a slot of its own with a key of its own
SENDERS = 12  # requests in flight at once
KILL_AFTER = 12  # answers received before a worker is killed


@dataclass
class Attempt:
    """One officer's booking form and what became of it."""

    n: int
    email: str
    client: Client
    path: str
    form: dict[str, str]
    first: Answer | str | None = None  # the answer, or why there was none
    committed_before_retry: int | None = None
    retry: Answer | None = None

    @property
    def key(self) -> str:
        return self.form["submission_key"]

    def send(self) -> Answer:
        return self.client.send("POST", self.path, self.form)


def booking_with_key(url: str, email: str, key: str) -> int | None:
    found = scalar(url, "SELECT coalesce(max(b.id), 0) FROM bookings b JOIN users u ON u.id = b.booked_by_id "
                        "WHERE u.email = :e AND b.submission_key = :k", e=email, k=key)
    return found or None


def assert_whole(url: str, booking_id: int, key: str) -> None:
    """The booking is there with its key, its 'booking.created' event, its attendee and its two e-mails."""
    assert scalar(url, "SELECT count(*) FROM bookings WHERE id = :b AND submission_key = :k", b=booking_id, k=key) == 1
    assert scalar(url, "SELECT count(*) FROM audit_events WHERE action = 'booking.created' "
                       "AND object_type = 'bookings' AND object_id = :b", b=booking_id) == 1
    assert scalar(url, "SELECT count(*) FROM attendees WHERE booking_id = :b", b=booking_id) == 1
    assert scalar(url, "SELECT count(*) FROM outbox_messages o JOIN bookings b ON o.subject LIKE '%' || b.reference "
                       "WHERE b.id = :b", b=booking_id) == 2  # the advisor and the officer


def assert_nothing_half_written(url: str) -> None:
    assert scalar(url, "SELECT count(*) FROM bookings b WHERE NOT EXISTS (SELECT 1 FROM audit_events a "
                       "WHERE a.action = 'booking.created' AND a.object_type = 'bookings' AND a.object_id = b.id)") == 0
    assert scalar(url, "SELECT count(*) FROM bookings b WHERE NOT EXISTS "
                       "(SELECT 1 FROM attendees a WHERE a.booking_id = b.id)") == 0
    assert scalar(url, "SELECT count(*) FROM bookings b WHERE (SELECT count(*) FROM outbox_messages o "
                       "WHERE o.subject LIKE '%' || b.reference) <> 2") == 0
    assert scalar(url, "SELECT count(*) FROM audit_events WHERE action = 'booking.created'") == scalar(
        url, "SELECT count(*) FROM bookings")


def prepared(base: str, seeded: Seeded) -> list[Attempt]:
    paths = [f"/book/{seeded.topic_id}/slots/{slot}" for slot in seeded.slot_ids]
    clients = signed_in([base], seeded.emails, paths)
    return [Attempt(n, seeded.emails[n], client, paths[n],
                    booking_form(token, seeded.department_ids[n], n, submission_key=uuid.uuid4().hex))
            for n, (client, token) in enumerate(clients)]


def run_all(attempts: list[Attempt], send: Callable[[Attempt], None], deadline: float) -> None:
    pool = ThreadPoolExecutor(max_workers=SENDERS)
    try:
        futures = [pool.submit(send, a) for a in attempts]
        for future in futures:
            future.result(timeout=max(0.1, deadline - time.monotonic()))
    finally:
        pool.shutdown(cancel_futures=True)


@pytest.mark.parametrize("database", ["postgresql" if ON_POSTGRES else "sqlite"])
def test_a_worker_killed_mid_burst_loses_nothing_and_doubles_nothing(database: str,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """PostgreSQL: 2 gthread workers of 4 threads; SQLite: 1 worker of 4 threads (its only worker is killed,
    the master starts another while the listening socket keeps the queue)."""
    workers = 2 if database == "postgresql" else 1
    with database_like_the_suite(unique_tag()) as url:
        seeded = seed(url, BURST, [1] * BURST, migrations=False)
        with gunicorn(url, workers=workers, threads=4) as server:
            attempts = prepared(server.base, seeded)
            answered = threading.Semaphore(0)

            def send(attempt: Attempt) -> None:
                try:
                    attempt.first = attempt.send()
                except NO_ANSWER as error:
                    attempt.first = repr(error)
                answered.release()

            started = time.monotonic()
            burst = threading.Thread(target=run_all, args=(attempts, send, started + 60), daemon=True)
            burst.start()
            for _ in range(KILL_AFTER):
                assert answered.acquire(timeout=60)
            killed, holding = server.kill_worker()
            burst.join(90)
            assert not burst.is_alive()
            server.wait_workers(workers, without=killed)

            lost = [a for a in attempts if not isinstance(a.first, Answer)]
            for attempt in lost:
                attempt.committed_before_retry = booking_with_key(url, attempt.email, attempt.key)
                attempt.retry = attempt.send()
            elapsed = time.monotonic() - started

        answers = [a.first for a in attempts if isinstance(a.first, Answer)] + [a.retry for a in lost if a.retry]
        assert [(x.status, x.location) for x in answers if x.status >= 500] == []
        assert lost, f"the killed worker held {holding} connections, yet every request was answered"
        booked: dict[str, int] = {}
        for attempt in attempts:
            final = attempt.retry or attempt.first
            booking = booked_id(final) if isinstance(final, Answer) else None
            assert booking is not None, (attempt.n, attempt.first, final)
            if attempt.committed_before_retry is not None:
                assert booking == attempt.committed_before_retry  # the same booking, not a second
            assert_whole(url, booking, attempt.key)
            booked[attempt.key] = booking
        assert len(set(booked.values())) == len(booked) == BURST
        assert scalar(url, "SELECT count(*) FROM bookings") == BURST
        assert_nothing_half_written(url)

    committed = sum(a.committed_before_retry is not None for a in lost)
    with capsys.disabled():
        print(f"\n[worker killed mid-burst, {database}, {workers} worker(s)] {BURST} bookings sent, "
              f"killed the worker holding {holding} connections; "
              f"{BURST - len(lost)} answered 302 at once, {len(lost)} got no answer ({committed} of them committed "
              f"before the retry, {len(lost) - committed} not), all {len(lost)} retries 302, "
              f"{len(set(booked.values()))} bookings in the database, 0 half-written, {elapsed:.1f} s")


@pytest.mark.skipif(not ON_POSTGRES, reason="a database restart is tested with the PostgreSQL suite")
def test_the_database_restarted_under_traffic_costs_no_500_and_gunicorn_recovers_by_itself(
        capsys: pytest.CaptureFixture[str]) -> None:
    if not can_run_clusters():
        pytest.skip("needs PostgreSQL's server binaries and root (to run them as the postgres user)")
    officers, rounds = 8, 10
    with throwaway_cluster() as cluster:
        url = cluster.url
        seeded = seed(url, officers, [1] * (officers * (rounds + 1)), migrations=False)
        with gunicorn(url, workers=2, threads=4) as server:
            workers = server.worker_pids()
            paths = [f"/book/{seeded.topic_id}/slots/{slot}" for slot in seeded.slot_ids]
            clients = signed_in([server.base], seeded.emails, paths[:officers])
            seen: list[tuple[str, int, str | None]] = []  # (what, status, Retry-After)
            unanswered: list[str] = []
            unsure: list[tuple[Client, str, dict[str, str]]] = []  # bookings answered 503: sent again afterwards
            stop = threading.Event()
            lock = threading.Lock()

            def traffic(j: int) -> None:
                client, token = clients[j]
                for r in range(rounds):  # officer j books slots j, j + officers, ...: never the same seat
                    if stop.is_set():
                        return
                    path = paths[j + officers * r]
                    form = booking_form(token, seeded.department_ids[j], r, submission_key=uuid.uuid4().hex)
                    for what, call in (("casefile", lambda: client.send("GET", "/casefile")),
                                       ("form", lambda p=path: client.send("GET", p)),
                                       ("booking", lambda p=path, f=form: client.send("POST", p, f))):
                        try:
                            answer = call()
                        except NO_ANSWER as error:
                            with lock:
                                unanswered.append(f"{what}: {error!r}")
                            continue
                        with lock:
                            seen.append((what, answer.status, answer.retry_after))
                            if what == "booking" and answer.status != 302:
                                unsure.append((client, path, form))
                    time.sleep(0.05)

            threads = [threading.Thread(target=traffic, args=(j,), daemon=True) for j in range(officers)]
            started = time.monotonic()
            for thread in threads:
                thread.start()
            time.sleep(1.0)
            restart_began = time.monotonic()
            cluster.restart()
            restart_took = time.monotonic() - restart_began
            for thread in threads:
                thread.join(max(0.1, started + 60 - time.monotonic()))
            stop.set()
            assert not any(t.is_alive() for t in threads)

            # During: answers only, and never a server error other than 503 with Retry-After.
            assert unanswered == []
            assert [s for s in seen if s[1] >= 500 and s[1] != 503] == []
            assert all(s[2] == "30" for s in seen if s[1] == 503)
            assert all(s[1] in (200, 302, 503) for s in seen), sorted(set(seen))

            # After: the same processes serve every request; a booking answered 503 is sent again and booked
            # (the first sending's booking, had it been committed after all).
            after = [client.send("GET", "/casefile").status for client, _ in clients for _ in range(3)]
            retried = [booked_id(client.send("POST", path, form)) for client, path, form in unsure]
            spare = paths[officers * rounds:]
            fresh = [booked_id(client.send("POST", spare[j], booking_form(token, seeded.department_ids[j], 99)))
                     for j, (client, token) in enumerate(clients)]
            assert after == [200] * len(after)
            assert None not in retried and None not in fresh
            assert server.worker_pids() == workers  # no worker was restarted
            assert "Traceback" not in server.log_text()
            elapsed = time.monotonic() - started

        keys = {form["submission_key"] for _, _, form in unsure}
        bookings = scalar(url, "SELECT count(*) FROM bookings")
        assert bookings == sum(1 for s in seen if s[0] == "booking" and s[1] == 302) + len(keys) + officers
        assert_nothing_half_written(url)

    statuses = {status: sum(1 for s in seen if s[1] == status) for status in sorted({s[1] for s in seen})}
    with capsys.disabled():
        print(f"\n[database restarted under traffic] {len(seen)} requests during: {statuses}; restart took "
              f"{restart_took:.1f} s; afterwards {len(after)} page loads 200, {len(unsure)} bookings answered 503 "
              f"re-sent and booked, {len(fresh)} new bookings 302; {bookings} bookings, 0 half-written, "
              f"workers unchanged, {elapsed:.1f} s")
