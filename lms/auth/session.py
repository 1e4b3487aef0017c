"""Flask-Login wiring: session ids carry the user's session version, checked on every request."""
from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, UserMixin

from ..domain.org.passwords import Passwords
from ..models import User
from ..web import outside_transaction


class SessionUser(UserMixin):
    """Flask-Login's view of a `User`; the id embeds the session version."""

    def __init__(self, user: User):
        self.user = user

    def get_id(self) -> str:
        return f"{self.user.id}:{self.user.session_version}"

    @property
    def is_active(self) -> bool:
        return bool(self.user.active)

    def __getattr__(self, name):
        return getattr(self.user, name)


def load_user(session_id: str) -> SessionUser | None:
    """Reload the user of a session; a stale session version means signed out."""
    try:
        user_id, version = (int(part) for part in session_id.split(":"))
    except ValueError:
        return None
    with outside_transaction() as db:
        user = db.get(User, user_id)
    if user is None or not user.active or user.session_version != version:
        return None
    return SessionUser(user)


def init_login(login_manager: LoginManager) -> None:
    """Point Flask-Login at our loader and sign-in page."""
    login_manager.user_loader(load_user)
    login_manager.login_view = "lms.auth.login"
    # Flask-Login's default flash is English; ours is translated when it is flashed.
    login_manager.login_message = _l("请先登录，再访问此页面。")
    login_manager.login_message_category = "info"
    login_manager.localize_callback = str  # the lazy message, in the request's language
    login_manager.session_protection = "basic"


def passwords() -> Passwords:
    """The app's argon2id hasher, built once from LMS_ARGON2."""
    state = current_app.extensions["lms"]
    if "passwords" not in state.extras:
        state.extras["passwords"] = Passwords(**current_app.config["LMS_ARGON2"],
                                              pepper=current_app.config["SECRET_KEY"])
    return state.extras["passwords"]
