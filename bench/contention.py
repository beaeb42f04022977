"""Invariant 1 end to end over HTTP: N logged-in officers race for one slot served by gunicorn.

    /work/venv/bin/python bench/contention.py [--database sqlite|postgresql|both] [--attempts 200]

For each database: build a fresh schema with the migrations, seed one advisor, a single-seat slot and a
five-seat slot a week ahead, and N officers; start gunicorn (PostgreSQL: 2 processes, SQLite: 1 process,
gthread workers); log every officer in and load the booking form; then release all POSTs at once behind a
barrier. Pass: exactly `capacity` bookings (a 302 to /bookings/<id> each, and that many active rows in the
database, each with its audit event), every other attempt a clear 409/422 refusal, and no server error.
Only 127.0.0.1 is contacted. Officers get a cheap password hash: login speed is not what is measured here.
"""

import argparse
import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.message import Message
from pathlib import Path
from typing import IO

import psycopg
from sqlalchemy import create_engine, text
from werkzeug.security import generate_password_hash

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from clinic import create_app  # noqa: E402
from clinic.accounts.models import User  # noqa: E402
from clinic.extensions import db  # noqa: E402
from clinic.i18n import bangkok_to_utc, bangkok_today  # noqa: E402
from clinic.organisations.models import Department, Ministry, Topic  # noqa: E402
from clinic.scheduling.models import Slot  # noqa: E402
from clinic.scheduling.queries import holiday_name  # noqa: E402

PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
PG_DATABASE = "clinic_bench"
PASSWORD = "bench-password-2569"
SECRET_KEY = "contention-bench-secret-key-32-chars+"
CAPACITIES = (1, 5)
REFUSALS = ("เพิ่งถูกจอง", "ไม่เปิดให้จองแล้ว")
BOOKED_PATH = re.compile(r"/bookings/\d+$")
CSRF_INPUT = re.compile(r'<input[^>]*name="csrf_token"[^>]*>')
TIMEOUT = 60.0  # seconds, per HTTP request


@dataclass(frozen=True)
class Seeded:
    topic_id: int
    department_id: int
    slot_ids: dict[int, int]  # capacity -> slot id
    emails: list[str]


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


def first_open_day(now: datetime) -> date:
    """A weekday a week ahead that is not a Thai public holiday."""
    day = bangkok_today(now) + timedelta(days=7)
    for _ in range(30):
        if day.weekday() < 5 and not holiday_name(day):
            return day
        day += timedelta(days=1)
    raise RuntimeError("no working day found in 30 days")


def seed(url: str, attempts: int) -> Seeded:
    """`flask db upgrade`, then the rows the race needs, committed."""
    from flask_migrate import upgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET_KEY})
    with app.app_context():
        upgrade()
        now = datetime.now(UTC)
        ministry = Ministry(name_th="กระทรวงทดสอบภาระ", name_en="Bench Ministry", abbreviation="ทภ.")
        department = Department(ministry=ministry, name_th="กรมทดสอบภาระ", name_en="Bench Dept", abbreviation="กภ.")
        topic = Topic(name_th="การปรับปรุงโครงสร้าง (ทดสอบภาระ)", name_en="Bench topic")
        cheap_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
        advisor = User(email="advisor@bench.go.th", name="ที่ปรึกษา ทดสอบ", position="ที่ปรึกษา",
                       role="advisor", password_hash=cheap_hash, created_at=now)
        advisor.expertise = [topic]
        emails = [f"officer{i}@bench.go.th" for i in range(attempts)]
        officers = [User(email=e, name=f"เจ้าหน้าที่ {i}", position="นักวิเคราะห์", role="officer",
                         department=department, password_hash=cheap_hash, created_at=now) for i, e in enumerate(emails)]
        day = first_open_day(now)
        slots = {}
        for n, capacity in enumerate(CAPACITIES):  # 09:00, 11:00, ... Bangkok: never overlapping
            starts = bangkok_to_utc(day, 9 + 2 * n, 0)
            slots[capacity] = Slot(advisor=advisor, starts_at=starts, ends_at=starts + timedelta(hours=1),
                                   capacity=capacity, mode="onsite", location="ห้องประชุม 1", status="open",
                                   created_at=now)
        db.session.add_all([ministry, department, topic, advisor, *officers, *slots.values()])
        db.session.commit()
        seeded = Seeded(topic.id, department.id, {c: s.id for c, s in slots.items()}, emails)
        db.engine.dispose()
    return seeded


