"""The administrator's audit log at /admin/audit, and the app-wide hook that records refusals: every answer 403
(a policy on a view or blueprint, a service's NotAllowed shown on its page, anything else), and the rate limiter
refusing one more sign-in (429)."""

import json
from collections.abc import Callable
from typing import Any

from flask import Blueprint, current_app, render_template, request
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from clinic.audit.forms import AuditLogForm, action_label, cursor_arg
from clinic.audit.policies import can_read_audit_log
from clinic.audit.queries import audit_page
from clinic.audit.services import ObjectRef, record_read, record_refusal, record_sign_in_throttled
from clinic.extensions import db
from clinic.web import acting_user, guard_blueprint, request_now

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")
guard_blueprint(bp, can_read_audit_log)


@bp.get("")
def index() -> tuple[str, int]:
    form = AuditLogForm(request.args)
    page = audit_page(form.filters(), form.cursor()) if form.validate() else None
    return render_template("audit/index.html", form=form, page=page, query=form.query_args(),
                           action_label=action_label, cursor_arg=cursor_arg), 200 if page is not None else 422


@bp.app_template_filter("audit_details")
def audit_details(details: dict[str, Any] | None) -> str:
    """An event's details as JSON text: keys sorted, Thai left readable; the template escapes it like any text."""
    return json.dumps(details or {}, ensure_ascii=False, sort_keys=True, default=str)


# -- refusals, recorded wherever they happen --------------------------------------------------------------------


def commit_on_its_own(write: Callable[[], object]) -> None:
    """Discard whatever the refused request did (a refusal changes nothing), then commit one audit event in a
    transaction of its own. Failing to record it must not turn the refusal into a 500: it is logged instead."""
    try:
        db.session.rollback()
        write()
        db.session.commit()
    except SQLAlchemyError as error:
        db.session.rollback()
        current_app.logger.warning("audit event not recorded: %s", str(error).splitlines()[0])


@bp.after_app_request
def record_refusals(response: Response) -> Response:
    if response.status_code == 403:
        record_refused_request()
    elif response.status_code == 429:
        record_throttled_sign_in()
    return response


def record_access(action: str, table: str, object_id: int, department_id: int | None, **details: Any) -> None:
    """A read worth knowing of (OPDC opening a department's booking or case file, a document downloaded), after
    the page is made: the request's read-only transaction ends and one INSERT commits on its own, so a GET stays
    read-only on SQLite while it reads and never queues behind the write lock for its page."""
    actor_id, now = acting_user().id, request_now()
    commit_on_its_own(lambda: record_read(actor_id, action, ObjectRef(table, object_id), now, department_id, **details))


def record_refused_request() -> None:
    """A 403, from a policy on a view or blueprint, a service's NotAllowed, or anywhere else: who (if signed in),
    which endpoint and path."""
    if request.endpoint == "static":
        return
    actor_id = acting_user().id if current_user.is_authenticated else None  # read before the rollback expires it
    endpoint, method, path, now = request.endpoint, request.method, request.path, request_now()
    commit_on_its_own(lambda: record_refusal(actor_id, endpoint, method, path, now))


def record_throttled_sign_in() -> None:
    """The rate limiter refused a sign-in (429): the e-mail tried, never the password."""
    if request.endpoint == "accounts.login" and request.method == "POST":
        email, now = request.form.get("email", ""), request_now()
        commit_on_its_own(lambda: record_sign_in_throttled(email, now))
