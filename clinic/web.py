"""Helpers shared by the routes: the request's clock and turning domain errors into form errors."""

from datetime import UTC, datetime

from flask import abort, current_app, flash, g, request
from flask_wtf import FlaskForm

from clinic.database import begin_read_only
from clinic.errors import DomainError, NotAllowed
from clinic.extensions import db

PUBLIC_ENDPOINTS = {"static", "main.home", "main.health", "accounts.login", "accounts.set_language"}


def request_now() -> datetime:
    """The time a request acts at. Tests may pin it with the NOW config key."""
    pinned = current_app.config.get("NOW")
    return pinned() if callable(pinned) else datetime.now(UTC)


def show_error(error: DomainError, form: FlaskForm | None = None) -> int:
    """Put the message next to its field when the form has it, else flash it. Returns the HTTP status."""
    if isinstance(error, NotAllowed) and form is None:
        abort(403)
    field = getattr(form, error.field, None) if form is not None and error.field else None
    if field is not None:
        field.errors = [*field.errors, str(error.message)]
    elif form is not None:
        form.form_errors.append(str(error.message))
    else:
        flash(str(error.message), "danger")
    return error.status_code


def reject_nul_characters() -> None:
    """A NUL character has no place in any field, and PostgreSQL refuses it in text: answer 400 before
    anything reads the request, rather than fail deep inside a transaction."""
    values = [*request.args.values(), *request.form.values(), *(f.filename or "" for f in request.files.values())]
    if any("\x00" in value for value in values):
        abort(400)


def writes_on_get(view):
    """Mark a view that writes although it answers GET (an export that records its audit event)."""
    view.writes_on_get = True
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
