"""The API's endpoints under /api/v1. Each is thin: load (404 as on the pages), check the same policy, call the same
service, commit once, answer JSON. Authentication is by bearer token only (no cookie, no CSRF); refusals are problem
details (clinic/api/problems.py)."""

import base64
import binascii
import json as jsonlib
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, TypeVar

from flask import Blueprint, Response, abort, current_app, g, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from clinic.accounts.models import User
from clinic.accounts.policies import is_department_user
from clinic.api import schemas
from clinic.api.models import ApiToken, Scope
from clinic.api.openapi import ENDPOINTS, REF, Endpoint, Param, document
from clinic.api.problems import http_problem, problem
from clinic.api.services import hash_secret, token_for_secret
from clinic.audit.routes import commit_on_its_own
from clinic.audit.services import ObjectRef, record_read
from clinic.bookings.models import Booking, BookingStatus
from clinic.bookings.queries import departments_in_scope, get_booking_or_404, open_slots_for_topic
from clinic.bookings.routes import booking_rules, get_topic_or_404
from clinic.bookings.services import AttendeeInput, BookingRequest, book_slot, cancel_booking
from clinic.errors import DomainError
from clinic.extensions import csrf, db, limiter
from clinic.i18n import current_language
from clinic.organisations.models import Ministry, Topic
from clinic.records.models import ActionItem
from clinic.records.policies import can_read_record
from clinic.records.queries import record_for
from clinic.records.services import update_action_item
from clinic.reports.services import SessionFilters, sessions_after
from clinic.scheduling.models import Slot
from clinic.web import request_now

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # bearer tokens only: no cookie is read, so there is nothing to forge

PUBLIC = {"api.openapi", "api.docs"}
View = TypeVar("View", bound=Callable[..., Any])

BAD_TOKEN = _l("โทเค็นไม่ถูกต้อง")
NO_TOKEN = _l("ส่งโทเค็นในส่วนหัว Authorization: Bearer")
REVOKED = _l("โทเค็นนี้ถูกเพิกถอนแล้ว")
EXPIRED = _l("โทเค็นนี้หมดอายุแล้ว")
INACTIVE = _l("บัญชีของโทเค็นนี้ถูกระงับการใช้งาน")
OUT_OF_SCOPE = _l("โทเค็นนี้ไม่มีขอบเขตสิทธิ์ %(scope)s")
NOT_ALLOWED = _l("คุณไม่มีสิทธิ์ใช้งานส่วนนี้")
BAD_JSON = _l("ข้อมูล JSON ไม่ถูกต้อง")
NOT_JSON = _l("ส่งข้อมูลเป็น JSON (Content-Type: application/json)")
INVALID_INPUT = _l("ข้อมูลไม่ถูกต้อง")
FIELD_MESSAGES = {
    "missing": _l("ต้องระบุ"),
    "extra_forbidden": _l("ไม่มีช่องนี้"),
    "too_long": _l("ยาวเกินกำหนด"),
    "string_too_long": _l("ยาวเกินกำหนด"),
    "enum": _l("ไม่มีค่านี้ให้เลือก"),
    "literal_error": _l("ไม่มีค่านี้ให้เลือก"),
}
WRONG_TYPE = _l("ชนิดข้อมูลไม่ถูกต้อง")
BAD_CURSOR = _l("cursor ไม่ถูกต้อง")
NOT_YOUR_DEPARTMENT = _l("เลือกส่วนราชการในความรับผิดชอบของคุณ")


class Refused(Exception):
    """A refusal made here (not by a service): its problem document."""

    def __init__(self, status: int, detail: Any = None, headers: dict[str, str] | None = None, **extensions: Any):
        super().__init__(str(detail))
        self.status, self.detail, self.headers, self.extensions = status, detail, headers, extensions


# -- tokens, scopes, rate limits, audit ---------------------------------------------------------------------------


def token_key() -> str:
    """Rate limits count per token (by its hash: the same for every process, nothing secret kept)."""
    header = request.headers.get("Authorization", "")
    return "api-token:" + hash_secret(header)[:32] if header else "api-anonymous:" + get_remote_address()


