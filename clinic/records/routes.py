from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from clinic.audit.routes import record_access
from clinic.bookings import documents
from clinic.bookings.models import Booking
from clinic.bookings.queries import departments_in_scope, get_booking_or_404
from clinic.extensions import db
from clinic.i18n import BE_OFFSET, bangkok_today, current_language, format_datetime
from clinic.organisations.models import Ministry
from clinic.records import pdf
from clinic.records.forms import ActionItemForm, RecordForm, SearchForm
from clinic.records.models import ActionItem, ActionOwner, ConsultationRecord, RecordRevision
from clinic.records.policies import (
    can_browse_all_case_files,
    can_open_case_files,
    can_read_all_feedback,
    can_read_record,
    can_read_revision,
    can_search,
    can_see_action_item,
    can_write_record,
)
from clinic.records.queries import case_file as load_case_file
from clinic.records.queries import department_overview, feedback_page, internal_notes, open_action_items, record_for
from clinic.records.search import search as search_records
from clinic.records.services import (
    acknowledge,
    add_evidence,
    add_internal_note,
    give_feedback,
    invite_follow_up,
    submit_record,
    update_action_item,
)
from clinic.web import acting_user, form_status, page_number, request_now, require, unit_of_work

bp = Blueprint("records", __name__)

ITEM_PREFIX = "item"


def render_editor(booking: Booking, form: RecordForm, item_form: ActionItemForm, status: int = 200,
                  record: ConsultationRecord | None = None) -> tuple[str, int]:
    """The editor page; `record` is loaded unless the caller has it already."""
    return render_template(
        "records/edit.html", booking=booking, record=record or record_for(booking), form=form, item_form=item_form,
        notes=internal_notes(booking),
    ), status


@bp.route("/bookings/<int:booking_id>/record", methods=["GET", "POST"])
def edit(booking_id: int) -> Response | tuple[str, int]:
    """One form for the whole record: saving a draft, adding a next step and publishing all keep what was typed."""
    booking = get_booking_or_404(booking_id, acting_user())
    if not can_write_record(acting_user(), booking):
        abort(403)
    form = RecordForm()
    form.offer_attendees(booking)
    item_form = ActionItemForm(prefix=ITEM_PREFIX)
    if request.method == "GET":
        record = record_for(booking)
        form.fill(booking, record)
        return render_editor(booking, form, item_form, record=record)
    if not form.validate_with(item_form):
        return render_editor(booking, form, item_form, form_status(form, item_form))
    submission = form.submission(item_form)
    with unit_of_work(form, item_form) as work:
        submit_record(acting_user(), booking, submission, request_now())
    if not work.ok:
        return render_editor(booking, form, item_form, work.status)
    if submission.publish:
        flash(_("เผยแพร่บันทึกผลให้ส่วนราชการแล้ว"), "success")
        return redirect(url_for("bookings.detail", booking_id=booking.id))
    flash(_("เพิ่มขั้นตอนต่อไปและบันทึกร่างแล้ว") if submission.next_step else _("บันทึกร่างแล้ว"), "success")
    return redirect(url_for("records.edit", booking_id=booking.id))


@bp.post("/revisions/<int:revision_id>/acknowledge")
def acknowledge_revision(revision_id: int) -> Response:
    revision = db.session.get(RecordRevision, revision_id)
    if revision is None or not can_read_record(acting_user(), revision.record) or revision.published_at is None:
        abort(404)
    booking_id = revision.record.booking_id
    with unit_of_work() as work:
        acknowledge(acting_user(), revision, request_now())
    if work.ok:
        flash(_("รับทราบคำแนะนำแล้ว"), "success")
    return redirect(url_for("bookings.detail", booking_id=booking_id))


def get_action_item_or_404(item_id: int) -> ActionItem:
    item = db.session.get(ActionItem, item_id)
    if item is None or not can_see_action_item(acting_user(), item):
        abort(404)
    return item


@bp.post("/action-items/<int:item_id>")
def update_item(item_id: int) -> Response:
    item = get_action_item_or_404(item_id)
    booking_id = item.record.booking_id
    with unit_of_work() as work:
        update_action_item(acting_user(), item, request.form.get("status", ""), request.form.get("note", ""),
                           request_now())
    if work.ok:
        flash(_("ปรับสถานะแล้ว"), "success")
    return redirect(url_for("bookings.detail", booking_id=booking_id))


@bp.post("/action-items/<int:item_id>/evidence")
def add_item_evidence(item_id: int) -> Response:
    item = get_action_item_or_404(item_id)
    booking_id = item.record.booking_id
    config = current_app.config
    storage = request.files.get("evidence")
    upload = documents.read_upload(storage.stream if storage else None, storage.filename if storage else None,
                                   config["MAX_UPLOAD_BYTES"])
    with unit_of_work() as work:
        add_evidence(acting_user(), item, upload, config["UPLOAD_FOLDER"], config["MAX_UPLOAD_BYTES"], request_now())
    if work.ok and upload:
        flash(_("แนบหลักฐาน %(name)s แล้ว", name=upload.filename), "success")
    return redirect(url_for("bookings.detail", booking_id=booking_id))


