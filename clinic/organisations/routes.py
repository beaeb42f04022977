"""Administrators manage ministries, departments (create, rename, merge) and topics, under /admin."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from clinic.i18n import current_language
from clinic.organisations import queries, services
from clinic.organisations.forms import MergeForm, NamesForm, NewDepartmentForm, NewMinistryForm, NewTopicForm, TopicForm
from clinic.organisations.policies import can_manage_organisations
from clinic.web import acting_user, form_status, guard_blueprint, request_now, unit_of_work

bp = Blueprint("organisations", __name__, url_prefix="/admin")
guard_blueprint(bp, can_manage_organisations)


def unchanged_or(changed: bool, done: str) -> None:
    flash(done if changed else _("ไม่มีการเปลี่ยนแปลง"), "success" if changed else "info")


# -- ministries ---------------------------------------------------------------------------------------------------


@bp.get("/ministries")
def ministries() -> str:
    return render_template("organisations/ministries.html", lines=queries.ministry_lines(current_language()))


@bp.route("/ministries/new", methods=["GET", "POST"])
def new_ministry() -> Response | tuple[str, int]:
    form, work = NewMinistryForm(), None
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            ministry = services.create_ministry(acting_user(), form.code.data or "", form.names(), request_now())
        if work.ok:
            flash(_("เพิ่มกระทรวงแล้ว"), "success")
            return redirect(url_for("organisations.departments", ministry=ministry.id))
    return render_template("organisations/ministry.html", form=form, ministry=None), form_status(form, work=work)


@bp.route("/ministries/<int:ministry_id>", methods=["GET", "POST"])
def ministry(ministry_id: int) -> Response | tuple[str, int]:
    ministry = queries.get_ministry_or_404(ministry_id)
    form, work = NamesForm(), None
    if request.method == "GET":
        form.fill(ministry)
    elif form.validate_on_submit():
        changed = False
        with unit_of_work(form) as work:
            changed = services.update_ministry(acting_user(), ministry, form.names(), request_now())
        if work.ok:
            unchanged_or(changed, _("บันทึกกระทรวงแล้ว"))
            return redirect(url_for("organisations.ministries"))
    return render_template("organisations/ministry.html", form=form, ministry=ministry), form_status(form, work=work)


# -- departments --------------------------------------------------------------------------------------------------


def ministry_filter() -> int | None:
    value = request.args.get("ministry", "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None


@bp.get("/departments")
def departments() -> str:
    language, ministry_id = current_language(), ministry_filter()
    return render_template("organisations/departments.html", ministries=queries.ministries(language),
                           departments=queries.departments(language, ministry_id), ministry_id=ministry_id)


@bp.route("/departments/new", methods=["GET", "POST"])
def new_department() -> Response | tuple[str, int]:
    form, work = NewDepartmentForm(), None
    form.offer(queries.ministries(current_language()))
    if request.method == "GET" and ministry_filter() is not None:
        form.ministry.data = str(ministry_filter())
    if form.validate_on_submit():
        ministry = queries.get_ministry_or_404(form.ministry_id())
        with unit_of_work(form) as work:
            department = services.create_department(acting_user(), ministry, form.code.data or "", form.names(),
                                                    request_now())
        if work.ok:
            flash(_("เพิ่มส่วนราชการแล้ว"), "success")
            return redirect(url_for("organisations.department", department_id=department.id))
    return render_template("organisations/new_department.html", form=form), form_status(form, work=work)


@bp.route("/departments/<int:department_id>", methods=["GET", "POST"])
def department(department_id: int) -> Response | tuple[str, int]:
    department = queries.get_department_or_404(department_id)
    form, work = NamesForm(), None
    if request.method == "GET":
        form.fill(department)
    elif form.validate_on_submit():
        changed = False
        with unit_of_work(form) as work:
            changed = services.rename_department(acting_user(), department, form.names(), request_now())
        if work.ok:
            unchanged_or(changed, _("เปลี่ยนชื่อส่วนราชการแล้ว ชื่อเดิมเก็บไว้ในประวัติ"))
            return redirect(url_for("organisations.department", department_id=department.id))
    return (render_template("organisations/department.html", form=form, department=department),
            form_status(form, work=work))


@bp.route("/departments/<int:department_id>/merge", methods=["GET", "POST"])
def merge(department_id: int) -> Response | tuple[str, int]:
    """GET without a choice: the form; GET with `survivor`: what the merge will do, and the button that does it
    (a POST); the POST merges."""
    merged = queries.get_department_or_404(department_id)
    form = MergeForm() if request.method == "POST" else MergeForm(request.args, meta={"csrf": False})
    form.offer(queries.departments(current_language(), include_retired=False), merged)
    plan, work, status = None, None, 200
    chosen = request.method == "POST" or "survivor" in request.args
    if chosen and form.validate():
        survivor = queries.get_department_or_404(form.survivor_id())
        if request.method == "GET":
            with unit_of_work(form, reads_only=True) as work:
                services.check_merge(merged, survivor)
                plan = services.merge_plan(merged, survivor)
        else:
            with unit_of_work(form) as work:
                services.merge_departments(acting_user(), merged, survivor, request_now())
            if work.ok:
                flash(_("ควบรวมส่วนราชการแล้ว รายการทั้งหมดย้ายไปที่ %(name)s", name=survivor.name_th), "success")
                return redirect(url_for("organisations.department", department_id=survivor.id))
        status = work.status
    elif chosen:
        status = 422
    return render_template("organisations/merge.html", form=form, merged=merged, plan=plan), status


# -- topics -------------------------------------------------------------------------------------------------------


@bp.get("/topics")
def topics() -> str:
    return render_template("organisations/topics.html", topics=queries.topics(current_language()))


@bp.route("/topics/new", methods=["GET", "POST"])
def new_topic() -> Response | tuple[str, int]:
    form, work = NewTopicForm(), None
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            services.create_topic(acting_user(), form.code.data or "", form.names(), request_now())
        if work.ok:
            flash(_("เพิ่มหัวข้อแล้ว"), "success")
            return redirect(url_for("organisations.topics"))
    return render_template("organisations/topic.html", form=form, topic=None), form_status(form, work=work)


@bp.route("/topics/<int:topic_id>", methods=["GET", "POST"])
def topic(topic_id: int) -> Response | tuple[str, int]:
    topic = queries.get_topic_or_404(topic_id)
    form, work = TopicForm(), None
    if request.method == "GET":
        form.name_th.data, form.name_en.data, form.active.data = topic.name_th, topic.name_en, topic.is_active
    elif form.validate_on_submit():
        changed = False
        with unit_of_work(form) as work:
            changed = services.update_topic(acting_user(), topic, form.names(), bool(form.active.data), request_now())
        if work.ok:
            unchanged_or(changed, _("บันทึกหัวข้อแล้ว"))
            return redirect(url_for("organisations.topics"))
    return render_template("organisations/topic.html", form=form, topic=topic), form_status(form, work=work)
