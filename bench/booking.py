"""Booking throughput over HTTP under gunicorn on PostgreSQL, as a ratio to a baseline POST in the same run.

    python bench/booking.py [--requests 400] [--config gunicorn.conf.py] [--workers N --threads N
                                            --worker-class sync|gthread] [--connections 1,8]

Builds a fresh database with the migrations, one advisor and as many open single-seat slots as there will be
bookings, and one officer (of a department of its own) per connection; starts gunicorn with `gunicorn.conf.py`
(or the worker settings given) and `bench.booking_app:app`, which is the production app plus a baseline route,
POST /bench/baseline: signed in, CSRF-checked, one INSERT and a commit, then a redirect, as a booking is. For each
number of connections, each connection a thread with its own signed-in session sending one request after another:
first the baseline, then bookings, each of a distinct open slot (so every one succeeds: throughput, not contention;
bench/contention.py measures that). Prints requests per second, p50 and p95 latency, and booking/baseline.
Only 127.0.0.1 is contacted.
"""

import argparse
import http.client
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from contextlib import contextmanager, suppress
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.live import (  # noqa: E402
    BOOKED_PATH,
    SECRET_KEY,
    Client,
    booking_form,
    free_port,
    postgres_database,
    scalar,
    seed,
    wait_healthy,
)

PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
PG_DATABASE = "clinic_bench_booking"


@contextmanager
def serve(url: str, args: argparse.Namespace):
    port = free_port()
    environment = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET_KEY,
                   # every slot is bookable whatever its day, and one department may hold them all
                   "BOOKING_MIN_NOTICE_WORKING_DAYS": "0", "BOOKING_MAX_ACTIVE_PER_DEPARTMENT": "1000000",
                   "BOOKING_MAX_DAYS_AHEAD": "3650"}
    command = [str(Path(sys.executable).with_name("gunicorn")), "-c", str(ROOT / args.config),
               "--bind", f"127.0.0.1:{port}", "--access-logfile", "/dev/null", "--chdir", str(ROOT)]
    for option in ("workers", "threads", "worker_class"):
        if getattr(args, option) is not None:
            command += [f"--{option.replace('_', '-')}", str(getattr(args, option))]
    command.append("bench.booking_app:app")
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(command, env=environment, stdout=log, stderr=log, start_new_session=True)
        try:
            wait_healthy(f"http://127.0.0.1:{port}", server)
            yield f"http://127.0.0.1:{port}"
        except BaseException:
            log.seek(0)
            sys.stderr.write(log.read().decode(errors="replace")[-3000:])
            raise
        finally:
            for sig, grace in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
                with suppress(ProcessLookupError):
                    os.killpg(server.pid, sig)
                with suppress(subprocess.TimeoutExpired):
                    server.wait(timeout=grace)
                    break


class Session:
    """One signed-in browser on one kept-alive connection (reopened when a sync worker closes it). It sends the
    cookie it had after signing in with every request and ignores cookies set in answers, as a browser that
    followed each redirect would end up doing: the flashed "booking sent" would otherwise pile up in the cookie."""

    def __init__(self, base: str, client: Client, token: str) -> None:
        self.host, self.port = base.removeprefix("http://").split(":")
        self.cookie = "; ".join(f"{c.name}={c.value}" for h in client.opener.handlers
                                if isinstance(h, urllib.request.HTTPCookieProcessor) for c in h.cookiejar)
        self.token = token
        self.connection = http.client.HTTPConnection(self.host, int(self.port), timeout=60)

    def post(self, path: str, form: dict[str, str]) -> tuple[int, str]:
        body = urllib.parse.urlencode(form)
        headers = {"Cookie": self.cookie, "Content-Type": "application/x-www-form-urlencoded"}
        for attempt in (1, 2):
            try:
                self.connection.request("POST", path, body, headers)
                response = self.connection.getresponse()
                response.read()
                return response.status, response.headers.get("Location", "")
            except (http.client.HTTPException, OSError):
                self.connection.close()
                if attempt == 2:
                    raise
        raise AssertionError


def run(sessions: list[Session], jobs: list[list[tuple[str, dict[str, str]]]],
        ok: Callable[[int, str], bool]) -> tuple[float, list[float], int]:
    """Each session sends its jobs one after another; all start together. (requests/s, latencies ms, failures)"""
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()
    barrier = threading.Barrier(len(sessions) + 1)

    def worker(session: Session, mine: list[tuple[str, dict[str, str]]]) -> None:
        barrier.wait()
        for path, form in mine:
            start = time.perf_counter()
            status, location = session.post(path, form)
            took = (time.perf_counter() - start) * 1000
            with lock:
                latencies.append(took)
                if not ok(status, location):
                    failures[0] += 1

    threads = [threading.Thread(target=worker, args=(c, j)) for c, j in zip(sessions, jobs, strict=True)]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    return len(latencies) / wall, latencies, failures[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=400, help="bookings (and baseline POSTs) per level")
    parser.add_argument("--connections", default="1,8")
    parser.add_argument("--config", default="gunicorn.conf.py")
    parser.add_argument("--workers", type=int)
    parser.add_argument("--threads", type=int)
    parser.add_argument("--worker-class", dest="worker_class", choices=("sync", "gthread"))
    args = parser.parse_args()
    levels = [int(n) for n in args.connections.split(",")]
    most = max(levels)
    with postgres_database(PG_SERVER, PG_DATABASE) as url:
        seeded = seed(url, most, [1] * (args.requests * len(levels)))
        slots = iter(seeded.slot_ids)
        with serve(url, args) as base:
            clients = []
            for email in seeded.emails:
                client = Client(base)
                client.login(email)
                token = client.csrf(f"/book/{seeded.topic_id}/slots/{seeded.slot_ids[0]}")
                clients.append(Session(base, client, token))
            label = (f"{args.worker_class or 'config'} workers={args.workers or 'config'} "
                     f"threads={args.threads or 'config'}")
            print(f"gunicorn: {label} ({args.config}); PostgreSQL; {args.requests} requests per level")
            print(f"{'conns':>5} {'route':<9} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'failed':>6} {'ratio':>6}")
            for n in levels:
                group = clients[:n]
                per = [args.requests // n + (1 if i < args.requests % n else 0) for i in range(n)]
                base_jobs = [[("/bench/baseline", {"csrf_token": c.token})] * k for c, k in zip(group, per, strict=True)]
                base_rate, base_lat, base_fail = run(group, base_jobs, lambda status, _location: status == 302)
                book_jobs = []
                for i, (session, k) in enumerate(zip(group, per, strict=True)):
                    mine = []
                    for j in range(k):
                        slot = next(slots)
                        mine.append((f"/book/{seeded.topic_id}/slots/{slot}",
                                     booking_form(session.token, seeded.department_ids[i], j, submission_key=f"b{slot}")))
                    book_jobs.append(mine)
                rate, lat, fail = run(group, book_jobs,
                                      lambda status, location: status == 302 and BOOKED_PATH.search(location) is not None)
                for route, r, latencies, failed, ratio in (("baseline", base_rate, base_lat, base_fail, ""),
                                                            ("booking", rate, lat, fail, f"{rate / base_rate:.2f}")):
                    p95 = statistics.quantiles(latencies, n=20)[18] if len(latencies) > 1 else latencies[0]
                    print(f"{n:>5} {route:<9} {r:>7.0f} {statistics.median(latencies):>7.1f} {p95:>7.1f} "
                          f"{failed:>6} {ratio:>6}")
        booked = scalar(url, "SELECT count(*) FROM bookings")
        print(f"bookings in the database: {booked}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
