from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from clinic.accounts.forms import LoginForm
from clinic.accounts.models import User
from clinic.accounts.services import authenticate, sign_out
from clinic.accounts.services import set_language as store_language
from clinic.extensions import db, limiter, login_manager
from clinic.web import acting_user, request_now, unit_of_work, writes_on_get

bp = Blueprint("accounts", __name__)


# What a signed-in session remembers besides Flask-Login's user id: the user's session version when it began, and
# when it began and was last used (POSIX seconds), for the idle and absolute timeouts.
SESSION_VERSION, SIGNED_IN_AT, SEEN_AT = "session_version", "signed_in_at", "seen_at"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The session's user, unless the account was deactivated or its sessions were ended since this one began."""
    user = db.session.get(User, int(user_id)) if user_id.isdigit() and len(user_id) < 12 else None
    if user is None or not user.is_active or session.get(SESSION_VERSION) != user.session_version:
        return None
    return user


def begin_session(user: User) -> None:
    now = request_now().timestamp()
    session[SESSION_VERSION] = user.session_version
    session[SIGNED_IN_AT] = session[SEEN_AT] = now


@bp.before_app_request
def end_expired_session() -> Response | None:
    """A session unused for SESSION_IDLE_TIMEOUT, or older than SESSION_ABSOLUTE_TIMEOUT, ends: the next request
    meets the sign-in page, and after signing in goes back where it was headed."""
    if request.endpoint in (None, "static") or "_user_id" not in session:
        return None
    now = request_now().timestamp()
    config = current_app.config
    idle = now - float(session.get(SEEN_AT, 0)) > config["SESSION_IDLE_TIMEOUT"].total_seconds()
    too_old = now - float(session.get(SIGNED_IN_AT, 0)) > config["SESSION_ABSOLUTE_TIMEOUT"].total_seconds()
    if idle or too_old:
        logout_user()
        restart_session()
        flash(_("หมดเวลาการใช้งาน กรุณาเข้าสู่ระบบอีกครั้ง"), "warning")
        if request.method == "GET":
            return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
        return redirect(url_for("accounts.login"))
    if now - float(session.get(SEEN_AT, 0)) > 60:  # rewrite the cookie at most once a minute
        session[SEEN_AT] = now
    return None


# session["lang"] is the language of the pages; session[CHOSEN_SIGNED_OUT] says a visitor picked it with the
# switch before signing in (rather than inheriting it from whoever signed out of this browser last).
CHOSEN_SIGNED_OUT = "lang_chosen_signed_out"


def restart_session() -> None:
    """A new session at sign-in and sign-out (no fixation), keeping only the chosen language."""
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language


def take_language_at_sign_in(user) -> None:
    """A language chosen before signing in wins and is kept on the user; otherwise the user's stored
    language becomes the session's (so English pages follow someone who chose English last time)."""
    chosen = session.get("lang") if session.get(CHOSEN_SIGNED_OUT) else None
    if chosen is not None and chosen in current_app.config["LANGUAGES"]:
        store_language(user, user, str(chosen), request_now())
    else:
        session["lang"] = user.language


MAX_NEXT = 2000


def safe_next(target: str | None) -> str | None:
    """Only a path on this site, never another host. Control characters (a CR/LF would split the Location header)
    and backslashes (browsers read `/\\evil.example` as another host) make the whole target unsafe."""
    if not target or len(target) > MAX_NEXT or "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
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
            with unit_of_work(form):
                take_language_at_sign_in(user)
            restart_session()
            login_user(user)
            begin_session(user)
            return redirect(safe_next(request.args.get("next")) or url_for("main.home"))
    return render_template("accounts/login.html", form=form), 200 if not form.errors else 422


@bp.post("/logout")
@login_required
def logout() -> Response:
    with unit_of_work():
        sign_out(acting_user(), request_now())
    logout_user()
    restart_session()
    flash(_("ออกจากระบบแล้ว"), "info")
    return redirect(url_for("accounts.login"))


@bp.get("/language/<code>")
@writes_on_get
def set_language(code: str):
    """The language switch: for this session, and kept on the signed-in user for later sign-ins and e-mails."""
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
        if current_user.is_authenticated:
            with unit_of_work():
                store_language(acting_user(), acting_user(), code, request_now())
        else:
            session[CHOSEN_SIGNED_OUT] = True
    return redirect(safe_next(request.args.get("next")) or url_for("main.home"))