limiter.limit(lambda: current_app.config["API_RATE_LIMIT"], key_func=token_key)(bp)


@bp.before_request
def authenticate() -> Response | None:
    if request.endpoint in PUBLIC:
        return None
    scheme, _sep, secret = request.headers.get("Authorization", "").partition(" ")
    challenge = {"WWW-Authenticate": 'Bearer realm="api"'}
    if scheme.lower() != "bearer" or not secret.strip():
        return problem(401, str(NO_TOKEN), challenge)
    token = token_for_secret(secret.strip())
    if token is None:
        return problem(401, str(BAD_TOKEN), {"WWW-Authenticate": 'Bearer realm="api", error="invalid_token"'})
    g.api_token = token
    now = request_now()
    reason = None
    if token.revoked_at is not None:
        reason = REVOKED
    elif not token.user.is_active:
        reason = INACTIVE
    elif not token.is_usable(now):
        reason = EXPIRED
    if reason is not None:
        return problem(401, str(reason), {"WWW-Authenticate": 'Bearer realm="api", error="invalid_token"'})
    view = current_app.view_functions.get(request.endpoint or "")
    scope = getattr(view, "api_scope", None)
    if scope is not None and Scope(scope) not in token.scope_set:
        return problem(403, _("โทเค็นนี้ไม่มีขอบเขตสิทธิ์ %(scope)s", scope=scope))
    g.api_user = token.user
    return None


def record_call(token_id: int, user_id: int, department_id: int | None, status: int) -> None:
    record_read(user_id, "api.called", ObjectRef("api_tokens", token_id), request_now(), department_id,
                method=request.method, path=request.full_path.rstrip("?")[:300], status=status)


@bp.after_request
def audit_call(response: Response) -> Response:
    """Every call made with a known token is in the audit log with that token, whatever its answer: a change in its
    own transaction (see `commit`), anything else in one of its own after the answer is made."""
    token: ApiToken | None = g.get("api_token")
    if token is not None and not g.get("api_call_recorded"):
        token_id, user_id, department_id, status = token.id, token.user_id, token.department_id, response.status_code
        commit_on_its_own(lambda: record_call(token_id, user_id, department_id, status))
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def actor() -> User:
    user: User = g.api_user
    return user


# -- refusals as problem details ----------------------------------------------------------------------------------


@bp.errorhandler(Refused)
def refused(error: Refused) -> Response:
    db.session.rollback()
    return problem(error.status, str(error.detail) if error.detail else None, error.headers, **error.extensions)


@bp.errorhandler(DomainError)
def domain_error(error: DomainError) -> Response:
    db.session.rollback()
    extensions: dict[str, Any] = {}
    if error.field:
        extensions["errors"] = [{"field": error.field, "message": str(error.message)}]
    return problem(error.status_code, str(error.message), **extensions)


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException) -> Response:
    db.session.rollback()
    return http_problem(error)


# -- reading requests ---------------------------------------------------------------------------------------------

M = TypeVar("M", bound=BaseModel)


def field_errors(error: ValidationError) -> list[dict[str, str]]:
    found = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "body"
        message = FIELD_MESSAGES.get(item["type"], WRONG_TYPE)
        found.append({"field": where, "message": str(message)})
    return found


def json_body(model: type[M]) -> M:
    """The body as `model`, or a refusal: not JSON 415, unparsable 400, too large 413, not the schema 422."""
    if not request.is_json:
        raise Refused(415, NOT_JSON)
    limit = current_app.config["API_MAX_BODY_BYTES"]
    if (request.content_length or 0) > limit:
        raise Refused(413)
    raw = request.get_data(cache=True)
    if len(raw) > limit:  # a body sent in chunks, with no length announced
        raise Refused(413)
    if b"\\u0000" in raw:  # a NUL has no place in any field, and PostgreSQL refuses it in text
        raise Refused(422, INVALID_INPUT, errors=[{"field": "body", "message": str(WRONG_TYPE)}])
    try:
        return model.model_validate_json(raw)
    except ValidationError as error:
        if any(item["type"] == "json_invalid" for item in error.errors()):
            raise Refused(400, BAD_JSON) from None
        raise Refused(422, INVALID_INPUT, errors=field_errors(error)) from None


