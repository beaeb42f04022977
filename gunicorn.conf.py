"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py wsgi:app` (README, "Production").

Chosen by measurement: bench/booking.py (booking POSTs and a baseline POST, 1 and 8 connections, PostgreSQL on the
same 2-core host; figures in bench/README.md). Sync workers, two processes per core. On 26 Nov 2026, at 8
connections, 4 sync processes served 18 baseline and 7 booking req/s against 14 and 5 for 3 gthread processes of
2 threads (the gthread setting we started from) at a load of ~25, and 46 booking req/s against 31 at a load of ~6;
at 1 connection gthread did as well or better (44 against 25-29 booking req/s at the lower load). Under many
connections, which is what production capacity is about, processes won: a request here is mostly Python (routing,
session, CSRF, forms, templates, the ORM), and Python runs one thread at a time per process (the GIL), so a thread
waiting for PostgreSQL frees little that the other thread can use; a second process per core overlaps the waits
instead. Each sync process holds one database connection (workers x 1 in all).

Caveat, measured on a machine shared with other jobs (load average above 10): re-measure on the production host,
`python bench/booking.py --worker-class sync|gthread --workers N --threads N`. A database on another host (longer
waits) favours more processes, or gthread with 2 threads. Sync workers need the reverse proxy in front to buffer
slow clients (nginx does by default): a sync process is held for the whole of a request's upload.

Override per host with the environment: WEB_CONCURRENCY (processes), GUNICORN_BIND.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")  # behind a reverse proxy that terminates HTTPS
worker_class = "sync"
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count()))
backlog = 1024
timeout = 60  # a worker silent this long is restarted (an upload of 10 MB on a slow line stays well below)
graceful_timeout = 20
max_requests = 10000  # recycle processes now and then, staggered, so slow leaks never build up
max_requests_jitter = 1000
# No access log here: the reverse proxy keeps one. (gunicorn also reads this file when started in this folder
# without -c, as tests/live.py does; its command-line options win.)
