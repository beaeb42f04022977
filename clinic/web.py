"""What every route shares: the request's clock and user, access checks by policy, and one unit of work
that commits a change or turns a refusal into a message next to its field."""

import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar

from flask import Blueprint, abort, current_app, flash, g, render_template, request
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from clinic.database import begin_read_only
from clinic.errors import DomainError, NotAllowed
from clinic.extensions import db, limiter

if TYPE_CHECKING:
    from clinic.accounts.models import User

PUBLIC_ENDPOINTS = {
    "static", "main.home", "main.health", "main.ready", "accounts.login", "accounts.set_language",
    "accounts.forgot_password", "accounts.reset_password", "accounts.accept_invitation",
    "accounts.sso_start", "accounts.sso_callback",
    "privacy.notice",  # the privacy notice (PDPA s.23) is for everyone, signed in or not
    "calendar.feed",  # an advisor's private feed: calendar programs fetch it without signing in; its token is the key
}
RETRY_AFTER_SECONDS = 30

View = TypeVar("View", bound=Callable[..., Any])


def request_now() -> datetime:
    """The time a request acts at. Tests may pin it with the NOW config key."""
    pinned = current_app.config.get("NOW")
    return pinned() if callable(pinned) else datetime.now(UTC)


def page_number() -> int:
    """The `page` of a paged list from the query string: 1 when missing or not a number, within bounds."""
    try:
        return max(1, min(int(request.args.get("page", "1")), 1_000_000))
    except ValueError:
        return 1


def acting_user() -> "User":
    """The signed-in user itself, not Flask-Login's proxy: services and the audit log take the model."""
    return current_user._get_current_object()  # type: ignore[no-any-return]


def require(policy: Callable[["User"], bool]) -> Callable[[View], View]:
    """Refuse the view with 403 unless `policy(current user)` holds (sign-in is checked before, app-wide)."""

    def decorate(view: View) -> View:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if not policy(acting_user()):
                abort(403)
            return view(*args, **kwargs)

        return guarded  # type: ignore[return-value]

    return decorate


def guard_blueprint(blueprint: Blueprint, policy: Callable[["User"], bool]) -> None:
    """Every view of `blueprint` requires `policy(current user)`."""

    @blueprint.before_request
    def check_policy() -> None:
        if current_user.is_authenticated and not policy(acting_user()):
            abort(403)


def show_error(error: DomainError, *forms: FlaskForm) -> int:
    """Put the message next to its field in the first of `forms` that has it, else above the first form,
    else flash it. Returns the HTTP status to answer with."""
    if isinstance(error, NotAllowed) and not forms:
        abort(403)
    field = next((getattr(f, error.field) for f in forms if error.field and hasattr(f, error.field)), None)
    if field is not None:
        field.errors = [*field.errors, str(error.message)]
    elif forms:
        forms[0].form_errors.append(str(error.message))
    else:
        flash(str(error.message), "danger")
    return error.status_code


@dataclass
class Work:
    """The outcome of a unit of work: `ok`, or the refusal and the HTTP status to answer with."""

    error: DomainError | None = None
    status: int = 200

    @property
    def ok(self) -> bool:
        return self.error is None


@contextmanager
def unit_of_work(*forms: FlaskForm, reads_only: bool = False) -> Iterator[Work]:
    """Run the block's service calls as one transaction: commit if they succeed; if one refuses with a
    `DomainError`, roll everything back and show the message next to its field in `forms` (or flash it;
    a refusal of access with no form to show it in is a 403).

        with unit_of_work(form) as work:
            booking = book_slot(acting_user(), form.booking_request(...), request_now())
        if work.ok:
            return redirect(...)
        return render_template(...), work.status

    A block that `reads_only` (a report refused for its filters) neither commits nor rolls back: the page
    goes on reading in the request's transaction."""
    work = Work()
    try:
        yield work
    except DomainError as error:
        if not reads_only:
            db.session.rollback()
        work.error = error
        work.status = show_error(error, *forms)
    else:
        if not reads_only:
            db.session.commit()


def form_status(*forms: FlaskForm, work: Work | None = None) -> int:
    """The status of a page that shows `forms` again: the refusal's, 422 after a POST with errors, else 200."""
    if work is not None and not work.ok:
        return work.status
    return 422 if request.method == "POST" and any(f.errors or f.form_errors for f in forms) else 200