def query(model: type[M]) -> M:
    try:
        return model.model_validate(request.args.to_dict())
    except ValidationError as error:
        raise Refused(422, INVALID_INPUT, errors=field_errors(error)) from None


def answer(value: BaseModel | list[BaseModel], status: int = 200) -> tuple[Response, int]:
    if isinstance(value, list):
        return jsonify([v.model_dump(mode="json") for v in value]), status
    return jsonify(value.model_dump(mode="json")), status


def commit(action: Callable[[], Any], present: Callable[[Any], BaseModel], status: int = 200) -> BaseModel:
    """One unit of work: commit if the service succeeds, with the call's audit event in the same transaction; a
    refusal rolls back and becomes a problem document (its call is then recorded after the answer). The answer is
    made from the objects before the commit expires them (no second round of queries)."""
    result = present(action())
    token: ApiToken = g.api_token
    record_call(token.id, token.user_id, token.department_id, status)
    db.session.commit()
    g.api_call_recorded = True
    return result


def require_policy(policy: Callable[[User], bool]) -> None:
    if not policy(actor()):
        raise Refused(403, NOT_ALLOWED)


def path_params(rule: str) -> tuple[str, tuple[Param, ...]]:
    """'/bookings/<int:booking_id>' → ('/bookings/{booking_id}', its integer path parameter)."""
    params, parts = [], []
    for part in rule.split("/"):
        if part.startswith("<") and part.endswith(">"):
            name = part[1:-1].split(":")[-1]
            params.append(Param(name, "path", {"type": "integer", "minimum": 1}))
            part = "{" + name + "}"
        parts.append(part)
    return "/".join(parts), tuple(params)


def endpoint(method: str, rule: str, summary: str, scope: Scope, response: type[BaseModel] | None,
             status: int = 200, body: type[BaseModel] | None = None, many: bool = False,
             params: tuple[Param, ...] = (), problems: tuple[int, ...] = ()) -> Callable[[View], View]:
    """Register a view as an API operation: its URL, and its entry in the OpenAPI document."""

    def register(view: View) -> View:
        path, in_path = path_params(rule)
        ENDPOINTS.append(Endpoint(view.__name__, method, path, summary, scope.value, response, status, body, many,
                                  in_path + params, problems))
        view.api_scope = scope.value  # type: ignore[attr-defined]
        bp.add_url_rule(rule, endpoint=view.__name__, view_func=view, methods=[method])
        return view

    return register


# -- the document and its page ------------------------------------------------------------------------------------


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(document(url_for("api.openapi", _external=False).rsplit("/", 1)[0]))


@bp.get("/docs")
def docs() -> str:
    return render_template("api/docs.html", spec_url=url_for("api.openapi"))


# -- reference data -----------------------------------------------------------------------------------------------


@endpoint("GET", "/topics", "Active consultation topics", Scope.READ, schemas.TopicOut, many=True)
def list_topics() -> tuple[Response, int]:
    topics = db.session.scalars(select(Topic).where(Topic.is_active).order_by(Topic.id)).all()
    return answer([schemas.TopicOut.model_validate(t) for t in topics])


@endpoint("GET", "/organisations", "Ministries and departments the token's user may see and book for",
          Scope.READ, schemas.MinistryOut, many=True)
def list_organisations() -> tuple[Response, int]:
    departments = departments_in_scope(actor())
    ministries: dict[int, schemas.MinistryOut] = {}
    names = {m.id: m for m in db.session.scalars(
        select(Ministry).where(Ministry.id.in_({d.ministry_id for d in departments})))}
    for department in departments:
        ministry = names[department.ministry_id]
        entry = ministries.setdefault(ministry.id, schemas.MinistryOut(
            id=ministry.id, code=ministry.code, name_th=ministry.name_th, name_en=ministry.name_en,
            abbreviation=ministry.abbreviation, departments=[]))
        entry.departments.append(schemas.DepartmentOut.model_validate(department))
    return answer(list(ministries.values()))


