"""Flask-Login wiring: session ids carry the user's session version, checked on every request
(once, when first needed)."""
from functools import wraps

from flask import current_app, has_request_context, request, session
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, UserMixin, current_user

from ..domain.org.accounts import PRINCIPAL_COLUMNS, Principal, session_is_live
from ..domain.org.passwords import Passwords
from ..models import User
from ..web import outside_transaction


class SessionUser(UserMixin):
    """Flask-Login's user: the (id, session version) a session names, checked once per
    request when first needed. Most views need the `User` anyway, so the check is loading it
    (`user`); a hot view checks the same rule inside its own statement instead and says so
    with `confirm` (`claimed_by_view`), which saves the page a round trip and an ORM load."""

    def __init__(self, user_id: int, version: int, user: User | None = None):
        self.claim = (user_id, version)  # what the session names, unchecked
        self._user = user
        self._principal: Principal | None = None
        self._live: bool | None = None if user is None else session_is_live(user, version)
        self._request = _this_request()

    def _for_this_request(self) -> None:
        # Flask-Login keeps its user on `g`, and an app context (so `g`) can outlive a
        # request (a host's, or a test's, pushed around several): a check holds for the
        # request that made it only.
        if self._request is not _this_request():
            self._user, self._principal, self._live = None, None, None
            self._request = _this_request()

    @classmethod
    def of(cls, user: User) -> "SessionUser":
        """The signed-in `user` (at sign-in: loaded and checked already)."""
        return cls(user.id, user.session_version, user)

    @property
    def id(self) -> int:
        """The user's id, once the session is checked live (AttributeError otherwise, as for
        an anonymous user): a host's route sharing the LoginManager never reads an
        unchecked claim."""
        if not self._check():
            raise AttributeError("the session's user is signed out")
        return self.claim[0]

    def get_id(self) -> str | None:
        return f"{self.claim[0]}:{self.claim[1]}" if self._check() else None

    @property
    def is_authenticated(self) -> bool:
        return self._check()

    @property
    def is_active(self) -> bool:
        return self._check()

    @property
    def is_anonymous(self) -> bool:
        return not self._check()

    @property
    def user(self) -> User:
        """The `User` (loaded on first use); AttributeError, as for an anonymous user, when
        the session is no longer live."""
        self._for_this_request()
        if self._user is None and self._live is not False:
            self._load()
        if not self._live:
            raise AttributeError("the session's user is signed out")
        return self._user

    def confirm(self, principal: Principal | None) -> bool:
        """A view's own statement checked `accounts.live_session` for this session: the
        user's `Principal` when it holds, None when it does not (then the request is
        anonymous from here on). Returns whether the session is live."""
        self._for_this_request()
        self._principal, self._live = principal, principal is not None
        return self._live

    def _check(self) -> bool:
        self._for_this_request()
        if self._live is None:
            self._load()
        return self._live

    def _load(self) -> None:
        with outside_transaction() as db:
            user = db.get(User, self.claim[0])
        self._live = session_is_live(user, self.claim[1])
        self._user = user if self._live else None
        if not self._live:
            self._principal = None

    def __getattr__(self, name):
        # Only for names not set in __init__: a confirmed principal answers what it holds
        # (the page's navigation and name) without loading the `User`. Python comes here
        # too when a property raises AttributeError (`user`, `id` of a dead session): that
        # stands, rather than asking `user` again.
        if name.startswith("_") or name in ("user", "id", "claim"):
            raise AttributeError(name)
        if "_request" in self.__dict__:
            self._for_this_request()
        principal = self.__dict__.get("_principal")
        if principal is not None and name in PRINCIPAL_COLUMNS:
            return getattr(principal, name)
        return getattr(self.user, name)


def _this_request():
    return request.environ if has_request_context() else None


def load_user(session_id: str) -> SessionUser | None:
    """The user a session names, unchecked until first needed (`SessionUser`); a session id
    that is not ours names no one."""
    claim = _claim(session_id)
    return None if claim is None else SessionUser(*claim)


def names_user() -> bool:
    """Whether the cookie session names a user in our form ("id:version"), live or not."""
    return _claim(session.get("_user_id")) is not None


def _claim(session_id) -> tuple[int, int] | None:
    try:
        user_id, version = (int(part) for part in session_id.split(":"))
    except (AttributeError, ValueError):
        return None
    return user_id, version


def claimed_by_view(view):
    """`login_required` for a hot view that checks the session in its own statement and
    calls `current_user.confirm` before it uses anything of the user: a request naming no
    one goes to sign-in as ever; one naming a user reaches the view unchecked."""
    @wraps(view)
    def checked_later(*args, **kwargs):
        if not isinstance(current_user._get_current_object(), SessionUser):
            return current_app.login_manager.unauthorized()
        return view(*args, **kwargs)
    return checked_later


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
