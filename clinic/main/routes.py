from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user

from clinic.accounts.models import Role

bp = Blueprint("main", __name__)

HOME_BY_ROLE = {
    Role.OFFICER: "bookings.case_file",
    Role.COORDINATOR: "bookings.case_file",
    Role.ADVISOR: "scheduling.sessions",
    Role.ADMIN: "reports.sessions",
}


@bp.get("/")
def home():
    if current_user.is_authenticated:
        return redirect(url_for(HOME_BY_ROLE[current_user.role]))
    return render_template("main/home.html")


@bp.get("/healthz")
def health():
    return {"status": "ok"}
