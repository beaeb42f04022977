"""How long the main pages take, and how many SQL queries each sends, on the demo data and as history grows.

    python bench/pages.py [--database sqlite|postgresql|both] [--repeat 50] [--scales 1,10,100]

In-process (Flask's test client, no HTTP server), so the figure is the app's own time per request:
routing, session, queries and templates. Prints p50 and p95 in milliseconds and the query count per page.
A baseline row, /healthz, shows the floor of a request that touches no database.

Scales (PostgreSQL only; SQLite runs 1x): 10x and 100x hold 9 and 99 more copies of the demo's sessions with
their bookings, records and next steps, moved into the past (set-based copies of real rows: bench/history.py).
The last column is the p50 as a multiple of the same page's p50 at 1x.
"""

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import event, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.databases import drop_database, fresh_database  # noqa: E402
from bench.history import grow  # noqa: E402
from clinic import create_app  # noqa: E402
from clinic.accounts.models import User  # noqa: E402
from clinic.bookings.models import Booking  # noqa: E402
from clinic.bookings.queries import open_slots_for_topic  # noqa: E402
from clinic.bookings.rules import BookingRules  # noqa: E402
from clinic.demo import DEMO_PASSWORD  # noqa: E402
from clinic.extensions import db  # noqa: E402
from clinic.organisations.models import Topic  # noqa: E402

PG_DATABASE = "clinic_bench_pages"

PAGES = {
    "officer@diw.go.th": ["/casefile", "/book", "/book/{topic}", "/book/{topic}/slots/{slot}", "/bookings/{booking}"],
    "somchai.advisor@opdc.go.th": ["/advisor/sessions", "/advisor/week", "/bookings/{booking}"],
    "admin@opdc.go.th": ["/admin/reports/sessions"],
}




def measure(kind: str, repeat: int, scales: list[int]) -> list[tuple[int, str, str, float, float, int]]:
    with tempfile.TemporaryDirectory() as folder:
        url = fresh_database(kind, folder, PG_DATABASE)
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-secret-key-of-at-least-32-chars", "MAIL_FOLDER": folder,
                          "WTF_CSRF_ENABLED": False,  # the pages are GETs; the sign-in POST needs no token here
                          "UPLOAD_FOLDER": folder})
        try:
            with app.app_context():
                result = app.test_cli_runner().invoke(args=["demo"])
                assert result.exit_code == 0, result.output
                officer = db.session.scalar(select(User).where(User.email == "officer@diw.go.th"))
                booking = db.session.scalar(select(Booking.id).where(Booking.department_id == officer.department_id)
                                            .order_by(Booking.id))
                now = datetime.now(UTC)
                topic, slot = next((t.id, o[0].slot.id) for t in db.session.scalars(select(Topic).order_by(Topic.id))
                                   if (o := open_slots_for_topic(t, now, BookingRules.from_config(app.config))))
                db.session.remove()
                engine = db.engine
            queries = 0

            def count(*_args) -> None:
                nonlocal queries
                queries += 1

            event.listen(engine, "before_cursor_execute", count)
            rows = []
            plan = [("-", "/healthz")] + [(who, page) for who, pages in PAGES.items() for page in pages]
            clients = {}
            copies = 0
            for scale in scales if kind == "postgresql" else [1]:
                if scale - 1 > copies:
                    with engine.begin() as connection:
                        grow(connection, copies + 1, scale - 1)
                    copies = scale - 1
                for who, page in plan:
                    if who not in clients:
                        client = app.test_client()
                        if who != "-":
                            response = client.post("/login", data={"email": who, "password": DEMO_PASSWORD})
                            assert response.status_code == 302, (who, response.status_code)
                        clients[who] = client
                    path = page.format(topic=topic, booking=booking, slot=slot)
                    times = []
                    for _ in range(repeat):
                        queries = 0
                        start = time.perf_counter()
                        response = clients[who].get(path)
                        times.append((time.perf_counter() - start) * 1000)
                        assert response.status_code == 200, (who, path, response.status_code)
                    rows.append((scale, who.split("@")[0], path, statistics.median(times),
                                 statistics.quantiles(times, n=20)[18], queries))
            return rows
        finally:
            with app.app_context():
                db.engine.dispose()
            drop_database(kind, PG_DATABASE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--scales", default="1,10,100", help="history multiples, PostgreSQL only")
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    scales = sorted(int(n) for n in args.scales.split(","))
    print(f"{'database':<11} {'hist':>4} {'user':<16} {'page':<30} {'p50 ms':>7} {'p95 ms':>7} {'queries':>7} {'vs 1x':>6}")
    for kind in kinds:
        first: dict[tuple[str, str], float] = {}
        for scale, who, path, p50, p95, queries in measure(kind, args.repeat, scales):
            first.setdefault((who, path), p50)
            print(f"{kind:<11} {scale:>3}x {who:<16} {path:<30} {p50:>7.1f} {p95:>7.1f} {queries:>7} "
                  f"{p50 / first[(who, path)]:>6.2f}")


if __name__ == "__main__":
    main()
