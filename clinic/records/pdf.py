"""Records as Thai PDFs: one published record ("บันทึกผลการให้คำปรึกษา", fit to attach to an official memo) and a
department's whole case file (every session, its published guidance, the next steps and their state).

Only published revisions go into a PDF, whoever asks: a PDF is sent on, and a draft is not for sending. Next steps
are those of published records, as the department sees them."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from clinic.bookings.models import Booking
from clinic.i18n import MODE_LABELS, STATUS_LABELS, format_date, format_datetime, format_time, local_name
from clinic.pdf import ThaiDocument
from clinic.records.models import ActionItem, ActionOwner, ActionStatus, ConsultationRecord, RecordRevision
from clinic.records.queries import CaseFile

OWNER_LABELS = {ActionOwner.DEPARTMENT: _l("ส่วนราชการ"), ActionOwner.OPDC: _l("สำนักงาน ก.พ.ร.")}


def _session_lines(booking: Booking) -> list[tuple[str, str]]:
    slot = booking.slot
    place = slot.location or slot.meeting_url
    return [
        (_("เลขที่อ้างอิง"), booking.reference),
        (_("ส่วนราชการ"), f"{local_name(booking.department)} {local_name(booking.department.ministry)}"),
        (_("หัวข้อ"), local_name(booking.topic)),
        (_("วันเวลา"), f"{format_date(slot.starts_at, style='long')} {format_time(slot.starts_at)}–"
                       f"{format_time(slot.ends_at)}"),
        (_("รูปแบบ"), f"{MODE_LABELS.get(slot.mode, slot.mode)}{' · ' + place if place else ''}"),
        (_("ที่ปรึกษา"), slot.advisor.name),
        (_("สถานะ"), str(STATUS_LABELS.get(booking.status, booking.status))),
    ]


def _owner(item: ActionItem) -> str:
    return str(OWNER_LABELS.get(item.owner, item.owner))


def _items(document: ThaiDocument, items: list[ActionItem]) -> None:
    if not items:
        document.paragraph(_("ไม่มีขั้นตอนต่อไป"), size=11)
        return
    document.grid(
        [_("ขั้นตอนต่อไป"), _("ผู้รับผิดชอบ"), _("กำหนดเสร็จ"), _("สถานะ"), _("ความคืบหน้า")],
        [(item.description, _owner(item), format_date(item.due_on), str(STATUS_LABELS.get(item.status, item.status)),
          item.progress_note) for item in items],
        (62, 26, 24, 24, 38), size=10,
    )


def _revision(document: ThaiDocument, revision: RecordRevision) -> None:
    for title, text in ((_("ผู้เข้าร่วม"), revision.attendance), (_("ประเด็นที่หารือ"), revision.issues_raised),
                        (_("คำแนะนำของที่ปรึกษา"), revision.guidance)):
        document.heading(title, 13)
        document.paragraph(text or "-", height=7)
        document.ln(1)


def record_pdf(record: ConsultationRecord, revision: RecordRevision) -> bytes:
    """One published revision of a record, in the reader's language (dates in BE in Thai)."""
    booking = record.booking
    title = _("บันทึกผลการให้คำปรึกษา")
    document = ThaiDocument(title, footer=f"{title} {booking.reference} · {_('ฉบับที่')} {revision.number}")
    document.heading(_("สำนักงานคณะกรรมการพัฒนาระบบราชการ (สำนักงาน ก.พ.ร.)"), 12)
    document.heading(title, 18)
    document.pairs([
        *_session_lines(booking),
        (_("ฉบับที่"), str(revision.number)),
        (_("เผยแพร่เมื่อ"), format_datetime(revision.published_at)),
    ])
    document.ln(3)
    _revision(document, revision)
    document.heading(_("ขั้นตอนต่อไป"), 13)
    _items(document, list(record.action_items))
    return bytes(document.output())


def case_file_pdf(case: CaseFile, now_text: str) -> bytes:
    """Every session of the department, newest first, with its published record and next steps."""
    department = case.department
    title = _("แฟ้มเรื่องของส่วนราชการ")
    name = f"{local_name(department)} {local_name(department.ministry)}"
    document = ThaiDocument(f"{title} {local_name(department)}", footer=f"{title} {local_name(department)}")
    document.heading(title, 18)
    document.heading(name, 14)
    document.paragraph(_("จัดทำเมื่อ %(when)s · %(n)s การจอง", when=now_text, n=len(case.bookings)), size=11)
    published = _published(case)
    open_items = [item for item in case.action_items
                  if item.status != ActionStatus.DONE and item.record.booking_id in published]
    document.paragraph(_("ขั้นตอนต่อไปที่ยังไม่เสร็จ %(n)s รายการ", n=len(open_items)), size=11)
    if not case.bookings:
        document.ln(4)
        document.paragraph(_("ยังไม่มีการจอง"))
    for booking in case.bookings:
        document.ln(4)
        document.set_draw_color(180)
        document.line(document.l_margin, document.get_y(), document.w - document.r_margin, document.get_y())
        document.ln(2)
        document.heading(f"{format_date(booking.slot.starts_at)} · {local_name(booking.topic)}", 14)
        document.pairs(_session_lines(booking))
        revision = published.get(booking.id)
        if revision is None:
            document.paragraph(_("ยังไม่มีบันทึกผลที่เผยแพร่"), size=11)
            continue
        document.paragraph(_("บันทึกผลฉบับที่ %(n)s เผยแพร่เมื่อ %(when)s", n=revision.number,
                             when=format_datetime(revision.published_at)), size=11)
        _revision(document, revision)
        document.heading(_("ขั้นตอนต่อไป"), 13)
        _items(document, [item for item in case.action_items if item.record.booking_id == booking.id])
    return bytes(document.output())


def _published(case: CaseFile) -> dict[int, RecordRevision]:
    """Booking id → its latest published revision."""
    found = {}
    for booking_id, record in case.records.items():
        revision = record.published
        if revision is not None:
            found[booking_id] = revision
    return found
