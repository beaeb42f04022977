"""How long search takes at 100x the demo data (and more), on SQLite (FTS5 trigram) and PostgreSQL (pg_trgm).

    python bench/search.py [--database sqlite|postgresql|both] [--scale 100] [--repeat 30]

Builds a database by migration (so the index is the one an installation gets), loads the demo, then copies the
demo's slots, bookings, records, revisions and next steps `scale` times (new ids, new references, slots moved back
in time so none overlap; the triggers fill the SQLite index as rows arrive). Then, in-process, times
`records.search.search()` (the query alone) and the whole /search page (routing, session, query, template) for an
administrator (every department) and an officer (one department), for a frequent word, a rarer phrase and a booking
reference. Prints p50 and p95 in milliseconds and the number of matches. Target: p95 of the page under 50 ms.
"""

import argparse
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import func, insert, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402

from bench.databases import drop_database, fresh_database  # noqa: E402
from clinic import create_app  # noqa: E402
from clinic.accounts.models import User  # noqa: E402
from clinic.bookings.models import Booking  # noqa: E402
from clinic.demo import DEMO_PASSWORD  # noqa: E402
from clinic.extensions import db  # noqa: E402
from clinic.records.search import search  # noqa: E402

PG_DATABASE = "clinic_bench_search"
# Copied in this order; each foreign key to a copied table is moved to the copy of its row.
COPIED = ["slots", "bookings", "attendees", "consultation_records", "record_revisions", "action_items"]
SHIFT = timedelta(days=400)  # between copies of a slot: longer than the demo's whole span, so none overlap
BATCH = 5000




def multiply(scale: int) -> None:
    """Copy the demo's sessions `scale - 1` more times, so the tables hold `scale` times the demo."""
    tables = {name: db.metadata.tables[name] for name in COPIED}
    rows = {name: [dict(r._mapping) for r in db.session.execute(select(table))] for name, table in tables.items()}
    stride = {name: (db.session.scalar(select(func.max(table.c.id))) or 0) + 1 for name, table in tables.items()}
    moved = {}  # (table, column) -> the copied table its foreign key points at
    for name, table in tables.items():
        for fk in table.foreign_keys:
            if fk.column.table.name in tables and fk.column.name == "id":
                moved[name, fk.parent.name] = fk.column.table.name
    for copy in range(1, scale):
        for name in COPIED:
            batch = []
            for row in rows[name]:
                new = dict(row)
                new["id"] = row["id"] + copy * stride[name]
                for (table_name, column), target in moved.items():
                    if table_name == name and new.get(column) is not None:
                        new[column] = new[column] + copy * stride[target]
                if name == "slots":
                    new["starts_at"] = row["starts_at"] - copy * SHIFT
                    new["ends_at"] = row["ends_at"] - copy * SHIFT
                if name == "bookings":
                    new["reference"] = f"{row['reference']}-{copy:04d}"
                    new["submission_key"] = None
                batch.append(new)
                if len(batch) >= BATCH:
                    db.session.execute(insert(tables[name]), batch)
                    batch = []
            if batch:
                db.session.execute(insert(tables[name]), batch)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))


def timed(action, repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), statistics.quantiles(times, n=20)[18]


def measure(kind: str, scale: int, repeat: int) -> list[tuple]:
    with tempfile.TemporaryDirectory() as folder:
        url = fresh_database(kind, folder, PG_DATABASE)
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-secret-key-of-at-least-32-chars",
                          "MAIL_FOLDER": folder, "UPLOAD_FOLDER": folder, "WTF_CSRF_ENABLED": False})
        try:
            with app.app_context():
                upgrade()
                result = app.test_cli_runner().invoke(args=["demo"])
                assert result.exit_code == 0, result.output
                start = time.perf_counter()
                multiply(scale)
                loaded = time.perf_counter() - start
                bookings = db.session.scalar(select(func.count(Booking.id)))
                officer = db.session.scalar(select(User).where(User.email == "officer@diw.go.th"))
                reference = db.session.scalar(select(Booking.reference).where(
                    Booking.department_id == officer.department_id).order_by(Booking.id.desc()).limit(1))
                print(f"{kind}: {bookings} bookings after copying the demo {scale}x ({loaded:.1f} s)", flush=True)
                db.session.remove()
            queries = [("frequent word", "ขอคำปรึกษา"), ("rarer phrase", "อิเล็กทรอนิกส์"), ("reference", reference)]
            rows = []
            # The floors on this machine, measured in the same run: a query by primary key (one round trip to the
            # database) and a page that reads nothing (/healthz).
            baseline = app.test_client()
            with app.app_context():
                one_row = timed(lambda: db.session.get(User, 1) and db.session.expire_all(), repeat)
                db.session.remove()
            rows.append(("-", "floor", 0, *one_row, *timed(lambda: baseline.get("/healthz"), repeat)))
            for email in ("admin@opdc.go.th", "officer@diw.go.th"):
                client = app.test_client()
                assert client.post("/login", data={"email": email, "password": DEMO_PASSWORD}).status_code == 302
                for label, query in queries:
                    with app.app_context():
                        person = db.session.scalar(select(User).where(User.email == email))
                        matches = search(person, query).total
                        service = timed(lambda: search(person, query), repeat)  # noqa: B023
                        db.session.remove()
                    path = "/search?q=" + quote(query)
                    assert client.get(path).status_code == 200
                    page = timed(lambda: client.get(path), repeat)  # noqa: B023
                    rows.append((email.split("@")[0], label, matches, *service, *page))
            return rows
        finally:
            with app.app_context():
                db.engine.dispose()
            drop_database(kind, PG_DATABASE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--scale", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    results = [(kind, measure(kind, args.scale, args.repeat)) for kind in kinds]
    print(f"\n{'database':<11} {'user':<8} {'query':<14} {'matches':>7} {'search p50':>10} {'p95':>6} "
          f"{'page p50':>9} {'p95':>6}  (ms; floor: a primary-key SELECT, and /healthz)")
    for kind, rows in results:
        for who, label, matches, s50, s95, p50, p95 in rows:
            print(f"{kind:<11} {who:<8} {label:<14} {matches:>7} {s50:>10.1f} {s95:>6.1f} {p50:>9.1f} {p95:>6.1f}")


if __name__ == "__main__":
    main()
