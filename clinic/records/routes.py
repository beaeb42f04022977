from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from clinic.bookings.queries import get_booking_or_404
from clinic.errors import DomainError
from clinic.extensions import db
from clinic.records.forms import ActionItemForm, RecordForm
from clinic.records.models import ActionItem, RecordRevision
from clinic.records.policies import can_read_record, can_write_record
from clinic.records.services import (
    RecordContent,
    acknowledge,
    add_action_item,
    add_internal_note,
    internal_notes,
    publish_record,
    record_for,
    save_draft,
    update_action_item,
)
from clinic.web import request_now, show_error

bp = Blueprint("records", __name__)


def attendee_choices(booking) -> list[SelectChoice]:
    return [SelectChoice(a.id, f"{a.name} ({a.position})") for a in booking.attendees]


ITEM_PREFIX = "item"


def render_editor(booking, form, item_form, status=200, record=None):
    """The editor page; `record` is loaded unless the caller has it already."""
    return render_template(
        "records/edit.html", booking=booking, record=record or record_for(booking), form=form, item_form=item_form,
        notes=internal_notes(booking),
    ), status


@bp.route("/bookings/<int:booking_id>/record", methods=["GET", "POST"])
def edit(booking_id: int):
    """One form for the whole record: saving a draft, adding a next step and publishing all keep what was typed."""
    booking = get_booking_or_404(booking_id, current_user)
    if not can_write_record(current_user, booking):
        abort(403)
    form = RecordForm()
    form.attended.choices = attendee_choices(booking)
    item_form = ActionItemForm(prefix=ITEM_PREFIX)
    if request.method == "GET":
        record = record_for(booking)
        source = (record.draft or record.published) if record else None
        if source:
            form.attendance.data = source.attendance
            form.issues_raised.data = source.issues_raised
            form.guidance.data = source.guidance
        form.attended.data = [a.id for a in booking.attendees if a.attended]
        return render_editor(booking, form, item_form, record=record)

    adding_item = bool(request.form.get("add_item"))
    publishing = bool(request.form.get("publish"))
    valid = form.validate_on_submit()
    if adding_item and not item_form.validate():
        valid = False
    if not valid:
        return render_editor(booking, form, item_form, 422)
    now = request_now()
    content = RecordContent(form.attendance.data or "", form.issues_raised.data or "", form.guidance.data or "")
    try:
        save_draft(current_user, booking, content, set(form.attended.data or []), now)
        if (form.internal_note.data or "").strip():
            add_internal_note(current_user, booking, form.internal_note.data, now)
        if adding_item:
            add_action_item(current_user, booking, item_form.description.data, item_form.owner.data,
                            item_form.due_on.data, now)
        if publishing:
            db.session.flush()
            publish_record(current_user, record_for(booking), now)
    except DomainError as error:
        db.session.rollback()
        target = item_form if adding_item and getattr(item_form, error.field or "", None) is not None else form
        return render_editor(booking, form, item_form, show_error(error, target))
    db.session.commit()
    if publishing:
        flash(_("เผยแพร่บันทึกผลให้ส่วนราชการแล้ว"), "success")
        return redirect(url_for("bookings.detail", booking_id=booking.id))
    flash(_("เพิ่มขั้นตอนต่อไปและบันทึกร่างแล้ว") if adding_item else _("บันทึกร่างแล้ว"), "success")
    return redirect(url_for("records.edit", booking_id=booking.id))


@bp.post("/revisions/<int:revision_id>/acknowledge")
def acknowledge_revision(revision_id: int):
    revision = db.session.get(RecordRevision, revision_id)
    if revision is None or not can_read_record(current_user, revision.record) or revision.published_at is None:
        abort(404)
    booking = revision.record.booking
    try:
        acknowledge(current_user, revision, request_now())
    except DomainError as error:
        db.session.rollback()
        show_error(error)
    else:
        db.session.commit()
        flash(_("รับทราบคำแนะนำแล้ว"), "success")
    return redirect(url_for("bookings.detail", booking_id=booking.id))


@bp.post("/action-items/<int:item_id>")
def update_item(item_id: int):
    item = db.session.get(ActionItem, item_id)
    if item is None or not can_read_record(current_user, item.record):
        abort(404)
    try:
        update_action_item(current_user, item, request.form.get("status", ""), request.form.get("note", ""), request_now())
    except DomainError as error:
        db.session.rollback()
        show_error(error)
        return redirect(url_for("bookings.detail", booking_id=item.record.booking_id))
    db.session.commit()
    flash(_("ปรับสถานะแล้ว"), "success")
    return redirect(url_for("bookings.detail", booking_id=item.record.booking_id))


@bp.post("/bookings/<int:booking_id>/notes")
def add_note(booking_id: int):
    booking = get_booking_or_404(booking_id, current_user)
    try:
        add_internal_note(current_user, booking, request.form.get("body", ""), request_now())
    except DomainError as error:
        db.session.rollback()
        show_error(error)
    else:
        db.session.commit()
        flash(_("บันทึกภายในแล้ว"), "success")
    return redirect(url_for("bookings.detail", booking_id=booking.id))
