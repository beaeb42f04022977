from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from clinic.accounts import services, sso
from clinic.accounts.forms import PASSWORD_HELP, ChangePasswordForm, ForgotPasswordForm, LoginForm, SetPasswordForm
from clinic.accounts.models import User
from clinic.accounts.policies import can_change_password
from clinic.accounts.services import authenticate, sign_out
from clinic.accounts.services import set_language as store_language
from clinic.accounts.tokens import LinkRefused, Purpose, lifetime, user_for_token
from clinic.extensions import db, limiter, login_manager
from clinic.web import acting_user, form_status, request_now, require, unit_of_work, writes_on_get

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


def after_sign_in(user: User, target: str | None) -> str:
    """Where a sign-in leads: where the person was going, but first, once per version, the privacy notice."""
    destination = safe_next(target) or url_for("main.home")
    if user.needs_privacy_notice:
        return url_for("privacy.notice", next=destination)
    return destination


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
    if not current_app.config["PASSWORD_SIGN_IN"]:  # single sign-on only
        if request.method == "POST":
            abort(404)
        return render_template("accounts/login.html", form=form, sso_name=sso_name()), 200
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is None:
            with unit_of_work():  # the refusal is recorded although the page answers 422
                services.sign_in_failed(form.email.data, request_now())
            form.password.errors.append(_("อีเมลหรือรหัสผ่านไม่ถูกต้อง"))
        else:
            with unit_of_work(form):
                take_language_at_sign_in(user)
                services.signed_in(user, request_now())
            restart_session()
            login_user(user)
            begin_session(user)
            return redirect(after_sign_in(user, request.args.get("next")))
    return render_template("accounts/login.html", form=form, sso_name=sso_name()), 200 if not form.errors else 422


def sso_name() -> str | None:
    """The label of the single sign-on button, when single sign-on is set up."""
    return current_app.config["OIDC_PROVIDER_NAME"] if current_app.config.get("OIDC_ISSUER") else None


# -- single sign-on (OpenID Connect) --------------------------------------------------------------------------------

SSO_NEXT = "sso_next"


def sso_refusal(message: object, status: int) -> tuple[str, int]:
    return render_template("accounts/sso_refused.html", message=message), status


@bp.get("/login/sso")
def sso_start() -> Response | tuple[str, int]:
    """Off to the provider, with a new state, nonce and PKCE verifier kept in this browser's session."""
    oidc = sso.client()
    if oidc is None:
        abort(404)
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    session[SSO_NEXT] = safe_next(request.args.get("next")) or ""
    for key in [key for key in session if key.startswith(sso.STATE_PREFIX)]:
        # One sign-in at a time per browser: the state of one begun earlier goes, or every click on the button would
        # add one to the cookie until browsers dropped it (over 4 KB).
        session.pop(key)
    try:
        return oidc.authorize_redirect(sso.callback_url())
    except sso.PROTOCOL_FAILURES as error:
        current_app.logger.warning("single sign-on: the provider cannot be reached: %s", error)
        return sso_refusal(_("ติดต่อผู้ให้บริการยืนยันตัวตนไม่ได้ในขณะนี้ กรุณาลองใหม่ภายหลัง"), 503)


@bp.get("/login/sso/callback")
@writes_on_get
def sso_callback() -> Response | tuple[str, int]:
    """Back from the provider: the state must be one this browser started, the code is exchanged with its PKCE
    verifier, the ID token's signature, issuer, audience and nonce are checked; then the verified e-mail must be an
    active account's. Every refusal is audited and changes nothing else."""
    oidc = sso.client()
    if oidc is None:
        abort(404)
    now, issuer = request_now(), sso.issuer()
    try:
        claims = sso.identity(oidc, oidc.authorize_access_token())
    except sso.PROTOCOL_FAILURES as error:
        current_app.logger.warning("single sign-on refused: %s: %s", type(error).__name__, error)
        with unit_of_work():
            services.single_sign_on_refused(f"protocol: {type(error).__name__}", {}, issuer, now)
        return sso_refusal(_("การเข้าสู่ระบบผ่านผู้ให้บริการยืนยันตัวตนไม่สำเร็จ (ลิงก์หมดอายุ ถูกแก้ไข หรือถูกใช้ไปแล้ว) "
                             "กรุณาเริ่มใหม่จากหน้าเข้าสู่ระบบ"), 400)
    try:
        user = services.user_for_single_sign_on(claims)
    except services.SingleSignOnRefused as refusal:
        with unit_of_work():
            services.single_sign_on_refused(refusal.reason, claims, issuer, now)
        return sso_refusal(refusal.message, refusal.status_code)
    target = session.get(SSO_NEXT) or None
    with unit_of_work():
        take_language_at_sign_in(user)
        services.signed_in_with_single_sign_on(user, issuer, str(claims["sub"]), now)
    restart_session()
    login_user(user)
    begin_session(user)  # the session carries the user's session version, as a password sign-in's does
    return redirect(after_sign_in(user, target))


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