def count_active(url: str, slot_id: int) -> tuple[int, int]:
    """Active bookings in the slot, and the 'booking.created' audit events for that slot's bookings."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            active = conn.scalar(text("SELECT count(*) FROM bookings WHERE slot_id = :s "
                                      "AND status IN ('pending', 'confirmed')"), {"s": slot_id})
            audited = conn.scalar(text("SELECT count(*) FROM audit_events a JOIN bookings b "
                                       "ON a.action = 'booking.created' AND a.object_type = 'bookings' "
                                       "AND a.object_id = b.id "
                                       "WHERE b.slot_id = :s"), {"s": slot_id})
        return int(active or 0), int(audited or 0)
    finally:
        engine.dispose()


@contextmanager
def postgres_database() -> Iterator[str]:
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True, connect_timeout=5) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {PG_DATABASE}")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{PG_DATABASE}"
    finally:
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True, connect_timeout=5) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")


@contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="clinic-bench-") as folder:
        yield f"sqlite:///{folder}/bench.sqlite3"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(url: str, processes: int, threads: int) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET_KEY}
    command = [str(Path(sys.executable).with_name("gunicorn")), "--workers", str(processes),
               "--worker-class", "gthread", "--threads", str(threads), "--bind", f"127.0.0.1:{port}",
               "--backlog", "1024", "--timeout", "120", "--chdir", str(ROOT), "wsgi:app"]
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(command, env=env, stdout=log, stderr=log, start_new_session=True)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_healthy(base, server)
            yield base
        except BaseException:
            log.seek(0)
            sys.stderr.write(log.read().decode(errors="replace")[-3000:])
            raise
        finally:
            for sig, grace in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):  # the whole process group
                with suppress(ProcessLookupError):
                    os.killpg(server.pid, sig)
                with suppress(subprocess.TimeoutExpired):
                    server.wait(timeout=grace)
                    break


def wait_healthy(base: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}")
        with suppress(OSError):
            if Client(base).request("GET", "/healthz")[0] == 200:
                return
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer /healthz within 30 s")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str,
                         headers: Message, newurl: str) -> None:
        return None  # hand 3xx back to the caller


class Client:
    """One browser: its own cookie jar, no proxies, no redirects followed."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), NoRedirect(),
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, str, str]:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method)
        try:
            with self.opener.open(req, timeout=TIMEOUT) as response:
                return response.status, response.headers.get("Location", ""), response.read().decode()
        except urllib.error.HTTPError as error:
            with error:
                return error.code, error.headers.get("Location", ""), error.read().decode(errors="replace")

    def csrf(self, path: str) -> str:
        status, _, body = self.request("GET", path)
        tag = CSRF_INPUT.search(body)
        value = re.search(r'value="([^"]+)"', tag.group(0)) if tag else None
        if status != 200 or value is None:
            raise RuntimeError(f"GET {path}: {status}, no csrf_token")
        return value.group(1)

    def login(self, email: str) -> None:
        token = self.csrf("/login")
        status, location, _ = self.request("POST", "/login", {"csrf_token": token, "email": email, "password": PASSWORD})
        if status != 302 or "/login" in location:
            raise RuntimeError(f"login {email}: {status} -> {location}")


def prepare(base: str, emails: list[str], form_path: str) -> list[tuple[Client, str]]:
    """Log every officer in, eight at a time, and load the booking form for its CSRF token."""

    def one(email: str) -> tuple[Client, str]:
        client = Client(base)
        client.login(email)
        return client, client.csrf(form_path)

    pool = ThreadPoolExecutor(max_workers=8)
    try:
        return list(pool.map(one, emails, timeout=10 * TIMEOUT))
    finally:
        pool.shutdown(cancel_futures=True)


def race(base: str, seeded: Seeded, row: Row) -> None:
    form_path = f"/book/{seeded.topic_id}/slots/{seeded.slot_ids[row.capacity]}"
    clients = prepare(base, seeded.emails[: row.attempts], form_path)
    barrier = threading.Barrier(len(clients) + 1, timeout=TIMEOUT)
    outcomes: list[str] = ["error: no answer"] * len(clients)

    def attempt(i: int, client: Client, token: str) -> None:
        form = {"csrf_token": token, "department": str(seeded.department_id),
                "request_details": f"ขอคำปรึกษาการปรับโครงสร้าง ครั้งที่ {i}",
                "attendees-0-name": f"นายทดสอบ คนที่ {i}", "attendees-0-position": "นักวิเคราะห์นโยบาย"}
        barrier.wait()
        try:
            status, location, body = client.request("POST", form_path, form)
        except OSError as error:
            outcomes[i] = f"error: {error!r}"
            return
        if status == 302 and BOOKED_PATH.search(location):
            outcomes[i] = "booked"
        elif status in (409, 422) and any(message in body for message in REFUSALS):
            outcomes[i] = "refused"
        else:
            snippet = " ".join(body.split())[:200]
            outcomes[i] = f"error: {status} {location} {snippet}"

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
    with (postgres_database() if name == "postgresql" else sqlite_database()) as url:
        seeded = seed(url, attempts)
        with gunicorn(url, processes, threads=8) as base:
            for row in rows:
                race(base, seeded, row)
                row.db_active, row.audit_events = count_active(url, seeded.slot_ids[row.capacity])
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
