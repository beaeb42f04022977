"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py wsgi:app` (README, "Production").

Chosen by measurement (bench/booking.py and bench/README.md, on a 2-core machine with PostgreSQL on the same host):
gthread workers, two threads each. A request of this app spends a good part of its time waiting for PostgreSQL
(a booking sends 6 statements and a commit, each a round trip); a second thread per process runs Python while the
first waits, so gthread did as well as or better than the same number of sync processes on the booking and the
baseline POST, and better at 8 connections, with fewer processes (less memory, fewer database connections).
More threads per process gained nothing: the GIL serialises the Python part, which dominates once the waits
overlap. Processes are the unit of CPU parallelism: about one per core, plus one to cover a process that is
stuck in a slow request.

Override per host with the environment: WEB_CONCURRENCY (processes), GUNICORN_THREADS, GUNICORN_BIND.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")  # behind a reverse proxy that terminates HTTPS
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 2))
# Each thread holds at most one database connection at a time: workers x threads connections at most
# (SQLAlchemy's pool keeps up to 5 per process by default, which covers 2 threads).
backlog = 1024
timeout = 60  # a worker silent this long is restarted (an upload of 10 MB on a slow line stays well below)
graceful_timeout = 20
keepalive = 5
max_requests = 10000  # recycle processes now and then, staggered, so slow leaks never build up
max_requests_jitter = 1000
accesslog = "-"
