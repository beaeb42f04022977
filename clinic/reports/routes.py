from flask import Blueprint, abort, render_template
from flask_login import current_user

bp = Blueprint("reports", __name__, url_prefix="/admin/reports")


@bp.before_request
def admins_only():
    if current_user.is_authenticated and current_user.role != "admin":
        abort(403)


@bp.get("/sessions")
def sessions():
    return render_template("reports/sessions.html")
