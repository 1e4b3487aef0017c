"""Sign in, first-time activation, sign out, language switch."""
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf.csrf import generate_csrf

from ..domain import clock
from ..domain.org import accounts
from ..models import User
from ..web import db_session, unit_of_work
from .forms import ActivateForm, LoginForm
from .service import sign_in
from .session import SessionUser, passwords

auth_bp = Blueprint("auth", __name__)


def safe_next(target: str | None) -> str | None:
    """`target` if it stays on this site (a path, no scheme or host), else None."""
    if not target:
        return None
    target = target.strip().replace("\\", "/")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def start_session(user: User) -> None:
    """A fresh session for `user` (no pre-login session data survives)."""
    lang = session.get("lms_lang")
    session.clear()
    if lang:
        session["lms_lang"] = lang
    login_user(SessionUser.of(user))
    session.permanent = True
    session["lms_auth_at"] = session["lms_seen_at"] = clock.epoch_seconds()
    # A new CSRF secret with the new session (the old one was cleared with it): issued here,
    # it rides on the sign-in's own cookie instead of making the first page send another.
    # Flask-WTF keeps the request's signed token on `g`, made from the old secret: drop it.
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
    generate_csrf()


@auth_bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in with police number and password, or the activation code the first time."""
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        result = sign_in(form.police_no.data, form.password.data,
                         request.remote_addr or "", channel="web")
        if result.blocked:
            flash(_("登录失败次数过多，请 15 分钟后再试。"), "error")
            return render_template("lms/auth/login.html", form=form), 429
        if result.user is not None and result.needs_activation:
            session.clear()
            session["lms_activate_uid"] = result.user.id
            session["lms_activate_next"] = safe_next(form.next.data)
            return redirect(url_for(".activate"))
        if result.user is not None:
            start_session(result.user)
            return redirect(safe_next(form.next.data) or url_for("lms.home.index"))
        flash(_("警号或密码错误。"), "error")
        return render_template("lms/auth/login.html", form=form), 401
    return render_template("lms/auth/login.html", form=form)


@auth_bp.get("/login/help")
def login_help():
    """Whom to ask for a forgotten password: resets go through a person, never self-service."""
    return render_template("lms/auth/help.html", next=safe_next(request.args.get("next")))


@auth_bp.route("/activate", methods=["GET", "POST"])
def activate():
    """Set the first password after signing in with the one-time activation code."""
    user_id = session.get("lms_activate_uid")
    db = db_session()
    user = db.get(User, user_id) if user_id else None
    if not accounts.awaits_activation(user, clock.utcnow()):
        session.pop("lms_activate_uid", None)
        return redirect(url_for(".login"))
    form = ActivateForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                accounts.activate(db, passwords(), user, form.password.data,
                                  ip=request.remote_addr)
        except accounts.PasswordRejected as rejected:
            for problem in rejected.problems:
                form.password.errors.append(_(problem))
        else:
            next_url = session.get("lms_activate_next")
            start_session(user)
            flash(_("密码已设置，欢迎使用铸魂学堂。"), "success")
            return redirect(next_url or url_for("lms.home.index"))
    return render_template("lms/auth/activate.html", form=form, user=user)


@auth_bp.post("/logout")
@login_required
def logout():
    """Sign out everywhere: bumping the session version voids every copy of the cookie."""
    with unit_of_work() as db:
        accounts.sign_out(db, current_user.user, ip=request.remote_addr)
    logout_user()
    session.clear()
    return redirect(url_for(".login"))


@auth_bp.post("/language/<lang>")
def set_language(lang: str):
    """Switch the interface language (zh_Hans_CN or en)."""
    if lang not in ("zh_Hans_CN", "en"):
        abort(404)
    session["lms_lang"] = lang
    return redirect(safe_next(request.form.get("next")) or url_for("lms.home.index"))
