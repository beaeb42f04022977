"""Calendars: a session as an .ics download, an advisor's private feed, and the advisor's page to make, renew and
revoke the feed's address."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from clinic.bookings.ics import CONTENT_TYPE, advisor_feed, booking_calendar
from clinic.bookings.queries import get_booking_or_404
from clinic.scheduling.calendar_feeds import advisor_for_token, feed_of, renew_feed, revoke_feed
from clinic.scheduling.generation import horizon_end
from clinic.scheduling.policies import has_calendar
from clinic.web import acting_user, request_now, require, unit_of_work

bp = Blueprint("calendar", __name__)



def ics_response(body: bytes, cache_control: str, filename: str | None = None) -> Response:
    response = Response(body, content_type=CONTENT_TYPE)
    response.headers["Cache-Control"] = cache_control
    if filename:
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/bookings/<int:booking_id>/calendar.ics")
def booking_ics(booking_id: int) -> Response:
    booking = get_booking_or_404(booking_id, acting_user())
    body = booking_calendar(booking, current_app.config["BASE_URL"], request_now())
    return ics_response(body, "no-store", filename=f"{booking.reference}.ics")


@bp.get("/calendar/<token>.ics")
def feed(token: str) -> Response:
    """Public: the token is the key. A wrong, renewed or revoked token is 404, like any unknown address."""
    advisor = advisor_for_token(token)
    if advisor is None:
        abort(404)
    now = request_now()
    until = horizon_end(now, current_app.config["SLOT_HORIZON_WEEKS"])
    with force_locale(advisor.language):  # no one is signed in: the advisor's own language
        body = advisor_feed(advisor, current_app.config["BASE_URL"], now, until)
    return ics_response(body, "no-store")


def feed_page(token: str | None = None) -> str:
    url = None
    if token:
        url = current_app.config["BASE_URL"].rstrip("/") + url_for("calendar.feed", token=token)
    return render_template("bookings/calendar_feed.html", feed=feed_of(acting_user()), feed_url=url)


@bp.get("/advisor/calendar-feed")
@require(has_calendar)
def feed_settings() -> str:
    return feed_page()


@bp.post("/advisor/calendar-feed/renew")
@require(has_calendar)
def renew() -> Response | tuple[str, int]:
    with unit_of_work() as work:
        token = renew_feed(acting_user(), acting_user(), request_now())
    if not work.ok:
        return redirect(url_for("calendar.feed_settings"))
    # The address is shown on this answer only (only its hash is kept), and the page is not cached (no-store).
    flash(_("สร้างที่อยู่ปฏิทินใหม่แล้ว ที่อยู่เดิม (ถ้ามี) ใช้ไม่ได้อีก"), "success")
    return feed_page(token), 200


@bp.post("/advisor/calendar-feed/revoke")
@require(has_calendar)
def revoke() -> Response:
    with unit_of_work() as work:
        revoked = revoke_feed(acting_user(), acting_user(), request_now())
    if work.ok:
        if revoked:
            flash(_("ยกเลิกที่อยู่ปฏิทินแล้ว"), "success")
        else:
            flash(_("ยังไม่มีที่อยู่ปฏิทิน"), "info")
    return redirect(url_for("calendar.feed_settings"))
