"""Real processes for tests and benchmarks: gunicorn serving the app, databases made for one run, a throwaway
PostgreSQL cluster that may be restarted, and an HTTP client that signs in and posts forms with CSRF like a browser.

Used by `bench/contention.py` and by the tests that start servers (`tests/test_live_*.py`). Everything here talks to
127.0.0.1 only, and every wait is bounded in time.
"""

import http.client
import http.cookiejar
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.message import Message
from pathlib import Path
from typing import IO

import psycopg
from sqlalchemy import create_engine, make_url, text
from werkzeug.security import generate_password_hash

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "live-password-2569"
SECRET_KEY = "live-servers-share-this-secret-of-32-chars-or-more"
TIMEOUT = 60.0  # seconds, per HTTP request
REFUSALS = ("เพิ่งถูกจอง", "ไม่เปิดให้จองแล้ว")
BOOKED_PATH = re.compile(r"/bookings/(\d+)$")
CSRF_INPUT = re.compile(r'<input[^>]*name="csrf_token"[^>]*>')
# What a client sees when the process serving it dies: the connection is reset or closed without an answer.
NO_ANSWER = (OSError, http.client.HTTPException)


# ---------------------------------------------------------------------------------------------- the data

@dataclass(frozen=True)
class Seeded:
    topic_id: int
    department_ids: list[int]  # each officer's own department, in the order of `emails`
    slot_ids: list[int]  # in the order of the capacities asked for
    emails: list[str]  # officers, each of a department of their own (one seat per department in a slot), PASSWORD


def first_open_day(now: datetime) -> date:
    """A weekday a week ahead that is not a Thai public holiday."""
    return open_days(now, 1)[0]


def open_days(now: datetime, count: int) -> list[date]:
    """`count` weekdays from a week ahead on that are not Thai public holidays."""
    from clinic.i18n import bangkok_today
    from clinic.scheduling.queries import holiday_name

    day, found = bangkok_today(now) + timedelta(days=7), []
    for _ in range(count * 3 + 30):
        if day.weekday() < 5 and not holiday_name(day):
            found.append(day)
            if len(found) == count:
                return found
        day += timedelta(days=1)
    raise RuntimeError(f"fewer than {count} working days found")


