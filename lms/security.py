"""Session limits and security headers for the LMS's own routes."""
from flask import abort, current_app, request, session
from flask_login import current_user, logout_user

from .domain import clock

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


def refuse_nul_bytes():
    """400 for a NUL byte anywhere in the path, query, form or JSON body.

    PostgreSQL cannot store or compare text containing NUL and answers with an error, so
    such input would otherwise surface as a 500 for a client's mistake.
    """
    if not is_lms_request() and not request.path.startswith(_mount() + "/api/"):
        return None
    values = [request.path, *request.args.values()]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        values += request.form.values()
    if any("\x00" in value for value in values) or (
            request.is_json and b"\\u0000" in request.get_data()):
        abort(400, description="请求中不能含有空字符（NUL）")  # the API's message
    return None


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
    app.before_request(refuse_nul_bytes)
    app.before_request(enforce_session_limits)
    app.after_request(set_headers)