@bp.get("/next-steps")
@require(can_browse_all_case_files)
def open_steps() -> str:
    """OPDC's list of the next steps still open across every department, overdue first."""
    owner = request.args.get("owner", "")
    page = open_action_items(
        ActionOwner(owner) if owner in set(ActionOwner) else None, request.args.get("mine") == "1",
        acting_user(), page_number(),
    )
    return render_template("records/open_steps.html", page=page, owner=owner, mine=request.args.get("mine") == "1")


@bp.post("/bookings/<int:booking_id>/follow-up-invitation")
def invite_to_follow_up(booking_id: int) -> Response:
    booking = get_booking_or_404(booking_id, acting_user())
    with unit_of_work() as work:
        invite_follow_up(acting_user(), booking, request_now())
    if work.ok:
        flash(_("ส่งคำเชิญนัดติดตามผลถึง %(name)s แล้ว", name=booking.booked_by.name), "success")
    return redirect(url_for("bookings.detail", booking_id=booking_id))


@bp.get("/revisions/<int:revision_id>")
def revision(revision_id: int) -> str:
    """One revision of a record as it was published (an earlier one, read after a correction)."""
    found = db.session.get(RecordRevision, revision_id)
    if found is None or not can_read_revision(acting_user(), found):
        abort(404)
    return render_template("records/revision.html", revision=found, record=found.record, booking=found.record.booking)


@bp.post("/records/<int:record_id>/feedback")
def feedback(record_id: int) -> Response:
    record = db.session.get(ConsultationRecord, record_id)
    if record is None or not can_read_record(acting_user(), record):
        abort(404)
    with unit_of_work() as work:
        give_feedback(acting_user(), record, request.form.get("rating"), request.form.get("comment", ""),
                      request_now())
    if work.ok:
        flash(_("ขอบคุณสำหรับความเห็น"), "success")
    return redirect(url_for("bookings.detail", booking_id=record.booking_id))


@bp.get("/admin/feedback")
@require(can_read_all_feedback)
def all_feedback() -> str:
    return render_template("records/feedback.html", page=feedback_page(page_number()))


@bp.post("/bookings/<int:booking_id>/notes")
def add_note(booking_id: int) -> Response:
    booking = get_booking_or_404(booking_id, acting_user())
    with unit_of_work() as work:
        add_internal_note(acting_user(), booking, request.form.get("body", ""), request_now())
    if work.ok:
        flash(_("บันทึกภายในแล้ว"), "success")
    return redirect(url_for("bookings.detail", booking_id=booking_id))


@bp.get("/cases")
@require(can_browse_all_case_files)
def cases() -> str:
    """OPDC's index of every department's case file, those with overdue next steps first."""
    ministries = db.session.scalars(select(Ministry).order_by(Ministry.id)).all()
    chosen = request.args.get("ministry", type=int)
    ministry_id = chosen if chosen in {m.id for m in ministries} else None
    rows = department_overview(current_language(), bangkok_today(request_now()), ministry_id)
    return render_template("records/cases.html", rows=rows, ministries=ministries, ministry_id=ministry_id)


@bp.get("/search")
@require(can_search)
def search() -> tuple[str, int]:
    """Requests, records and next steps that contain the words typed, within what the person may read."""
    form = SearchForm(request.args)
    page, status = None, 200
    if form.q.data:
        with unit_of_work(form, reads_only=True) as work:
            page = search_records(acting_user(), form.q.data, page_number())
        status = work.status
    query = {"q": page.query} if page else {}
    return render_template("records/search.html", form=form, page=page, query=query), status


CASE_FILE_PDF_SESSIONS = 500


def pdf_response(data: bytes, filename: str) -> Response:
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/bookings/<int:booking_id>/record.pdf")
def record_pdf(booking_id: int) -> Response:
    """The published record as a Thai PDF, for whoever may read it; a record not yet published has none (404)."""
    booking = get_booking_or_404(booking_id, acting_user())
    record = record_for(booking)
    revision = record.published if record is not None else None
    if record is None or revision is None or not can_read_record(acting_user(), record):
        abort(404)
    response = pdf_response(pdf.record_pdf(record, revision), f"opdc-record-{booking.reference}-{revision.number}.pdf")
    record_access("record.downloaded", "record_revisions", revision.id, booking.department_id,  # as documents are
                  booking_id=booking.id, revision=revision.number)
    return response


@bp.get("/casefile.pdf")
@require(can_open_case_files)
def case_file_pdf() -> Response:
    """A department's case file as one PDF, for those who may open it (OPDC: any department, given by id)."""
    chosen = request.args.get("department", type=int)
    if chosen is None and can_browse_all_case_files(acting_user()):
        abort(404)  # OPDC names the department
    departments = departments_in_scope(acting_user())
    if chosen is None:
        chosen = acting_user().department_id or (departments[0].id if departments else None)
    department = next((d for d in departments if d.id == chosen), None)
    if department is None:
        abort(404)
    now = request_now()
    # The document holds the whole file, within a bound (the newest CASE_FILE_PDF_SESSIONS sessions).
    whole = load_case_file(department, per_page=CASE_FILE_PDF_SESSIONS, max_items=CASE_FILE_PDF_SESSIONS * 4)
    data = pdf.case_file_pdf(whole, format_datetime(now))
    today = bangkok_today(now)
    response = pdf_response(data, f"opdc-casefile-{department.id}-{today.year + BE_OFFSET}-{today.month:02d}-"
                                  f"{today.day:02d}.pdf")
    record_access("case_file.downloaded", "departments", department.id, department.id)
    return response
