"""Personal data (PDPA B.E. 2562): the privacy notice, for everyone and at first sign-in, and a person's own data
as JSON and as a printable page."""

import json
from datetime import datetime

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from clinic.accounts.models import PRIVACY_NOTICE_VERSION
from clinic.accounts.routes import safe_next
from clinic.accounts.services import acknowledge_privacy_notice
from clinic.audit.forms import action_label
from clinic.i18n import format_datetime
from clinic.privacy.forms import AcknowledgeNoticeForm
from clinic.privacy.services import personal_data, record_export
from clinic.web import acting_user, form_status, request_now, unit_of_work, writes_on_get

bp = Blueprint("privacy", __name__)


@bp.app_template_filter("iso_thai")
def iso_thai(value: str | None) -> str:
    """A time kept as ISO text in the export, shown as on every other page (Buddhist Era, Bangkok time)."""
    return format_datetime(datetime.fromisoformat(value)) if value else ""


@bp.get("/privacy")
def notice() -> tuple[str, int]:
    """The notice (PDPA s.23), open to everyone; a signed-in person who has not acknowledged this version yet gets
    the button to do so, which takes them on to where they were going."""
    form = AcknowledgeNoticeForm(formdata=None, version=PRIVACY_NOTICE_VERSION,
                                 next=safe_next(request.args.get("next")) or "")
    return render_template("privacy/notice.html", form=form, version=PRIVACY_NOTICE_VERSION), 200


@bp.post("/privacy/acknowledge")
def acknowledge() -> Response | tuple[str, int]:
    form = AcknowledgeNoticeForm()
    work = None
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            acknowledge_privacy_notice(acting_user(), form.version.data, request_now())
        if work.ok:
            return redirect(safe_next(form.next.data) or url_for("main.home"))
    return render_template("privacy/notice.html", form=form, version=PRIVACY_NOTICE_VERSION), \
        form_status(form, work=work)


@bp.get("/account/data")
@writes_on_get
def my_data() -> str:
    """Everything the clinic holds about the signed-in person, as a page to read or print."""
    with unit_of_work():
        record_export(acting_user(), "html", request_now())
    return render_template("privacy/my_data.html", data=personal_data(acting_user()), now=request_now(),
                           action_label=action_label)


@bp.get("/account/data.json")
@writes_on_get
def my_data_json() -> Response:
    with unit_of_work():
        record_export(acting_user(), "json", request_now())
    body = json.dumps(personal_data(acting_user()), ensure_ascii=False, indent=2, default=str)
    filename = f"my-data-{current_user.id}-{request_now().date().isoformat()}.json"
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
