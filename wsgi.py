"""WSGI entry point: `gunicorn wsgi:app`.

A setting the app cannot use stops it with one line on stderr (`configuration error: ...`) and exit status 2.
Under gunicorn the status is gunicorn's own "app failed to load" (4): a worker that exits with it makes gunicorn
stop, where any other status would have it start a new worker, fail again, and loop."""

import sys

from clinic import ConfigError, create_app

GUNICORN_APP_LOAD_ERROR = 4

try:
    app = create_app()
except ConfigError as error:
    print(error.line, file=sys.stderr, flush=True)
    sys.exit(GUNICORN_APP_LOAD_ERROR if "gunicorn" in sys.modules else 2)