# -- passwords ----------------------------------------------------------------------------------------------------


def own_account_key() -> str:
    return f"account|{current_user.get_id()}"


@bp.route("/account/password", methods=["GET", "POST"])
@require(can_change_password)
@limiter.limit(  # guessing the current password here is guessing a sign-in: the same limit
    lambda: current_app.config["LOGIN_RATE_LIMIT"],
    methods=["POST"],
    key_func=own_account_key,
    deduct_when=lambda response: response.status_code != 302,
)
def change_password() -> Response | tuple[str, int]:
    form = ChangePasswordForm()
    work = None
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            services.change_password(acting_user(), form.current_password.data, form.new_password.data, request_now())
        if work.ok:
            begin_session(acting_user())  # every other session has ended; this browser stays signed in
            flash(_("เปลี่ยนรหัสผ่านแล้ว เครื่องอื่นที่เข้าสู่ระบบไว้ได้ออกจากระบบแล้ว"), "success")
            return redirect(url_for("accounts.change_password"))
    return render_template("accounts/change_password.html", form=form, password_help=PASSWORD_HELP), \
        form_status(form, work=work)


def reset_request_key() -> str:
    """Forgotten-password e-mails are counted per address asked for, whoever asks and from wherever."""
    email = request.form.get("email", "").strip().lower()[:254]
    return f"reset|{email}" if email else f"reset-from|{get_remote_address()}"


@bp.route("/account/password/forgot", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["PASSWORD_RESET_RATE_LIMIT"], methods=["POST"], key_func=reset_request_key)
def forgot_password() -> Response | tuple[str, int]:
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        with unit_of_work(form):
            services.request_password_reset(form.email.data, request_now())
        # The same answer whether or not the address has an account.
        minutes = int(lifetime(Purpose.PASSWORD_RESET).total_seconds() // 60)
        flash(_("หากอีเมลนี้มีบัญชีในระบบ เราได้ส่งลิงก์ตั้งรหัสผ่านใหม่ไปให้แล้ว กรุณาตรวจกล่องอีเมล "
                "ลิงก์ใช้ได้ครั้งเดียวภายใน %(minutes)s นาที", minutes=minutes), "info")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot_password.html", form=form), form_status(form)


def set_password_page(token: str, purpose: Purpose) -> Response | tuple[str, int]:
    """The page a reset link or an invitation link opens: the new password twice, or why the link cannot be used."""
    now = request_now()
    try:
        user = user_for_token(token, purpose, now)
    except LinkRefused as refusal:
        return render_template("accounts/link_refused.html", message=refusal.message, purpose=purpose), \
            refusal.status_code
    form = SetPasswordForm()
    work = None
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            if purpose == Purpose.INVITATION:
                services.accept_invitation(token, form.new_password.data, now)
            else:
                services.reset_password(token, form.new_password.data, now)
        if work.ok:
            flash(_("ตั้งรหัสผ่านแล้ว เข้าสู่ระบบด้วยอีเมลและรหัสผ่านใหม่ได้เลย"), "success")
            return redirect(url_for("accounts.login"))
        if isinstance(work.error, LinkRefused):  # used up by another request meanwhile
            return render_template("accounts/link_refused.html", message=work.error.message, purpose=purpose), \
                work.status
    return render_template("accounts/set_password.html", form=form, user=user, purpose=purpose,
                           password_help=PASSWORD_HELP), form_status(form, work=work)


@bp.route("/account/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> Response | tuple[str, int]:
    return set_password_page(token, Purpose.PASSWORD_RESET)


@bp.route("/account/invitation/<token>", methods=["GET", "POST"])
def accept_invitation(token: str) -> Response | tuple[str, int]:
    return set_password_page(token, Purpose.INVITATION)
