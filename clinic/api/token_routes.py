"""Pages for API tokens: one's own personal tokens (/account/tokens), and the administrators' service tokens for a
ministry or department (/admin/api-tokens). A new token's secret is shown once, on the page that made it."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from clinic.api.forms import ServiceTokenForm, TokenForm
from clinic.api.models import ApiToken
from clinic.api.policies import can_create_personal_token, can_manage_service_tokens, can_revoke_token
from clinic.api.queries import service_tokens, tokens_of
from clinic.api.services import create_personal_token, create_service_token, revoke_token
from clinic.extensions import db
from clinic.organisations.models import Department, Ministry
from clinic.web import acting_user, form_status, request_now, require, unit_of_work

bp = Blueprint("api_tokens", __name__)


@bp.route("/account/tokens", methods=["GET", "POST"])
@require(can_create_personal_token)
def own() -> tuple[str, int]:
    form = TokenForm()
    secret, work = None, None
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            made = create_personal_token(acting_user(), form.name.data or "", form.scopes.data or [],
                                         form.expires_in_days.data or 0, request_now())
        if work.ok:
            secret, form = made.secret, TokenForm(formdata=None)
    return render_template("api/tokens.html", form=form, tokens=tokens_of(acting_user()), secret=secret,
                           now=request_now()), form_status(form, work=work)


def offer_organisations(form: ServiceTokenForm) -> None:
    form.offer(list(db.session.scalars(select(Ministry).order_by(Ministry.id))),
               list(db.session.scalars(select(Department).order_by(Department.ministry_id, Department.id))))


@bp.route("/admin/api-tokens", methods=["GET", "POST"])
@require(can_manage_service_tokens)
def service() -> tuple[str, int]:
    form = ServiceTokenForm()
    offer_organisations(form)
    secret, work = None, None
    if form.validate_on_submit():
        ministry, department = form.chosen()
        with unit_of_work(form) as work:
            made = create_service_token(acting_user(), form.name.data or "", form.scopes.data or [],
                                        form.expires_in_days.data or 0, request_now(), ministry, department)
        if work.ok:
            secret, form = made.secret, ServiceTokenForm(formdata=None)
            offer_organisations(form)
    return render_template("api/service_tokens.html", form=form, tokens=service_tokens(), secret=secret,
                           now=request_now()), form_status(form, work=work)


@bp.post("/api-tokens/<int:token_id>/revoke")
def revoke(token_id: int) -> Response:
    token = db.session.get(ApiToken, token_id)
    if token is None or not can_revoke_token(acting_user(), token):
        abort(404)
    with unit_of_work() as work:
        revoke_token(acting_user(), token, request_now())
    if work.ok:
        flash(_("เพิกถอนโทเค็นแล้ว"), "success")
    back = "api_tokens.service" if can_manage_service_tokens(acting_user()) and token.kind == "service" else "api_tokens.own"
    return redirect(url_for(back))
