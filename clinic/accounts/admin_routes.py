"""Administrators manage people: the user list, invitations, role and scope, deactivation, advisors' expertise."""

from typing import TypeVar

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from clinic.accounts import queries, services
from clinic.accounts.forms import ExpertiseForm, InviteForm, ScopeFields, ScopeForm, UserFilterForm
from clinic.accounts.models import User
from clinic.accounts.policies import can_manage_users
from clinic.web import Work, acting_user, form_status, guard_blueprint, page_number, request_now, unit_of_work

bp = Blueprint("users", __name__, url_prefix="/admin/users")
guard_blueprint(bp, can_manage_users)



@bp.get("")
def index() -> tuple[str, int]:
    form = UserFilterForm(request.args)
    form.set_options(queries.ministries(), queries.departments())
    page = queries.user_page(form.filters(), page_number()) if form.validate() else None
    query = {k: v for k, v in request.args.items() if k in form.data and v}
    return render_template("accounts/users.html", form=form, page=page, query=query), 200 if page else 422


Scoped = TypeVar("Scoped", bound=ScopeFields)


def offered(form: Scoped) -> Scoped:
    """`form` with the ministries and departments to choose from."""
    form.offer(queries.ministries(), queries.departments())
    return form


@bp.route("/invite", methods=["GET", "POST"])
def invite() -> Response | tuple[str, int]:
    form = offered(InviteForm())
    work = None
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            user = services.invite_user(acting_user(), form.new_user(), request_now())
        if work.ok:
            flash(_("ส่งคำเชิญไปที่ %(email)s แล้ว", email=user.email), "success")
            return redirect(url_for("users.detail", user_id=user.id))
    return render_template("accounts/invite.html", form=form), form_status(form, work=work)


def render_detail(user: User, scope: ScopeForm | None = None, expertise: ExpertiseForm | None = None,
                  status: int = 200) -> tuple[str, int]:
    if scope is None:
        scope = offered(ScopeForm())
        scope.fill(user)
    if expertise is None:
        expertise = ExpertiseForm()
        expertise.offer(queries.topics())
        expertise.fill(user)
    return render_template("accounts/user.html", user=user, scope=scope, expertise=expertise), status


def after(work: Work, user: User, done: str) -> Response | tuple[str, int]:
    """Back to the user's page with `done`, or the page again with the refusal (flashed: these forms have no field)."""
    if work.ok:
        flash(done, "success")
        return redirect(url_for("users.detail", user_id=user.id))
    return render_detail(user, status=work.status)


@bp.get("/<int:user_id>")
def detail(user_id: int) -> tuple[str, int]:
    return render_detail(queries.get_user_or_404(user_id))


@bp.post("/<int:user_id>/scope")
def change_scope(user_id: int) -> Response | tuple[str, int]:
    user = queries.get_user_or_404(user_id)
    form = offered(ScopeForm())
    if not form.validate_on_submit():
        return render_detail(user, scope=form, status=422)
    changed = False
    with unit_of_work(form) as work:
        changed = services.change_scope(acting_user(), user, form.scope(), request_now())
    if not work.ok:
        return render_detail(user, scope=form, status=work.status)
    flash(_("เปลี่ยนบทบาทและสังกัดแล้ว ผู้ใช้ต้องเข้าสู่ระบบใหม่") if changed else _("ไม่มีการเปลี่ยนแปลง"),
          "success" if changed else "info")
    return redirect(url_for("users.detail", user_id=user.id))


@bp.post("/<int:user_id>/deactivate")
def deactivate(user_id: int) -> Response | tuple[str, int]:
    user = queries.get_user_or_404(user_id)
    with unit_of_work() as work:
        services.deactivate_user(acting_user(), user, request_now())
    return after(work, user, _("ปิดการใช้งานบัญชีแล้ว ผู้ใช้ถูกออกจากระบบทันที"))


@bp.post("/<int:user_id>/reactivate")
def reactivate(user_id: int) -> Response | tuple[str, int]:
    user = queries.get_user_or_404(user_id)
    with unit_of_work() as work:
        services.reactivate_user(acting_user(), user, request_now())
    return after(work, user, _("เปิดใช้งานบัญชีอีกครั้งแล้ว"))


@bp.post("/<int:user_id>/invitation")
def resend_invitation(user_id: int) -> Response | tuple[str, int]:
    user = queries.get_user_or_404(user_id)
    with unit_of_work() as work:
        services.resend_invitation(acting_user(), user, request_now())
    return after(work, user, _("ส่งคำเชิญใหม่แล้ว ลิงก์ในคำเชิญฉบับก่อนใช้ไม่ได้อีก"))


@bp.post("/<int:user_id>/expertise")
def expertise(user_id: int) -> Response | tuple[str, int]:
    user = queries.get_user_or_404(user_id)
    form = ExpertiseForm()
    form.offer(queries.topics())
    if not form.validate_on_submit():
        return render_detail(user, expertise=form, status=422)
    changed = False
    with unit_of_work(form) as work:
        changed = services.set_expertise(acting_user(), user, form.chosen(), request_now())
    if not work.ok:
        return render_detail(user, expertise=form, status=work.status)
    flash(_("บันทึกหัวข้อความเชี่ยวชาญแล้ว") if changed else _("ไม่มีการเปลี่ยนแปลง"), "success" if changed else "info")
    return redirect(url_for("users.detail", user_id=user.id))