@endpoint("GET", "/topics/<int:topic_id>/slots", "Open slots of a topic, with the booking rules applied",
          Scope.READ, schemas.SlotOut, many=True, problems=(404,))
def list_open_slots(topic_id: int) -> tuple[Response, int]:
    require_policy(is_department_user)  # as the booking pages: departments book
    topic = get_topic_or_404(topic_id)
    found = open_slots_for_topic(topic, request_now(), booking_rules())
    return answer([schemas.SlotOut(id=o.slot.id, starts_at=o.slot.starts_at, ends_at=o.slot.ends_at,
                                   mode=o.slot.mode, location=o.slot.location, advisor=o.slot.advisor.name,
                                   seats_left=o.seats_left) for o in found])


# -- bookings -----------------------------------------------------------------------------------------------------


def booking_out(booking: Booking) -> schemas.BookingOut:
    return schemas.BookingOut.model_validate(booking)


@endpoint("POST", "/bookings", "Book a seat in a slot (the booking form's service and guarantees)", Scope.BOOK,
          schemas.BookingOut, status=201, body=schemas.BookingIn, problems=(404, 409))
def create_booking() -> tuple[Response, int]:
    require_policy(is_department_user)
    data = json_body(schemas.BookingIn)
    topic = get_topic_or_404(data.topic_id)
    slot = db.session.get(Slot, data.slot_id)
    if slot is None:
        abort(404)
    department = next((d for d in departments_in_scope(actor()) if d.id == data.department_id), None)
    if department is None:
        raise Refused(422, NOT_YOUR_DEPARTMENT, errors=[{"field": "department_id", "message": str(NOT_YOUR_DEPARTMENT)}])
    config = current_app.config
    booking_request = BookingRequest(
        slot=slot, department=department, topic=topic, request_details=data.request_details,
        attendees=[AttendeeInput(a.name, a.position) for a in data.attendees], submission_key=data.submission_key,
    )
    booking = commit(lambda: book_slot(actor(), booking_request, request_now(), config["UPLOAD_FOLDER"],
                                       config["MAX_UPLOAD_BYTES"], booking_rules()), booking_out, 201)
    response, status = answer(booking, 201)
    response.headers["Location"] = url_for("api.read_booking", booking_id=booking.id)  # type: ignore[attr-defined]
    return response, status


@endpoint("GET", "/bookings/<int:booking_id>", "A booking of the case files the token's user may see",
          Scope.READ, schemas.BookingOut, problems=(404,))
def read_booking(booking_id: int) -> tuple[Response, int]:
    return answer(booking_out(get_booking_or_404(booking_id, actor())))


@endpoint("POST", "/bookings/<int:booking_id>/cancel", "Cancel a booking, with a reason", Scope.BOOK,
          schemas.BookingOut, body=schemas.CancelIn, problems=(404, 409))
def cancel(booking_id: int) -> tuple[Response, int]:
    booking = get_booking_or_404(booking_id, actor())
    data = json_body(schemas.CancelIn)
    return answer(commit(lambda: cancel_booking(actor(), booking, data.reason, request_now(), booking_rules()),
                         booking_out))


# -- records and next steps ---------------------------------------------------------------------------------------


def next_step_out(item: ActionItem) -> schemas.NextStepOut:
    return schemas.NextStepOut(
        id=item.id, booking_id=item.record.booking_id, department_id=item.department_id,
        description=item.description, owner=item.owner, due_on=item.due_on, status=item.status,
        progress_note=item.progress_note, updated_at=item.updated_at,
    )


@endpoint("GET", "/bookings/<int:booking_id>/record", "The session's record: its published revisions and next steps",
          Scope.READ, schemas.RecordOut, problems=(404,))
