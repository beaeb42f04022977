"""OPDC consultation clinic booking system."""

import logging
import os
from contextlib import suppress
from pathlib import Path
from typing import Any

from flask import Flask
from flask.logging import default_handler
from werkzeug.routing import IntegerConverter

from clinic import static_files
from clinic.config import ConfigError, Defaults, check_settings, from_environment
from clinic.extensions import babel, csrf, db, limiter, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent
MAX_DATABASE_ID = 2**31 - 1  # PostgreSQL's integer


__all__ = ["ConfigError", "create_app"]


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """The app, configured and checked: a setting it cannot use raises `ConfigError` (one line, exit 2 from
    `flask` and from wsgi.py) before anything starts. It does not connect to the database (see `flask doctor`)."""
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    load_config(app, test_config)
    app.url_map.converters["int"] = DatabaseIdConverter
    register_extensions(app)
    register_blueprints(app)
    register_template_helpers(app)
    register_error_pages(app)
    register_login_required(app)
    register_security_headers(app)
    static_files.init_app(app)
    register_commands(app)
    return app


class DatabaseIdConverter(IntegerConverter):
    """`<int:...>` in a URL only matches ids the database can hold, so /bookings/99999999999999999999 is
    a 404 like any other unknown id, not an overflow in the database driver."""

    def __init__(self, url_map, fixed_digits: int = 0, min: int | None = 1, max: int | None = MAX_DATABASE_ID,
                 signed: bool = False) -> None:
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def load_config(app: Flask, test_config: dict[str, Any] | None) -> None:
    app.config.from_object(Defaults)
    app.config.update(from_environment())
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    else:
        app.config.update(test_config)
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(app.instance_path, "clinic.sqlite3")
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret_key(app.instance_path)
    app.config.setdefault("UPLOAD_FOLDER", os.path.join(app.instance_path, "uploads"))
    app.config.setdefault("MAIL_FOLDER", os.path.join(app.instance_path, "mail"))
    check_settings(app.config)


