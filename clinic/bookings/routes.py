from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_from_directory, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from clinic.accounts.policies import is_department_user
from clinic.bookings import documents
from clinic.bookings.forms import BookingForm, ReasonForm
from clinic.bookings.queries import case_file as load_case_file
from clinic.bookings.queries import departments_in_scope, get_booking_or_404, get_document_or_404
from clinic.bookings.services import (
    AttendeeInput,
    BookingRequest,
    book_slot,
    cancel_booking,
    confirm_booking,
    decline_booking,
)
from clinic.errors import DomainError
from clinic.extensions import db
from clinic.organisations.models import Topic
from clinic.records.policies import can_read_internal_notes
from clinic.records.services import internal_notes, record_for
from clinic.scheduling.models import Slot
from clinic.scheduling.services import open_slots_for_topic, slot_is_bookable
from clinic.web import request_now, show_error

bp = Blueprint("bookings", __name__)


def require_department_user() -> None:
    if not is_department_user(current_user):
        abort(403)


def get_topic_or_404(topic_id: int) -> Topic:
    topic = db.session.get(Topic, topic_id)
    if topic is None or not topic.is_active:
        abort(404)
    return topic


@bp.get("/book")
def choose_topic():
    require_department_user()
    topics = db.session.scalars(select(Topic).where(Topic.is_active).order_by(Topic.id)).all()
    return render_template("bookings/choose_topic.html", topics=topics)


@bp.get("/book/<int:topic_id>")
def open_slots(topic_id: int):
    require_department_user()
    topic = get_topic_or_404(topic_id)
    return render_template("bookings/open_slots.html", topic=topic, open_slots=open_slots_for_topic(topic, request_now()))


@bp.route("/book/<int:topic_id>/slots/<int:slot_id>", methods=["GET", "POST"])
def book(topic_id: int, slot_id: int):
    require_department_user()
    topic = get_topic_or_404(topic_id)
    slot = db.session.get(Slot, slot_id)
    if slot is None:
        abort(404)
    now = request_now()
    departments = departments_in_scope(current_user)
    if not departments:
        abort(404)
    form = BookingForm()
    form.department.choices = [SelectChoice(d.id, d.name_th) for d in departments]
    if request.method == "GET":
        form.department.data = current_user.department_id or departments[0].id
        if not slot_is_bookable(slot, topic, now):
            flash(_("ช่วงเวลานี้ไม่เปิดให้จองแล้ว"), "warning")
            return redirect(url_for("bookings.open_slots", topic_id=topic.id))
    status = 200
    if form.validate_on_submit():
        department = next((d for d in departments if d.id == form.department.data), None)
        if department is None:
            form.department.errors = [_("เลือกส่วนราชการในความรับผิดชอบของคุณ")]
            status = 422
        else:
            max_upload = current_app.config["MAX_UPLOAD_BYTES"]
            storage = form.document.data
            upload = documents.read_upload(storage, getattr(storage, "filename", None), max_upload)
            booking_request = BookingRequest(
                slot=slot,
                department=department,
                topic=topic,
                request_details=form.request_details.data or "",
                attendees=[AttendeeInput(a.form.name.data or "", a.form.position.data or "") for a in form.attendees],
                document=upload,
            )
            try:
                booking = book_slot(current_user, booking_request, now, current_app.config["UPLOAD_FOLDER"], max_upload)
            except DomainError as error:
                db.session.rollback()
                status = show_error(error, form)
            else:
                db.session.commit()
                flash(_("ส่งคำขอจองแล้ว"), "success")
                return redirect(url_for("bookings.detail", booking_id=booking.id))
    elif request.method == "POST":
        status = 422
    return render_template("bookings/book.html", form=form, topic=topic, slot=slot), status


def render_detail(booking, cancel_form: ReasonForm, decline_form: ReasonForm, status: int = 200):
    notes = internal_notes(booking) if can_read_internal_notes(current_user) else []
    return render_template(
        "bookings/detail.html", booking=booking, record=record_for(booking), notes=notes, cancel_form=cancel_form,
        decline_form=decline_form, now=request_now(),
    ), status


@bp.get("/bookings/<int:booking_id>")
def detail(booking_id: int):
    booking = get_booking_or_404(booking_id, current_user)
    return render_detail(booking, ReasonForm(prefix="cancel"), ReasonForm(prefix="decline"))


def decide(booking_id: int, action, prefix: str = "cancel"):
    """Load, act, commit; a refusal re-renders the booking with the message next to the reason it concerns."""
    booking = get_booking_or_404(booking_id, current_user)
    forms = {"cancel": ReasonForm(prefix="cancel"), "decline": ReasonForm(prefix="decline")}
    try:
        action(booking, forms[prefix])
    except DomainError as error:
        db.session.rollback()
        status = show_error(error, forms[prefix])
        return render_detail(booking, forms["cancel"], forms["decline"], status)
    db.session.commit()
    return redirect(url_for("bookings.detail", booking_id=booking.id))


@bp.post("/bookings/<int:booking_id>/cancel")
def cancel(booking_id: int):
    def action(booking, form):
        cancel_booking(current_user, booking, form.reason.data or "", request_now())
        flash(_("ยกเลิกการจองแล้ว"), "success")

    return decide(booking_id, action, "cancel")


@bp.post("/bookings/<int:booking_id>/confirm")
def confirm(booking_id: int):
    def action(booking, _form):
        confirm_booking(current_user, booking, request_now())
        flash(_("ยืนยันนัดหมายแล้ว"), "success")

    return decide(booking_id, action, "decline")


@bp.post("/bookings/<int:booking_id>/decline")
def decline(booking_id: int):
    def action(booking, form):
        decline_booking(current_user, booking, form.reason.data or "", request_now())
        flash(_("ปฏิเสธคำขอแล้ว"), "success")

    return decide(booking_id, action, "decline")


@bp.get("/documents/<int:document_id>")
def document(document_id: int):
    doc = get_document_or_404(document_id, current_user)
    return send_from_directory(  # a file missing from the disk is a 404, not a 500
        current_app.config["UPLOAD_FOLDER"], doc.stored_name, mimetype=documents.MIME_TYPES[doc.kind],
        as_attachment=True, download_name=doc.filename,
    )


@bp.get("/casefile")
def case_file():
    require_department_user()
    departments = departments_in_scope(current_user)
    if not departments:
        abort(404)
    chosen = request.args.get("department", type=int)
    if chosen is None:
        department = next((d for d in departments if d.id == current_user.department_id), departments[0])
    else:
        department = next((d for d in departments if d.id == chosen), None)
        if department is None:
            abort(404)
    return render_template(
        "bookings/case_file.html", case=load_case_file(department), departments=departments, now=request_now()
    )
