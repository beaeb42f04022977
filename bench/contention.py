"""Invariant 1 end to end over HTTP: N logged-in officers race for one slot served by gunicorn.

    python bench/contention.py [--database sqlite|postgresql|both] [--attempts 200]

For each database: build a fresh schema with the migrations, seed one advisor, a single-seat slot and a
five-seat slot a week ahead, and N officers; start gunicorn (PostgreSQL: 2 processes, SQLite: 1 process,
gthread workers); log every officer in and load the booking form; then release all POSTs at once behind a
barrier. Pass: exactly `capacity` bookings (a 302 to /bookings/<id> each, and that many active rows in the
database, each with its audit event), every other attempt a clear 409/422 refusal, and no server error.
Only 127.0.0.1 is contacted. Officers get a cheap password hash: login speed is not what is measured here.
"""

import argparse
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.live import (  # noqa: E402  (servers, seeding and the signed-in client are shared with the tests)
    NO_ANSWER,
    TIMEOUT,
    Client,
    Seeded,
    booked_id,
    booking_form,
    gunicorn,
    is_refusal,
    postgres_database,
    scalar,
    seed,
    signed_in,
    sqlite_database,
)

PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
PG_DATABASE = "clinic_bench"
CAPACITIES = (1, 5)


@dataclass
class Row:
    database: str
    processes: int
    capacity: int
    attempts: int
    booked: int = 0
    refused: int = 0
    errors: int = 0
    db_active: int = -1
    audit_events: int = -1
    wall: float = 0.0
    samples: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        expected = min(self.capacity, self.attempts)
        return (self.booked == self.db_active == self.audit_events == expected
                and self.refused == self.attempts - expected and self.errors == 0)


def count_active(url: str, slot_id: int) -> tuple[int, int]:
    """Active bookings in the slot, and the 'booking.created' audit events for that slot's bookings."""
    active = scalar(url, "SELECT count(*) FROM bookings WHERE slot_id = :s AND status IN ('pending', 'confirmed')",
                    s=slot_id)
    audited = scalar(url, "SELECT count(*) FROM audit_events a JOIN bookings b ON a.action = 'booking.created' "
                          "AND a.object_type = 'bookings' AND a.object_id = b.id WHERE b.slot_id = :s", s=slot_id)
    return active, audited


def race(base: str, seeded: Seeded, row: Row) -> None:
    slot_id = seeded.slot_ids[CAPACITIES.index(row.capacity)]
    form_path = f"/book/{seeded.topic_id}/slots/{slot_id}"
    emails = seeded.emails[: row.attempts]
    clients = signed_in([base], emails, [form_path] * len(emails))
    barrier = threading.Barrier(len(clients) + 1, timeout=TIMEOUT)
    outcomes: list[str] = ["error: no answer"] * len(clients)

    def attempt(i: int, client: Client, token: str) -> None:
        form = booking_form(token, seeded.department_ids[i], i)
        barrier.wait()
        try:
            answer = client.send("POST", form_path, form)
        except NO_ANSWER as error:
            outcomes[i] = f"error: {error!r}"
            return
        if booked_id(answer) is not None:
            outcomes[i] = "booked"
        elif is_refusal(answer):
            outcomes[i] = "refused"
        else:
            snippet = " ".join(answer.body.split())[:200]
            outcomes[i] = f"error: {answer.status} {answer.location} {snippet}"

    threads = [threading.Thread(target=attempt, args=(i, c, t), daemon=True) for i, (c, t) in enumerate(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    deadline = time.monotonic() + 2 * TIMEOUT
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    row.wall = time.perf_counter() - started
    row.booked = outcomes.count("booked")
    row.refused = outcomes.count("refused")
    row.errors = len(outcomes) - row.booked - row.refused
    row.samples = sorted({o for o in outcomes if o.startswith("error")})[:3]


def run_database(name: str, attempts: int) -> list[Row]:
    processes = 2 if name == "postgresql" else 1
    rows = [Row(name, processes, capacity, attempts) for capacity in CAPACITIES]
    database = postgres_database(PG_SERVER, PG_DATABASE) if name == "postgresql" else sqlite_database()
    with database as url:
        seeded = seed(url, attempts, CAPACITIES)
        with gunicorn(url, workers=processes, threads=8) as server:
            for row in rows:
                race(server.base, seeded, row)
                row.db_active, row.audit_events = count_active(url, seeded.slot_ids[CAPACITIES.index(row.capacity)])
    return rows


def print_table(rows: list[Row]) -> None:
    header = ("database", "procs", "capacity", "attempts", "booked", "refused", "srv err", "DB active",
              "audit ev", "wall s", "req/s", "result")
    lines = [header] + [
        (r.database, str(r.processes), str(r.capacity), str(r.attempts), str(r.booked), str(r.refused),
         str(r.errors), str(r.db_active), str(r.audit_events), f"{r.wall:.2f}",
         f"{r.attempts / r.wall:.0f}" if r.wall else "-", "PASS" if r.passed else "FAIL")
        for r in rows
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for n, line in enumerate(lines):
        print("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))
    for r in rows:
        for sample in r.samples:
            print(f"  {r.database} capacity {r.capacity}: {sample}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--attempts", type=int, default=200)
    args = parser.parse_args()
    if not 1 <= args.attempts <= 1000:
        parser.error("--attempts must be between 1 and 1000")
    names = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    rows = [row for name in names for row in run_database(name, args.attempts)]
    print_table(rows)
    return 0 if all(r.passed for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