def instance_secret_key(instance_path: str) -> str:
    """A random key kept in the instance folder, so the embedded default needs no set-up and
    sessions survive a restart. Production sets SECRET_KEY in the environment."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        # Written aside, then linked into place: of several processes starting at once, one key wins
        # and every process reads that one, never a half-written file.
        draft = path.with_name(f"secret_key.{os.getpid()}")
        draft.write_text(os.urandom(32).hex())
        draft.chmod(0o600)
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()


def register_extensions(app: Flask) -> None:
    import clinic.models  # noqa: F401  (the whole schema, for Alembic and create_all)
    from clinic.database import configure_sqlite
    from clinic.i18n import select_locale, select_timezone
    from clinic.web import remove_session_quietly

    db.init_app(app)
    app.teardown_appcontext(remove_session_quietly)  # runs before Flask-SQLAlchemy's own removal
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    login_manager.init_app(app)
    limiter.init_app(app)
    # Flask-Limiter logs behind a NullHandler: its warning that Redis is unreachable (and sign-ins are counted per
    # process meanwhile) belongs in the app's log, with the app's own messages.
    limiter_log = logging.getLogger("flask-limiter")
    if default_handler not in limiter_log.handlers:
        limiter_log.addHandler(default_handler)
    if app.config["PROXY_COUNT"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)  # type: ignore[method-assign]
    login_manager.login_view = "accounts.login"
    login_manager.login_message_category = "warning"


def register_blueprints(app: Flask) -> None:
    from clinic.accounts.admin_routes import bp as users_bp
    from clinic.accounts.routes import bp as accounts_bp
    from clinic.api.routes import bp as api_bp
    from clinic.api.token_routes import bp as api_tokens_bp
    from clinic.audit.routes import bp as audit_bp
    from clinic.bookings.calendar_routes import bp as calendar_bp
    from clinic.bookings.clinic_day_routes import bp as clinic_days_bp
    from clinic.bookings.holiday_routes import bp as holidays_bp
    from clinic.bookings.routes import bp as bookings_bp
    from clinic.main.routes import bp as main_bp
    from clinic.notifications.routes import bp as notifications_bp
    from clinic.notifications.routes import preferences_bp
    from clinic.organisations.routes import bp as organisations_bp
    from clinic.privacy.routes import bp as privacy_bp
    from clinic.records.routes import bp as records_bp
    from clinic.reports.dashboard_routes import bp as dashboard_bp
    from clinic.reports.routes import bp as reports_bp
    from clinic.scheduling.routes import admin_bp as scheduling_admin_bp
    from clinic.scheduling.routes import bp as scheduling_bp

    for blueprint in (main_bp, accounts_bp, users_bp, scheduling_bp, scheduling_admin_bp, bookings_bp, records_bp,
                      reports_bp, notifications_bp, preferences_bp, calendar_bp, audit_bp, organisations_bp,
                      dashboard_bp, api_bp, api_tokens_bp, privacy_bp, clinic_days_bp, holidays_bp):
        app.register_blueprint(blueprint)


def register_template_helpers(app: Flask) -> None:
    from clinic import i18n
    from clinic.accounts import policies as account_policies
    from clinic.accounts.models import Role
    from clinic.api import policies as api_policies
    from clinic.audit import policies as audit_policies
    from clinic.bookings import policies as booking_policies
    from clinic.bookings.models import BookingStatus
    from clinic.bookings.outcomes import shown_status
    from clinic.notifications import policies as notification_policies
    from clinic.notifications.models import OutboxStatus
    from clinic.organisations import policies as organisation_policies
    from clinic.records import policies as record_policies
    from clinic.records.models import ActionStatus
    from clinic.reports import policies as report_policies
    from clinic.scheduling import policies as scheduling_policies
    from clinic.scheduling.models import ClinicDayAccess, ClinicDayStatus, SlotMode, SlotStatus
    from clinic.web import request_now

    app.jinja_env.filters.update(
        thai_date=i18n.format_date,
        thai_datetime=i18n.format_datetime,
        thai_time=i18n.format_time,
        local_name=i18n.local_name,
    )
    app.jinja_env.globals.update(
        policies={
            name: getattr(module, name)
            for module in (account_policies, scheduling_policies, booking_policies, record_policies, report_policies,
                           notification_policies, audit_policies, organisation_policies, api_policies)
            for name in module.__all__
        },
        labels=i18n.labels,
        shown_status=shown_status,
        # The enums templates compare with, so that no status or mode is spelled out in a template.
        BookingStatus=BookingStatus,
        SlotStatus=SlotStatus,
        SlotMode=SlotMode,
        ClinicDayAccess=ClinicDayAccess,
        ClinicDayStatus=ClinicDayStatus,
        ActionStatus=ActionStatus,
        OutboxStatus=OutboxStatus,
        Role=Role,
        current_language=i18n.current_language,
        today=lambda: i18n.bangkok_today(request_now()),
    )


def register_error_pages(app: Flask) -> None:
    from flask import render_template
    from flask_wtf.csrf import CSRFError
    from sqlalchemy.exc import DBAPIError

    from clinic.api.problems import http_problem, is_api_request, problem
    from clinic.errors import DomainError
    from clinic.web import handle_database_error, handle_domain_error, handle_too_many_requests

    def render_error(error):
        code = getattr(error, "code", 500) or 500
        if is_api_request():  # an address under /api/ that matched no route, or a failure outside its views
            return http_problem(error) if hasattr(error, "get_response") else problem(code)
        return render_template("errors.html", code=code), code

    def too_many_requests(error):
        if is_api_request():
            from clinic.web import seconds_until_allowed_again

            return problem(429, headers={"Retry-After": str(seconds_until_allowed_again())})
        return handle_too_many_requests(error)

    for code in (400, 403, 404, 405, 413, 500):
        app.register_error_handler(code, render_error)
    app.register_error_handler(429, too_many_requests)
    app.register_error_handler(CSRFError, lambda e: (render_template("errors.html", code=400, csrf=True), 400))
    app.register_error_handler(DomainError, handle_domain_error)
    def database_error(error):
        from clinic.web import RETRY_AFTER_SECONDS, database_unavailable

        if is_api_request() and database_unavailable(error):
            with suppress(DBAPIError):
                db.session.rollback()
            return problem(503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
        return handle_database_error(error)

    app.register_error_handler(DBAPIError, database_error)


def register_login_required(app: Flask) -> None:
    """Every page needs a signed-in user unless it is listed as public; no request carries a NUL."""
    from flask import request
    from flask_login import current_user

    from clinic.web import PUBLIC_ENDPOINTS, end_read_only, read_only_for_reads, reject_nul_characters

    app.before_request(read_only_for_reads)
    app.teardown_request(end_read_only)
    app.before_request(reject_nul_characters)

    @app.before_request
    def require_login():
        # The API authenticates by bearer token alone, in its own blueprint (clinic/api/routes.py): never a cookie.
        if request.endpoint is None or request.endpoint in PUBLIC_ENDPOINTS or request.blueprint == "api":
            return None
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return None


CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def register_security_headers(app: Flask) -> None:
    from flask import request

    @app.after_request
    def add_headers(response):
        if request.endpoint != "static":  # pages and downloads carry people's data: no cache keeps a copy
            response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response


def register_commands(app: Flask) -> None:
    from clinic.cli import register

    register(app)