def seed(url: str, officers: int, capacities: Sequence[int], *, tag: str = "bench", migrations: bool = True) -> Seeded:
    """Build the schema (the migrations, or the models when `migrations` is false: faster), then commit one advisor,
    one slot per capacity (eight 50-minute slots a working day from a week ahead, 08:00 Bangkok on) and `officers`
    officers of one department. `tag` goes into every e-mail address, so that counters kept elsewhere (Redis) by
    e-mail belong to this run alone. Officers get a cheap password hash: sign-in speed is not what is tested."""
    from clinic import create_app
    from clinic.accounts.models import User
    from clinic.extensions import db
    from clinic.i18n import bangkok_to_utc
    from clinic.organisations.models import Department, Ministry, Topic
    from clinic.scheduling.models import Slot

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET_KEY})
    with app.app_context():
        if migrations:
            from flask_migrate import upgrade

            upgrade()
        else:
            db.create_all()
        now = datetime.now(UTC)
        ministry = Ministry(code="BENCH", name_th="กระทรวงทดสอบภาระ", name_en="Bench Ministry", abbreviation="ทภ.")
        departments = [Department(code=f"BENCH-D{i}", ministry=ministry, name_th=f"กรมทดสอบภาระ {i}",
                                  name_en=f"Bench Dept {i}", abbreviation="กภ.") for i in range(officers)]
        topic = Topic(code="BENCH-T", name_th="การปรับปรุงโครงสร้าง (ทดสอบภาระ)", name_en="Bench topic")
        cheap_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
        advisor = User(email=f"advisor.{tag}@bench.go.th", name="ที่ปรึกษา ทดสอบ", position="ที่ปรึกษา",
                       role="advisor", password_hash=cheap_hash, created_at=now)
        advisor.expertise = [topic]
        emails = [f"officer{i}.{tag}@bench.go.th" for i in range(officers)]
        people = [User(email=e, name=f"เจ้าหน้าที่ {i}", position="นักวิเคราะห์", role="officer",
                       department=departments[i], password_hash=cheap_hash, created_at=now) for i, e in enumerate(emails)]
        days = open_days(now, (len(capacities) + 7) // 8)
        slots = []
        for n, capacity in enumerate(capacities):  # never overlapping: one advisor's slots may not
            starts = bangkok_to_utc(days[n // 8], 8 + n % 8, 0)
            slots.append(Slot(advisor=advisor, starts_at=starts, ends_at=starts + timedelta(minutes=50),
                              capacity=capacity, mode="onsite", location="ห้องประชุม 1", status="open",
                              created_at=now))
        db.session.add_all([ministry, *departments, topic, advisor, *people, *slots])
        db.session.commit()
        seeded = Seeded(topic.id, [d.id for d in departments], [s.id for s in slots], emails)
        db.session.remove()  # returns the connection that reading the ids took, so that dispose closes it
        db.engine.dispose()
    return seeded


def booking_form(token: str, department_id: int, n: int, submission_key: str | None = None) -> dict[str, str]:
    form = {"csrf_token": token, "department": str(department_id),
            "request_details": f"ขอคำปรึกษาการปรับโครงสร้าง ครั้งที่ {n}",
            "attendees-0-name": f"นายทดสอบ คนที่ {n}", "attendees-0-position": "นักวิเคราะห์นโยบาย"}
    if submission_key is not None:
        form["submission_key"] = submission_key
    return form


def scalar(url: str, sql: str, **params: object) -> int:
    """One number read in a connection of its own (what the servers committed)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.scalar(text(sql), params) or 0)
    finally:
        engine.dispose()


# ---------------------------------------------------------------------------------------------- databases

def pg_admin_dsn(url: str) -> str:
    """A psycopg connection string for the maintenance database of the server that `url` names."""
    return make_url(url).set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)


@contextmanager
def postgres_database(server_url: str, name: str) -> Iterator[str]:
    """A fresh database `name` on the server of `server_url` (any SQLAlchemy or libpq URL), dropped afterwards."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
        raise ValueError(f"not a plain database name: {name!r}")
    admin = pg_admin_dsn(server_url)
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield make_url(server_url).set(drivername="postgresql+psycopg", database=name).render_as_string(
            hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="clinic-live-") as folder:
        yield f"sqlite:///{folder}/live.sqlite3"


@contextmanager
def database_like_the_suite(tag: str) -> Iterator[str]:
    """A fresh database of the kind this test run uses: on PostgreSQL (TEST_DATABASE_URL), `clinic_faults_<tag>`
    on the same server, dropped afterwards; otherwise a SQLite file in a temporary folder."""
    suite_url = os.environ.get("TEST_DATABASE_URL", "")
    if suite_url.startswith("postgres"):
        with postgres_database(suite_url, f"clinic_faults_{tag}") as url:
            yield url
    else:
        with sqlite_database() as url:
            yield url


def postgres_bin() -> Path | None:
    """The newest PostgreSQL server binaries installed, if any."""
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    return versions[-1] if versions else None


def can_run_clusters() -> bool:
    return postgres_bin() is not None and os.geteuid() == 0 and shutil.which("runuser") is not None


@dataclass
class Cluster:
    """A PostgreSQL cluster of our own on a spare port, run as the postgres user: ours to stop and restart."""

    folder: Path
    port: int
    bin: Path

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def ctl(self, *args: str) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), *args],
            check=True, capture_output=True, timeout=60,
        )

    def start(self) -> None:
        self.ctl("-o", self.options, "-l", str(self.folder / "log"), "-w", "start")

    def stop(self) -> None:
        self.ctl("-m", "fast", "-w", "stop")

    def restart(self) -> None:
        """`pg_ctl restart -m fast`: every session is ended, the server comes back on the same port."""
        self.ctl("-o", self.options, "-l", str(self.folder / "log"), "-m", "fast", "-w", "restart")

    @property
    def options(self) -> str:
        return f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c max_connections=200"


@contextmanager
def throwaway_cluster() -> Iterator[Cluster]:
    """initdb, start, and on leaving stop and remove a cluster of our own (about 2 s); needs root and the binaries."""
    binaries = postgres_bin()
    if binaries is None:
        raise RuntimeError("no PostgreSQL server binaries under /usr/lib/postgresql")
    folder = Path(tempfile.mkdtemp(prefix="clinic-pg-"))
    shutil.chown(folder, "postgres")
    try:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", str(binaries / "initdb"), "-D", str(folder / "data"), "-A", "trust",
             "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8"],
            check=True, capture_output=True, timeout=120,
        )
        running = Cluster(folder, free_port(), binaries)
        running.start()
        try:
            yield running
        finally:
            subprocess.run(["runuser", "-u", "postgres", "--", str(binaries / "pg_ctl"), "-D", str(folder / "data"),
                            "-m", "immediate", "stop"], capture_output=True, timeout=60)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# ---------------------------------------------------------------------------------------------- Redis

def redis_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping())
    except redis.RedisError:
        return False


