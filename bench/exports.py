"""How long the sessions report takes to export at 100,000 sessions, and how much memory it needs.

    python bench/exports.py [--database sqlite|postgresql|both] [--sessions 100000]
                                           [--format csv,xlsx,pdf]

A script that prints figures, not a test. It loads the demo, then adds `--sessions` sessions set-based (bulk
INSERTs of generated rows: one slot each, 0-3 attendees, a published record with 0-3 next steps for every other
session), and exports them all, in-process, through the same functions the route and `flask export sessions` use,
into a temporary file. For each format it prints the wall time, the peak of Python allocations during the export
(tracemalloc, measured in a second run so that tracing does not slow the timed one) and the growth of the
process's peak RSS, and the CPU seconds the process spent (on a machine shared with other work, wall time
grows with the load; CPU time much less). Targets (issue 13, DESIGN.md): CSV under 3 s, XLSX under 20 s, each under 100 MB extra.
"""

import argparse
import os
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.databases import drop_database, fresh_database  # noqa: E402
from clinic import create_app  # noqa: E402
from clinic.accounts.models import Role, User  # noqa: E402
from clinic.bookings.models import Attendee, Booking, BookingStatus  # noqa: E402
from clinic.extensions import db  # noqa: E402
from clinic.organisations.models import Department, Topic  # noqa: E402
from clinic.records.models import ActionItem, ConsultationRecord, RecordRevision  # noqa: E402
from clinic.reports import exports  # noqa: E402
from clinic.reports.services import SessionFilters  # noqa: E402
from clinic.scheduling.models import Slot  # noqa: E402

PG_DATABASE = "clinic_bench_exports"
NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
CHUNK = 5000
GUIDANCE = (
    "ให้ส่วนราชการทบทวนโครงสร้างการแบ่งส่วนราชการภายในให้สอดคล้องกับภารกิจตามกฎหมาย "
    "และจัดทำข้อมูลประกอบการพิจารณาตามหลักเกณฑ์ของ ก.พ.ร. พร้อมแผนการปรับปรุงกระบวนงาน"
)




