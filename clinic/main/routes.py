from flask import Blueprint, current_app, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from werkzeug.wrappers import Response

from clinic.accounts.models import Role
from clinic.extensions import db, limiter

bp = Blueprint("main", __name__)

HOME_BY_ROLE = {
    Role.OFFICER: "bookings.case_file",
    Role.COORDINATOR: "bookings.case_file",
    Role.ADVISOR: "scheduling.sessions",
    Role.ADMIN: "reports.sessions",
}


@bp.get("/")
def home() -> Response | str:
    if current_user.is_authenticated:
        return redirect(url_for(HOME_BY_ROLE[current_user.role]))
    return render_template("main/home.html")


@bp.get("/healthz")
def health() -> dict[str, str]:
    """Liveness: the process answers. It reads nothing, so a database outage does not restart the app."""
    return {"status": "ok"}


@bp.get("/readyz")
def ready() -> tuple[dict[str, object], int, dict[str, str]]:
    """Readiness for a load balancer: the database answers and, when counters are shared in Redis, Redis too."""
    checks = {"database": database_answers()}
    if current_app.config["RATELIMIT_STORAGE_URI"].startswith(("redis", "rediss")):
        checks["redis"] = rate_limit_storage_answers()
    ready = all(checks.values())
    body: dict[str, object] = {"status": "ok" if ready else "unavailable", "checks": {k: "ok" if v else "failed" for k, v in checks.items()}}
    return body, 200 if ready else 503, {"Cache-Control": "no-store"}


def database_answers() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
    except DBAPIError as error:
        current_app.logger.warning("readiness: database: %s", str(error).splitlines()[0])
        db.session.rollback()
        return False
    return True


def rate_limit_storage_answers() -> bool:
    try:
        return bool(limiter.storage.check())
    except Exception as error:  # any client error means "not ready", never a 500
        current_app.logger.warning("readiness: rate-limit storage: %s", error)
        return False