def read_record(booking_id: int) -> tuple[Response, int]:
    booking = get_booking_or_404(booking_id, actor())
    record = record_for(booking)
    if record is None or record.published is None or not can_read_record(actor(), record):
        abort(404)
    revisions = [r for r in record.revisions if r.published_at is not None]
    return answer(schemas.RecordOut(
        booking_id=booking.id,
        revisions=[schemas.RevisionOut.model_validate(r) for r in revisions],
        next_steps=[next_step_out(i) for i in record.action_items],
    ))


def get_next_step_or_404(item_id: int) -> ActionItem:
    """As the page's loader: a step of a record the user may not read is 404."""
    item = db.session.get(ActionItem, item_id)
    if item is None or not can_read_record(actor(), item.record):
        abort(404)
    return item


@endpoint("GET", "/next-steps/<int:item_id>", "A next step (action item)", Scope.READ, schemas.NextStepOut,
          problems=(404,))
def read_next_step(item_id: int) -> tuple[Response, int]:
    return answer(next_step_out(get_next_step_or_404(item_id)))


@endpoint("POST", "/next-steps/<int:item_id>/status", "Report progress on a next step: its status and a note",
          Scope.FOLLOW_UP, schemas.NextStepOut, body=schemas.NextStepUpdate, problems=(404,))
def update_next_step(item_id: int) -> tuple[Response, int]:
    item = get_next_step_or_404(item_id)
    data = json_body(schemas.NextStepUpdate)
    return answer(commit(lambda: update_action_item(actor(), item, data.status, data.note, request_now()),
                         next_step_out))


# -- the sessions report ------------------------------------------------------------------------------------------


class ReportQuery(BaseModel):
    """The report page's filters, by the same names, and the page's cursor."""

    model_config = ConfigDict(extra="forbid")
    date_from: date | None = None
    date_to: date | None = None
    fiscal_year: int | None = None
    ministry: int | None = None
    department: int | None = None
    topic: int | None = None
    advisor: int | None = None
    status: BookingStatus | None = None
    include_cancelled: bool = False
    cursor: str | None = Field(default=None, max_length=200)
    limit: int = Field(default=100, ge=1, le=500)


def report_params() -> tuple[Param, ...]:
    schema = ReportQuery.model_json_schema(ref_template=REF)["properties"]
    return tuple(Param(name, "query", {k: v for k, v in prop.items() if k != "title"})
                 for name, prop in schema.items())


def encode_cursor(starts_at: datetime, booking_id: int) -> str:
    return base64.urlsafe_b64encode(jsonlib.dumps([starts_at.isoformat(), booking_id]).encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        starts, booking_id = jsonlib.loads(base64.urlsafe_b64decode(cursor.encode()))
        moment = datetime.fromisoformat(starts)
        if not isinstance(booking_id, int) or moment.tzinfo is None:
            raise ValueError
        return moment, booking_id
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise Refused(422, BAD_CURSOR, errors=[{"field": "cursor", "message": str(BAD_CURSOR)}]) from None


@endpoint("GET", "/reports/sessions", "The sessions report: the report page's filters, paged with a cursor",
          Scope.READ, schemas.SessionPageOut, params=report_params(), problems=(422,))
def sessions_report() -> tuple[Response, int]:
    q = query(ReportQuery)
    filters = SessionFilters(
        date_from=q.date_from, date_to=q.date_to, fiscal_year=q.fiscal_year, ministry_id=q.ministry,
        department_id=q.department, topic_id=q.topic, advisor_id=q.advisor,
        status=q.status.value if q.status else None, include_cancelled=q.include_cancelled,
    )
    after = decode_cursor(q.cursor) if q.cursor else None
    rows = sessions_after(actor(), filters, after, q.limit + 1, current_language())
    more = len(rows) > q.limit
    rows = rows[: q.limit]
    next_cursor = encode_cursor(rows[-1].starts_at, rows[-1].booking_id) if more and rows else None
    return answer(schemas.SessionPageOut(items=[schemas.SessionRowOut(**r._asdict()) for r in rows],
                                         next_cursor=next_cursor))
