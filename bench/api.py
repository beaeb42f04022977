"""Booking through the API over HTTP against the same through the form, as a ratio.

    python bench/api.py [--database postgresql|sqlite] [--officers 16] [--slots 8]

One gunicorn (2 gthread workers x 8 threads, like bench/contention.py) on a fresh database with the migrations
applied; `officers` officers, each of a department of their own, with a personal API token each and signed in
through the sign-in page (their CSRF token loaded once); 4 x `slots` slots, each with a seat for every officer.
Then four rounds, alternating form, API, form, API, each booking `slots` slots per officer with one thread per
officer: the form POSTs /book/<topic>/slots/<slot> (session, CSRF, WTForms, the booking service, a 302), the API
POSTs JSON to /api/v1/bookings with a bearer token (token look-up, pydantic, the same service, the audit event of
the call, a 201). Prints bookings per second for each and the ratio API / form, and checks that every attempt
booked (no refusal, no server error). Only 127.0.0.1 is contacted.
"""

import argparse
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.live import (  # noqa: E402  (servers, seeding and the clients are shared with the tests)
    api_booking,
    api_call,
    api_tokens,
    booked_id,
    booking_form,
    gunicorn,
    postgres_database,
    scalar,
    seed,
    signed_in,
    sqlite_database,
)

PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
PG_DATABASE = "clinic_bench_api"


def run_round(kind: str, slot_ids: list[int], people: int, book) -> tuple[float, int, list[str]]:
    """Every officer books every slot of `slot_ids`, one thread per officer; (seconds, bookings, failures)."""
    failures: list[str] = []
    made = [0] * people
    barrier = threading.Barrier(people + 1)

    def officer(i: int) -> None:
        barrier.wait()
        for slot_id in slot_ids:
            ok, what = book(i, slot_id)
            if ok:
                made[i] += 1
            else:
                failures.append(f"{kind} officer {i} slot {slot_id}: {what}")

    threads = [threading.Thread(target=officer, args=(i,), daemon=True) for i in range(people)]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    return time.perf_counter() - started, sum(made), failures[:3]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--officers", type=int, default=16)
    parser.add_argument("--slots", type=int, default=8, help="slots per round (4 rounds)")
    args = parser.parse_args()
    people, per_round = args.officers, args.slots
    database = postgres_database(PG_SERVER, PG_DATABASE) if args.database == "postgresql" else sqlite_database()
    with database as url:
        seeded = seed(url, people, [people] * (4 * per_round), tag="benchapi")
        secrets = api_tokens(url, seeded.emails)
        rounds = [seeded.slot_ids[r * per_round:(r + 1) * per_round] for r in range(4)]
        with gunicorn(url, workers=2, threads=8) as server:
            form_path = f"/book/{seeded.topic_id}/slots/{seeded.slot_ids[0]}"
            clients = signed_in([server.base], seeded.emails, [form_path] * people)

            def by_form(i: int, slot_id: int) -> tuple[bool, str]:
                client, token = clients[i]
                answer = client.send("POST", f"/book/{seeded.topic_id}/slots/{slot_id}",
                                     booking_form(token, seeded.department_ids[i], i))
                return booked_id(answer) is not None, f"{answer.status} {answer.location}"

            def by_api(i: int, slot_id: int) -> tuple[bool, str]:
                status, body = api_call(server.base, "POST", "/bookings", secrets[i], api_booking(seeded, slot_id, i))
                return status == 201, f"{status} {body}"

            totals = {"form": [0.0, 0, []], "api": [0.0, 0, []]}
            for n, slot_ids in enumerate(rounds):
                kind, book = ("form", by_form) if n % 2 == 0 else ("api", by_api)
                seconds, made, failures = run_round(kind, slot_ids, people, book)
                totals[kind][0] += seconds
                totals[kind][1] += made
                totals[kind][2] += failures
        expected = 2 * per_round * people
        active = scalar(url, "SELECT count(*) FROM bookings WHERE status IN ('pending', 'confirmed')")
    rates = {kind: made / seconds for kind, (seconds, made, _f) in totals.items()}
    print(f"database: {args.database}; gunicorn 2 workers x 8 threads; {people} concurrent clients")
    print(f"{'path':<6} {'bookings':>8} {'seconds':>8} {'bookings/s':>10}")
    for kind, (seconds, made, _failures) in totals.items():
        print(f"{kind:<6} {made:>8} {seconds:>8.2f} {rates[kind]:>10.1f}")
    print(f"ratio API / form: {rates['api'] / rates['form']:.2f}")
    print(f"active bookings in the database: {active} (expected {2 * expected})")
    for _seconds, _made, failures in totals.values():
        for failure in failures:
            print(f"  {failure}")
    ok = all(made == expected for _s, made, _f in totals.values()) and active == 2 * expected
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
