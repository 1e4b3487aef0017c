"""Session limits and security headers for the LMS's own routes."""
from urllib.parse import unquote_to_bytes

from flask import current_app, render_template, request, session
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from . import errors
from .domain import clock, text

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
       "form-action 'self'; frame-ancestors 'self'")


def is_lms_request() -> bool:
    """Whether the current request is routed to one of our blueprints."""
    return (request.blueprint or "").split(".")[0] == "lms"


def enforce_session_limits():
    """End a session idle for longer than LMS_IDLE_TIMEOUT or older than its absolute limit."""
    if not is_lms_request() or (request.blueprint or "").startswith("lms.api"):
        return None  # the API authenticates bearer tokens only and never reads the session
    if not current_user.is_authenticated:
        return None
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


def refuse_invalid_text():
    """400 when the path, query string or url-encoded form holds text that is not valid:
    bytes that are not UTF-8, NUL or a lone surrogate (see `domain.text`).

    Checked on the raw bytes, since Werkzeug keeps an invalid %-escape as the literal text
    "%FF" and turns invalid bytes in the path into U+FFFD. JSON bodies are checked by the
    API's one parser (`api.common.json_body`), uploaded files by `domain.csvfile`;
    multipart text fields are decoded by Werkzeug with U+FFFD replacement, so only NUL is
    left to refuse there.
    """
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


def _raw_path() -> bytes:
    """The request path as the client sent it, %-escapes decoded, before any replacement."""
    environ = request.environ
    uri = environ.get("REQUEST_URI") or environ.get("RAW_URI")  # gunicorn, Werkzeug, uWSGI
    try:
        if uri:
            return unquote_to_bytes(uri.encode("latin-1").split(b"?", 1)[0])
        # PEP 3333: PATH_INFO carries the undecoded bytes as latin-1 code points.
        return (environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")).encode("latin-1")
    except UnicodeEncodeError:
        return b"\xff"  # not a WSGI string at all: refuse


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
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    if request.endpoint != "lms.static":
        headers["Cache-Control"] = "no-store"
    return response


def init_app(app) -> None:
    """Install the hooks."""
    # First of all hooks: CSRF protection (registered earlier) parses the form, after which
    # the raw body is gone and an invalid %-escape is indistinguishable from typed "%FF".
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_invalid_text)
    app.before_request(enforce_session_limits)
    app.after_request(set_headers)
