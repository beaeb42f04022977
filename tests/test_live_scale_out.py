"""Scale-out: two gunicorn instances (separate processes on separate ports) on one database and one Redis behave
as one system. A slot's capacity holds across both; a session and its CSRF token work whichever instance answers;
failed sign-ins are counted once, in Redis, whichever instance they reach. And with Redis gone, sign-in still works,
counted per process, with a warning in the log.

Runs on the database of the suite's pass: a fresh `clinic_faults_*` database on the PostgreSQL pass, a SQLite file
(which two processes share through its lock) on the SQLite pass."""

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.live import (
    NO_ANSWER,
    TIMEOUT,
    Answer,
    Client,
    Seeded,
    Server,
    booked_id,
    booking_form,
    database_like_the_suite,
    delete_redis_keys,
    free_port,
    gunicorn,
    is_refusal,
    redis_answers,
    scalar,
    seed,
    signed_in,
    unique_tag,
)

pytestmark = pytest.mark.slow

# A database number of its own on the shared Redis; keys carry the run's tag and only those are removed.
REDIS_URL = "redis://127.0.0.1:6379/13"
RACE_CAPACITY = 3
RACERS = 30
LIMIT_PER_MINUTE = 10  # LOGIN_RATE_LIMIT's first limit


@dataclass
class Pair:
    url: str
    seeded: Seeded
    a: Server
    b: Server
    tag: str

    @property
    def bases(self) -> list[str]:
        return [self.a.base, self.b.base]


@pytest.fixture(scope="module")
def pair() -> Iterator[Pair]:
    if not redis_answers(REDIS_URL):
        pytest.skip("needs Redis on 127.0.0.1:6379")
    tag = unique_tag()
    env = {"RATELIMIT_STORAGE_URI": REDIS_URL}
    try:
        with database_like_the_suite(tag) as url:
            seeded = seed(url, RACERS + 4, [RACE_CAPACITY, 1], tag=tag, migrations=False)
            with gunicorn(url, threads=8, env=env) as a, gunicorn(url, threads=8, env=env) as b:
                assert a.process.pid != b.process.pid and a.base != b.base
                yield Pair(url, seeded, a, b, tag)
                for server in (a, b):
                    assert "Traceback" not in server.log_text()
    finally:
        delete_redis_keys(REDIS_URL, tag)


def test_a_slots_capacity_holds_across_two_instances(pair: Pair) -> None:
    """RACERS officers, signed in alternately on A and B, send their bookings of one slot at the same instant,
    alternately to A and B: exactly RACE_CAPACITY are booked, every other one is refused with 409, nothing fails."""
    seeded = pair.seeded
    slot_id = seeded.slot_ids[0]
    path = f"/book/{seeded.topic_id}/slots/{slot_id}"
    clients = signed_in(pair.bases, seeded.emails[:RACERS], [path] * RACERS)
    barrier = threading.Barrier(RACERS + 1, timeout=TIMEOUT)
    answers: list[Answer | str] = ["no answer"] * RACERS

    def attempt(i: int, client: Client, token: str) -> None:
        form = booking_form(token, seeded.department_ids[i], i)
        barrier.wait()
        try:
            answers[i] = client.send("POST", path, form, base=pair.bases[(i + 1) % 2])  # the other instance
        except NO_ANSWER as error:
            answers[i] = repr(error)

    threads = [threading.Thread(target=attempt, args=(i, *clients[i]), daemon=True) for i in range(RACERS)]
    for thread in threads:
        thread.start()
    barrier.wait()
    deadline = time.monotonic() + 2 * TIMEOUT
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))

    booked = [a for a in answers if isinstance(a, Answer) and booked_id(a) is not None]
    refused = [a for a in answers if isinstance(a, Answer) and is_refusal(a)]
    failed = [a for a in answers if a not in booked and a not in refused]
    assert (len(booked), len(refused), failed) == (RACE_CAPACITY, RACERS - RACE_CAPACITY, [])
    assert {a.status for a in refused} == {409}
    active = scalar(pair.url, "SELECT count(*) FROM bookings WHERE slot_id = :s AND status IN ('pending', 'confirmed')",
                    s=slot_id)
    audited = scalar(pair.url, "SELECT count(*) FROM audit_events a JOIN bookings b ON a.object_type = 'bookings' "
                               "AND a.object_id = b.id AND a.action = 'booking.created' WHERE b.slot_id = :s", s=slot_id)
    assert active == audited == RACE_CAPACITY
    # both instances took part
    served_by = {i % 2 for i, a in enumerate(answers) if isinstance(a, Answer)}
    assert served_by == {0, 1}


def test_a_session_and_its_csrf_token_hold_whichever_instance_answers(pair: Pair) -> None:
    """Sign in on A, load the form on B, send it to A: booked; the receipt opens on B."""
    seeded = pair.seeded
    path = f"/book/{seeded.topic_id}/slots/{seeded.slot_ids[1]}"
    client = Client(pair.a.base)
    client.login(seeded.emails[RACERS])
    token = client.csrf(path, base=pair.b.base)
    answer = client.send("POST", path, booking_form(token, seeded.department_ids[RACERS], 0), base=pair.a.base)
    booking = booked_id(answer)
    assert booking is not None, (answer.status, answer.location, answer.body[:300])
    receipt = client.send("GET", f"/bookings/{booking}", base=pair.b.base)
    assert receipt.status == 200
    assert client.send("GET", "/casefile", base=pair.b.base).status == 200


def test_failed_sign_ins_are_counted_once_across_two_instances(pair: Pair) -> None:
    """20 wrong passwords for one account, alternately on A and B: the first 10 are tried (422), the other 10
    are refused unread (429), as from one process. The right password is then refused too, for this account
    only: a colleague behind the same address signs in."""
    seeded = pair.seeded
    client = Client(pair.a.base)
    email = seeded.emails[RACERS + 1]
    statuses = [client.sign_in(email, "wrong-password", base=pair.bases[i % 2]).status for i in range(20)]
    assert statuses.count(422) <= LIMIT_PER_MINUTE
    assert statuses == [422] * LIMIT_PER_MINUTE + [429] * (20 - LIMIT_PER_MINUTE)
    assert client.sign_in(email, base=pair.b.base).status == 429
    assert client.sign_in(email, base=pair.a.base).status == 429
    assert Client(pair.b.base).sign_in(seeded.emails[RACERS + 2]).status == 302


def test_sign_in_works_while_redis_is_unreachable(pair: Pair) -> None:
    """Redis configured but nothing listening: sign-in works (302), failed sign-ins are still limited, per
    process, the log says why, readiness reports Redis failed and liveness does not; never a 500."""
    closed = f"redis://127.0.0.1:{free_port()}/0"
    with gunicorn(pair.url, env={"RATELIMIT_STORAGE_URI": closed}) as server:
        client = Client(server.base)
        assert client.sign_in(pair.seeded.emails[RACERS + 3]).status == 302
        assert client.send("GET", "/casefile").status == 200

        other = Client(server.base)
        email = pair.seeded.emails[RACERS + 2]
        statuses = [other.sign_in(email, "wrong-password").status for _ in range(LIMIT_PER_MINUTE + 2)]
        assert statuses == [422] * LIMIT_PER_MINUTE + [429, 429]

        ready = client.send("GET", "/readyz")
        assert ready.status == 503 and '"redis":"failed"' in ready.body.replace(" ", "")
        assert client.send("GET", "/healthz").status == 200
        log = server.log_text()
    assert "falling back to in-memory storage" in log
    assert "Traceback" not in log