def delete_redis_keys(url: str, containing: str) -> int:
    """Remove the keys of one run (those whose name contains its tag), and nothing else."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=5)
    keys = list(client.scan_iter(match=f"*{containing}*", count=500))
    if keys:
        client.delete(*keys)
    return len(keys)


def unique_tag() -> str:
    return uuid.uuid4().hex[:12]


# ---------------------------------------------------------------------------------------------- gunicorn

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    """A running gunicorn: its master process, its address, and what it logged."""

    base: str
    process: subprocess.Popen[bytes]
    log: IO[bytes]

    def worker_pids(self) -> list[int]:
        """The master's children: its workers."""
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with suppress(OSError):
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == self.process.pid and fields[0] != "Z":
                    children.append(int(stat.parent.name))
        return sorted(children)

    @property
    def port(self) -> int:
        return int(self.base.rsplit(":", 1)[1])

    def open_connections(self, pid: int) -> int:
        """How many client connections to our port the process holds open now (requests it is serving)."""
        ours = set()
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            with suppress(OSError):
                for line in Path(table).read_text().splitlines()[1:]:
                    fields = line.split()
                    if int(fields[1].rsplit(":", 1)[1], 16) == self.port and fields[3] == "01":  # ESTABLISHED
                        ours.add(fields[9])
        count = 0
        for fd in Path(f"/proc/{pid}/fd").glob("*"):
            with suppress(OSError):
                target = os.readlink(fd)
                if target.startswith("socket:[") and target[8:-1] in ours:
                    count += 1
        return count

    def kill_worker(self) -> tuple[int, int]:
        """SIGKILL the worker holding the most client connections (no chance to finish anything); the master
        starts another. Returns its pid and how many connections it held."""
        busiest = max(self.worker_pids(), key=self.open_connections)
        holding = self.open_connections(busiest)
        os.kill(busiest, signal.SIGKILL)
        return busiest, holding

    def wait_workers(self, count: int, without: int | None = None, seconds: float = 30.0) -> None:
        """Until `count` workers run (and `without`, a killed one, is not among them) and the server answers."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            pids = self.worker_pids()
            if len(pids) >= count and without not in pids:
                break
            time.sleep(0.1)
        else:
            raise RuntimeError(f"gunicorn did not get back to {count} workers within {seconds} s")
        wait_healthy(self.base, self.process, seconds)

    def log_text(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read().decode(errors="replace")


@contextmanager
def gunicorn(url: str, *, workers: int = 1, threads: int = 4, worker_class: str = "gthread",
             env: Mapping[str, str] | None = None, secret_key: str = SECRET_KEY) -> Iterator[Server]:
    """`gunicorn wsgi:app` on a free port of 127.0.0.1, configured as production is: through the environment.
    On leaving, the whole process group gets SIGTERM, then SIGKILL; the log is printed if the block failed."""
    port = free_port()
    # The booking rules' notice and per-department allowance would refuse the load these tests and benches make.
    rules = {"BOOKING_MIN_NOTICE_WORKING_DAYS": "0", "BOOKING_MAX_ACTIVE_PER_DEPARTMENT": "1000000"}
    environment = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": secret_key, **rules, **(env or {})}
    command = [str(Path(sys.executable).with_name("gunicorn")), "--workers", str(workers),
               "--worker-class", worker_class, "--threads", str(threads), "--bind", f"127.0.0.1:{port}",
               "--backlog", "1024", "--timeout", "120", "--graceful-timeout", "5", "--chdir", str(ROOT),
               "wsgi:app"]
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(command, env=environment, stdout=log, stderr=log, start_new_session=True)
        running = Server(f"http://127.0.0.1:{port}", server, log)
        try:
            wait_healthy(running.base, server)
            yield running
        except BaseException:
            sys.stderr.write(running.log_text()[-3000:])
            raise
        finally:
            for sig, grace in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):  # the whole process group
                with suppress(ProcessLookupError):
                    os.killpg(server.pid, sig)
                with suppress(subprocess.TimeoutExpired):
                    server.wait(timeout=grace)
                    break


def wait_healthy(base: str, server: subprocess.Popen[bytes], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}")
        with suppress(*NO_ANSWER):
            if Client(base).request("GET", "/healthz")[0] == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not answer /healthz within {seconds} s")


# ---------------------------------------------------------------------------------------------- the client

class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str,
                         headers: Message, newurl: str) -> None:
        return None  # hand 3xx back to the caller


@dataclass(frozen=True)
class Answer:
    status: int
    location: str
    body: str
    retry_after: str | None = None


class Client:
    """One browser: its own cookie jar, no proxies, no redirects followed. Cookies are kept per host, not per
    port, so one client carries its session to every server on 127.0.0.1: pass `base` to talk to another."""

    def __init__(self, base: str, timeout: float = TIMEOUT) -> None:
        self.base = base
        self.timeout = timeout
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), NoRedirect(),
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def send(self, method: str, path: str, form: Mapping[str, str] | None = None, base: str | None = None) -> Answer:
        """One request. A connection reset or closed without an answer raises one of NO_ANSWER."""
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        req = urllib.request.Request((base or self.base) + path, data=data, method=method)
        try:
            with self.opener.open(req, timeout=self.timeout) as response:
                return Answer(response.status, response.headers.get("Location", ""), response.read().decode(),
                              response.headers.get("Retry-After"))
        except urllib.error.HTTPError as error:
            with error:
                return Answer(error.code, error.headers.get("Location", ""), error.read().decode(errors="replace"),
                              error.headers.get("Retry-After"))

    def request(self, method: str, path: str, form: Mapping[str, str] | None = None) -> tuple[int, str, str]:
        answer = self.send(method, path, form)
        return answer.status, answer.location, answer.body

    def csrf(self, path: str, base: str | None = None) -> str:
        answer = self.send("GET", path, base=base)
        tag = CSRF_INPUT.search(answer.body)
        value = re.search(r'value="([^"]+)"', tag.group(0)) if tag else None
        if answer.status != 200 or value is None:
            raise RuntimeError(f"GET {path}: {answer.status}, no csrf_token")
        return value.group(1)

    def sign_in(self, email: str, password: str = PASSWORD, base: str | None = None) -> Answer:
        token = self.csrf("/login", base)
        return self.send("POST", "/login", {"csrf_token": token, "email": email, "password": password}, base)

    def login(self, email: str, base: str | None = None) -> None:
        answer = self.sign_in(email, base=base)
        if answer.status != 302 or "/login" in answer.location:
            raise RuntimeError(f"login {email}: {answer.status} -> {answer.location}")


def signed_in(bases: Sequence[str], emails: Sequence[str], form_paths: Sequence[str]) -> list[tuple[Client, str]]:
    """Each officer signed in (on bases[i % len(bases)]) with the CSRF token of its form, eight at a time."""

    def one(i: int) -> tuple[Client, str]:
        base = bases[i % len(bases)]
        client = Client(base)
        client.login(emails[i])
        return client, client.csrf(form_paths[i])

    pool = ThreadPoolExecutor(max_workers=8)
    try:
        return list(pool.map(one, range(len(emails)), timeout=10 * TIMEOUT))
    finally:
        pool.shutdown(cancel_futures=True)


def booked_id(answer: Answer) -> int | None:
    """The booking a 302 to its receipt names, if this answer is one."""
    found = BOOKED_PATH.search(answer.location) if answer.status == 302 else None
    return int(found.group(1)) if found else None


def is_refusal(answer: Answer) -> bool:
    return answer.status in (409, 422) and any(message in answer.body for message in REFUSALS)


# ---------------------------------------------------------------------------------------------- the API

def api_tokens(url: str, emails: Sequence[str], scopes: Sequence[str] = ("read", "book", "follow-up")) -> list[str]:
    """A personal API token for each of these people, committed to the database at `url`; the secrets, in order."""
    from clinic import create_app
    from clinic.accounts.models import User
    from clinic.api.services import create_personal_token
    from clinic.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET_KEY})
    with app.app_context():
        now = datetime.now(UTC)
        users = {u.email: u for u in db.session.query(User).filter(User.email.in_(list(emails)))}
        secrets = [create_personal_token(users[e], "live", scopes, 30, now).secret for e in emails]
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return secrets


def api_call(base: str, method: str, path: str, token: str, body: object = None,
             timeout: float = TIMEOUT) -> tuple[int, dict | list | None]:
    """One JSON call with a bearer token: the status and the decoded body (a problem document on refusal)."""
    import json

    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + "/api/v1" + path, data=data, method=method, headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json", "Accept-Language": "th"})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), NoRedirect())
    try:
        with opener.open(req, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read() or b"null")


def api_booking(seeded: Seeded, slot_id: int, n: int) -> dict[str, object]:
    return {"slot_id": slot_id, "topic_id": seeded.topic_id, "department_id": seeded.department_ids[n],
            "request_details": f"ขอคำปรึกษาผ่าน API ครั้งที่ {n}",
            "attendees": [{"name": f"นายทดสอบ คนที่ {n}", "position": "นักวิเคราะห์นโยบาย"}]}
