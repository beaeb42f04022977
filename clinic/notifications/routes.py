"""The administrator's view of the outbox: failed and pending e-mail, and a button to send one again; and each
person's choice of the e-mails they get."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from clinic.accounts.services import chosen_notifications, notification_kinds_for, set_notifications
from clinic.extensions import db
from clinic.notifications.forms import NotificationsForm
from clinic.notifications.models import OutboxMessage
from clinic.notifications.policies import can_manage_mail
from clinic.notifications.queries import is_being_sent, unsent_mail
from clinic.notifications.services import MAX_ATTEMPTS, requeue
from clinic.web import acting_user, form_status, guard_blueprint, page_number, request_now, unit_of_work

bp = Blueprint("notifications", __name__, url_prefix="/admin/mail")
guard_blueprint(bp, can_manage_mail)


@bp.get("")
def outbox() -> str:
    return render_template("notifications/outbox.html", mail=unsent_mail(page_number()), now=request_now(),
                           is_being_sent=is_being_sent, max_attempts=MAX_ATTEMPTS)


@bp.post("/<int:message_id>/retry")
def retry(message_id: int) -> Response:
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        abort(404)
    with unit_of_work() as work:
        requeue(acting_user(), message, request_now())
    if work.ok:
        flash(_("จะส่งอีเมลถึง %(recipient)s อีกครั้งในไม่ช้า", recipient=message.recipient), "success")
    return redirect(url_for("notifications.outbox", page=request.form.get("page", type=int) or 1))


preferences_bp = Blueprint("notification_preferences", __name__)


@preferences_bp.route("/account/notifications", methods=["GET", "POST"])
def preferences() -> Response | tuple[str, int]:
    """Each signed-in person chooses which e-mails they get (those about their own account always go out)."""
    user = acting_user()
    form = NotificationsForm()
    form.offer(notification_kinds_for(user))
    work = None
    if request.method == "GET":
        form.kinds.data = sorted(kind.value for kind in chosen_notifications(user))
    elif form.validate_on_submit():
        with unit_of_work(form) as work:
            set_notifications(user, form.kinds.data or [], request_now())
        if work.ok:
            flash(_("บันทึกการตั้งค่าการแจ้งเตือนแล้ว"), "success")
            return redirect(url_for("notification_preferences.preferences"))
    return render_template("notifications/preferences.html", form=form), form_status(form, work=work)
