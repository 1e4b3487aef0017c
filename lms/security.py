"""Session limits and security headers for the LMS's own routes."""
from urllib.parse import unquote_to_bytes

from flask import current_app, render_template, request, session
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from . import errors
from .auth.session import names_user
from .domain import clock, text

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
       "form-action 'self'; frame-ancestors 'self'")


# Every response of the LMS carries these unless the view set its own (see set_headers).
SECURITY_HEADERS = (("Content-Security-Policy", CSP), ("X-Content-Type-Options", "nosniff"),
                    ("Referrer-Policy", "same-origin"), ("X-Frame-Options", "SAMEORIGIN"))
_SECURITY_NAMES = tuple(name.lower() for name, _value in SECURITY_HEADERS)
NO_STORE = ("Cache-Control", "no-store")
REMEMBER_COOKIE = "remember_token"  # Flask-Login's default name; the LMS never sets one


def is_lms_request() -> bool:
    """Whether the current request is routed to one of our blueprints (an endpoint
    "lms.<...>": the same as its blueprint's first name being "lms", without the splits)."""
    endpoint = request.endpoint
    return endpoint is not None and endpoint.startswith("lms.")


def enforce_session_limits():
    """End a session idle for longer than LMS_IDLE_TIMEOUT or older than its absolute limit.

    A hook of the LMS's parent blueprint, so it runs for the LMS's own routes only."""
    if request.endpoint.startswith("lms.api."):
        return None  # the API authenticates bearer tokens only and never reads the session
    if not names_user() and (not _may_be_signed_in() or not current_user.is_authenticated):
        return None
    # A session naming a user is held to its limits on its own times, without checking the
    # user yet (that is done once, where the request first needs it: `auth.session`); an
    # expired session that named a stale user is simply ended here instead of later.
    now = clock.epoch_seconds()
    config = current_app.config
    started, seen = session.get("lms_auth_at", 0), session.get("lms_seen_at", 0)
    idle = config["LMS_IDLE_TIMEOUT"].total_seconds()
    absolute = config["PERMANENT_SESSION_LIFETIME"].total_seconds()
    if now - seen > idle or now - started > absolute:
        logout_user()
        session.clear()
        return None
    if now - seen > 30:  # refresh rarely: each refresh re-sends the cookie
        session["lms_seen_at"] = now
    return None


def _may_be_signed_in() -> bool:
    """False when no one can be signed in: the session names no user and no remember
    cookie came (the LMS sets none; a host's might). Asking `current_user` instead would
    make Flask-Login hash the client's address and agent (session protection) only to
    answer "anonymous" — on every probe, static file and signed-out page."""
    if session.get("_user_id") is not None:
        return True
    if not request.environ.get("HTTP_COOKIE"):
        return False  # no cookies at all: not even parsed
    return current_app.config.get("REMEMBER_COOKIE_NAME", REMEMBER_COOKIE) in request.cookies


def refuse_invalid_text():
    """400 when the path, query string or url-encoded form holds text that is not valid:
    bytes that are not UTF-8, NUL or a lone surrogate (see `domain.text`).

    Checked on the raw bytes, since Werkzeug keeps an invalid %-escape as the literal text
    "%FF" and turns invalid bytes in the path into U+FFFD. JSON bodies are checked by the
    API's one parser (`api.common.json_body`), uploaded files by `domain.csvfile`;
    multipart text fields are decoded by Werkzeug with U+FFFD replacement, so only NUL is
    left to refuse there.
    """
    environ = request.environ
    if (_plain(environ.get("REQUEST_URI") or environ.get("RAW_URI") or _wsgi_path(environ))
            and _plain(environ.get("QUERY_STRING", "")) and not environ.get("CONTENT_TYPE")):
        return None  # nearly every request: nothing escaped, nothing outside ASCII, no body
    if not is_lms_request() and not errors.is_api_request():
        return None
    valid = (text.utf8_text(_raw_path()) is not None
             and text.is_valid_urlencoded(request.query_string))
    if valid and request.mimetype == "application/x-www-form-urlencoded":
        valid = text.is_valid_urlencoded(request.get_data(cache=True))
    elif valid and request.mimetype == "multipart/form-data":
        valid = all(text.is_valid_text(item) for key, values in request.form.lists()
                    for item in (key, *values))
    if valid:
        return None
    if errors.is_api_request():
        return errors.json_error(400, "invalid_text", INVALID_TEXT_API)
    return render_template("lms/error.html", code=400, message=_(
        "提交的内容含有无效字符（不是合法的 Unicode 文本），请检查后重新输入。")), 400


INVALID_TEXT_API = "请求含有无效文本：不是合法的 UTF-8/Unicode，或含有 NUL 字符"


def _plain(wsgi_text: str) -> bool:
    """Whether a path or query string (a WSGI string: bytes as latin-1 code points) is
    valid text as it stands: ASCII without NUL and without %-escapes to decode."""
    return wsgi_text.isascii() and "%" not in wsgi_text and "\x00" not in wsgi_text


def _raw_path() -> bytes:
    """The request path as the client sent it, %-escapes decoded, before any replacement."""
    environ = request.environ
    uri = environ.get("REQUEST_URI") or environ.get("RAW_URI")  # gunicorn, Werkzeug, uWSGI
    try:
        if uri:
            return unquote_to_bytes(uri.encode("latin-1").split(b"?", 1)[0])
        # PEP 3333: PATH_INFO carries the undecoded bytes as latin-1 code points.
        return _wsgi_path(environ).encode("latin-1")
    except UnicodeEncodeError:
        return b"\xff"  # not a WSGI string at all: refuse


def _wsgi_path(environ) -> str:
    return environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")


def _mount() -> str:
    return current_app.extensions["lms"].url_prefix


def under_mount() -> bool:
    """Whether the path is inside the LMS's mount point, routed or not (404/405 included)."""
    prefix = _mount()
    return not prefix or request.path == prefix or request.path.startswith(prefix + "/")


def set_headers(response):
    """CSP without inline script, nosniff, referrer policy; personal pages are never cached.
    Also on error answers for unknown paths and methods under the mount point."""
    if not (is_lms_request() or under_mount()):
        return response
    headers = response.headers
    # One pass over the headers the view set, rather than a search per header
    # (`Headers.setdefault` raises and catches a KeyError for each one missing).
    present = {name.lower() for name, _value in headers}
    headers.extend([pair for pair, name in zip(SECURITY_HEADERS, _SECURITY_NAMES)
                    if name not in present])
    if request.endpoint != "lms.static":
        if "cache-control" in present:
            headers["Cache-Control"] = "no-store"
        else:
            headers.add(*NO_STORE)
    return response


def init_app(app) -> None:
    """Install the hooks."""
    # First of all hooks: CSRF protection (registered earlier) parses the form, after which
    # the raw body is gone and an invalid %-escape is indistinguishable from typed "%FF".
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_invalid_text)
    # A hook of the parent blueprint "lms" (registered before this), so it runs for the
    # LMS's own routes only: after the app-wide hooks, before the LMS's CSRF check, as when
    # it was the last app-wide hook and asked `is_lms_request()` itself.
    app.before_request_funcs.setdefault("lms", []).insert(0, enforce_session_limits)
    app.after_request(set_headers)