def handle_domain_error(error: DomainError) -> tuple[str, int]:
    """A refusal that no route caught: its message on the error page with its status, never a 500."""
    db.session.rollback()
    return render_template("errors.html", code=error.status_code, message=str(error.message)), error.status_code


def seconds_until_allowed_again(fallback: int = 60) -> int:
    """How long until the rate limit this request broke lets it through again, from the limiter's own window
    (the limiter counts in real time, whatever clock the app is pinned to)."""
    try:
        limit = limiter.current_limit
        reset_at = float(limit.reset_at) if limit is not None else time.time() + fallback
    except Exception:  # the counters' store failing must not turn a refusal into a 500
        reset_at = time.time() + fallback
    return max(1, math.ceil(reset_at - time.time()))


def handle_too_many_requests(_error: HTTPException) -> tuple[str, int, dict[str, str]]:
    """A rate limit refused the request (too many failed sign-ins, too many reset e-mails): a page in the reader's
    language that says when to try again, and the same in Retry-After."""
    seconds = seconds_until_allowed_again()
    retry_at = datetime.fromtimestamp(time.time() + seconds, UTC)
    page = render_template("too_many_requests.html", retry_at=retry_at, minutes=max(1, round(seconds / 60)),
                           signing_in=request.endpoint == "accounts.login")
    return page, 429, {"Retry-After": str(seconds)}


SQLITE_UNAVAILABLE = ("database is locked", "unable to open database", "disk i/o error")


def database_unavailable(error: DBAPIError) -> bool:
    """Whether `error` says the database cannot be reached (down, restarting, a dropped connection, SQLite's
    lock held too long), rather than that a statement was wrong: the first is a 503 the user can retry,
    the second stays a 500. SQLite calls both kinds OperationalError, so its message decides."""
    if error.connection_invalidated or isinstance(error, InterfaceError):
        return True
    if not isinstance(error, OperationalError):
        return False
    if type(error.orig).__module__.startswith("sqlite3"):
        return any(sign in str(error.orig).lower() for sign in SQLITE_UNAVAILABLE)
    return True


def handle_database_error(error: DBAPIError) -> tuple[str, int, dict[str, str]]:
    """While the database is unreachable every page answers 503 with Retry-After, from a template that needs
    no database (not even the signed-in user); pooled connections are checked before use, so the app
    recovers by itself when the database returns."""
    if not database_unavailable(error):
        raise error
    current_app.logger.warning("database unavailable: %s", str(error).splitlines()[0])
    with suppress(DBAPIError):
        db.session.rollback()
    # Rendered without Flask's context processors: Flask-Login's would load the signed-in user from the database.
    page = current_app.jinja_env.get_template("unavailable.html").render(request=request)
    return page, 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}


def remove_session_quietly(_error: BaseException | None = None) -> None:
    """End the request's database session when the request ends. If the database went away meanwhile, the
    rollback that closes the session fails although the answer was already made: drop the broken session
    (its connection is discarded) instead of turning a finished answer into a 500."""
    try:
        db.session.remove()
    except DBAPIError as error:
        current_app.logger.warning("database session closed on a lost connection: %s", str(error).splitlines()[0])
        db.session.registry.clear()


def reject_nul_characters() -> None:
    """A NUL character has no place in any field, and PostgreSQL refuses it in text: answer 400 before
    anything reads the request, rather than fail deep inside a transaction."""
    values = [*request.args.values(), *request.form.values(), *(f.filename or "" for f in request.files.values())]
    if any("\x00" in value for value in values):
        abort(400)


def writes_on_get(view: View) -> View:
    """Mark a view that writes although it answers GET (an export that records its audit event)."""
    view.writes_on_get = True  # type: ignore[attr-defined]
    return view


def read_only_for_reads() -> None:
    """On SQLite, a GET reads in a deferred transaction, so pages never queue behind the write lock
    that bookings take; a GET that writes is marked with `writes_on_get`."""
    if request.method not in ("GET", "HEAD") or request.endpoint in (None, "static"):
        return
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "writes_on_get", False) or db.engine.dialect.name != "sqlite":
        return
    if not db.session().in_transaction():  # a request's session is new; a test's may be open already
        begin_read_only(db.session)
        g.read_only_transaction = True


def end_read_only(_error: BaseException | None = None) -> None:
    """End the request's read-only transaction with the request (the session may outlive it in tests)."""
    if g.pop("read_only_transaction", False):
        db.session.rollback()
