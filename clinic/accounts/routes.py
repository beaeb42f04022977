from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user

from clinic.accounts.forms import LoginForm
from clinic.accounts.services import authenticate
from clinic.extensions import db, limiter, login_manager

bp = Blueprint("accounts", __name__)


@login_manager.user_loader
def load_user(user_id: str):
    from clinic.accounts.models import User

    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    return user if user is not None and user.is_active else None


def restart_session() -> None:
    """A new session at sign-in and sign-out (no fixation), keeping only the chosen language."""
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language


def safe_next(target: str | None) -> str | None:
    """Only a path on this site, never another host."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def sign_in_key() -> str:
    """Failed sign-ins are counted per address and e-mail: guessing one account's password is slowed down
    without locking out the other people behind a ministry's shared address."""
    return f"{get_remote_address()}|{request.form.get('email', '').strip().lower()[:254]}"


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_RATE_LIMIT"],
    methods=["POST"],
    key_func=sign_in_key,
    deduct_when=lambda response: response.status_code != 302,
)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is None:
            form.password.errors.append(_("อีเมลหรือรหัสผ่านไม่ถูกต้อง"))
        else:
            restart_session()
            login_user(user)
            return redirect(safe_next(request.args.get("next")) or url_for("main.home"))
    return render_template("accounts/login.html", form=form), 200 if not form.errors else 422


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    restart_session()
    flash(_("ออกจากระบบแล้ว"), "info")
    return redirect(url_for("accounts.login"))


@bp.get("/language/<code>")
def set_language(code: str):
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    return redirect(safe_next(request.args.get("next")) or url_for("main.home"))