def add_sessions(count: int, seed: int = 2569) -> None:
    """`count` sessions over the four fiscal years before NOW, with ids after whatever is there."""
    rng = random.Random(seed)
    advisors = list(db.session.scalars(select(User.id).where(User.role == Role.ADVISOR)))
    officer = db.session.scalar(select(User.id).where(User.role == Role.OFFICER).order_by(User.id))
    departments = list(db.session.scalars(select(Department.id)))
    topics = list(db.session.scalars(select(Topic.id)))
    base = {model: (db.session.scalar(select(func.max(model.id))) or 0) + 1
            for model in (Slot, Booking, ConsultationRecord)}
    first = NOW - timedelta(days=4 * 365)
    statuses = [BookingStatus.CONFIRMED] * 7 + [BookingStatus.PENDING, BookingStatus.CANCELLED, BookingStatus.DECLINED]
    for start in range(0, count, CHUNK):
        slots, bookings, attendees, records, revisions, items = [], [], [], [], [], []
        for n in range(start, min(count, start + CHUNK)):
            slot_id, booking_id = base[Slot] + n, base[Booking] + n
            # advisors' slots never overlap, and come newest first: SQLite's overlap trigger then looks at no
            # earlier slot (oldest first, each insert would scan every slot before it)
            starts = first + timedelta(minutes=30 * ((count - 1 - n) // len(advisors)))
            slots.append({"id": slot_id, "advisor_id": advisors[n % len(advisors)], "starts_at": starts,
                          "ends_at": starts + timedelta(minutes=30), "capacity": 1, "mode": rng.choice(["onsite", "online"]),
                          "status": "open", "created_at": starts - timedelta(days=20)})
            bookings.append({"id": booking_id, "reference": f"B{n:08d}", "slot_id": slot_id, "slot_capacity": 1,
                             "seat_number": 1, "department_id": rng.choice(departments), "topic_id": rng.choice(topics),
                             "booked_by_id": officer, "status": rng.choice(statuses),
                             "request_details": "ขอคำปรึกษาเรื่องการปรับโครงสร้าง", "created_at": starts - timedelta(days=10)})
            attendees += [{"booking_id": booking_id, "name": f"ผู้เข้าร่วม {a}", "position": "นักวิเคราะห์"}
                          for a in range(rng.randrange(4))]
            if n % 2 == 0:
                record_id = base[ConsultationRecord] + n // 2
                records.append({"id": record_id, "booking_id": booking_id, "created_by_id": advisors[0],
                                "created_at": starts})
                revisions.append({"record_id": record_id, "number": 1, "guidance": GUIDANCE, "author_id": advisors[0],
                                  "created_at": starts, "updated_at": starts, "published_at": starts})
                items += [{"record_id": record_id, "department_id": bookings[-1]["department_id"],
                           "description": "จัดทำแผนปรับปรุง", "owner": "department",
                           "due_on": (starts + timedelta(days=30)).date(), "status": rng.choice(["open", "done"]),
                           "created_at": starts, "updated_at": starts} for _ in range(rng.randrange(4))]
        for model, rows in ((Slot, slots), (Booking, bookings), (Attendee, attendees), (ConsultationRecord, records),
                            (RecordRevision, revisions), (ActionItem, items)):
            if rows:
                db.session.execute(insert(model), rows)
        db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
        for model in (Slot, Booking, ConsultationRecord):  # the sequences continue after the bulk ids
            table = model.__tablename__
            db.session.execute(db.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                       f"(SELECT max(id) FROM {table}))"))
        db.session.commit()
    else:
        db.session.execute(db.text("ANALYZE"))
        db.session.commit()


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def export(file_format: str, target: Path) -> int:
    """One export of every session (cancelled included) into `target`; the number of bytes written."""
    return exports.write_sessions_file(None, SessionFilters(include_cancelled=True), file_format, target, NOW, "th")


def measure(kind: str, sessions: int, formats: list[str]) -> Iterator[tuple[str, int, float, float, float, float, int]]:
    """The figures of each format, as soon as it is measured."""
    with tempfile.TemporaryDirectory() as folder:
        url = fresh_database(kind, folder, PG_DATABASE)
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-secret-key-of-at-least-32-chars",
                          "MAIL_FOLDER": folder, "UPLOAD_FOLDER": folder})
        try:
            with app.app_context():
                result = app.test_cli_runner().invoke(args=["demo"])
                assert result.exit_code == 0, result.output
                started = time.perf_counter()
                add_sessions(sessions)
                total = db.session.scalar(select(func.count(Booking.id)))
                print(f"# {kind}: {total} sessions in the database ({time.perf_counter() - started:.0f} s to add)",
                      flush=True)
                db.session.remove()
            for file_format in formats:
                target = Path(folder) / f"sessions.{file_format}"
                with app.app_context(), app.test_request_context():
                    rss_before = peak_rss_mb()
                    start, cpu = time.perf_counter(), time.process_time()
                    size = export(file_format, target)
                    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
                    rss_growth = peak_rss_mb() - rss_before
                    db.session.remove()
                with app.app_context(), app.test_request_context():
                    tracemalloc.start()
                    export(file_format, target)
                    traced = tracemalloc.get_traced_memory()[1] / 2**20
                    tracemalloc.stop()
                    db.session.remove()
                yield file_format, total, seconds, cpu, traced, rss_growth, size
        finally:
            with app.app_context():
                db.engine.dispose()
            drop_database(kind, PG_DATABASE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--format", default="csv,xlsx,pdf")
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    formats = args.format.split(",")
    print(f"{date.today()}, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'database':<11} {'format':<6} {'rows':>7} {'wall s':>7} {'CPU s':>6} {'traced MB':>10} {'RSS +MB':>8} "
          f"{'file MB':>8}")
    for kind in kinds:
        for file_format, total, seconds, cpu, traced, rss, size in measure(kind, args.sessions, formats):
            print(f"{kind:<11} {file_format:<6} {total:>7} {seconds:>7.2f} {cpu:>6.2f} {traced:>10.1f} {rss:>8.1f} "
                  f"{size / 2**20:>8.1f}", flush=True)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
