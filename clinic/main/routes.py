from flask import Blueprint, current_app, render_template
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from clinic.accounts.models import Role
from clinic.extensions import db, limiter
from clinic.i18n import bangkok_today, current_language
from clinic.main.queries import RecordState, advisor_home, month_outline, open_steps_for, upcoming_for_departments
from clinic.records.queries import department_overview
from clinic.web import acting_user, request_now

bp = Blueprint("main", __name__)

@bp.get("/")
def home() -> str:
    """Each role's home page says what needs doing; a visitor reads what the clinic is."""
    if not current_user.is_authenticated:
        return render_template("main/home.html")
    user, now = acting_user(), request_now()
    today = bangkok_today(now)
    if user.role in (Role.OFFICER, Role.COORDINATOR):
        overview = (department_overview(current_language(), today, user.ministry_id)
                    if user.role == Role.COORDINATOR else None)
        return render_template("main/home_department.html", upcoming=upcoming_for_departments(user, now),
                               steps=open_steps_for(user, today), overview=overview, today=today)
    if user.role == Role.ADVISOR:
        return render_template("main/home_advisor.html", home=advisor_home(user, now), today=today,
                               RecordState=RecordState)
    return render_template("main/home_admin.html", outline=month_outline(now), today=today)


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
