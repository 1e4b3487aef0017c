"""Error answers: JSON under the API, friendly Chinese pages elsewhere in the LMS.

The handlers sit on the LMS's own blueprints (`register_handlers(parent)`, and the API's in
`api/blueprint.py`), never on a host app, so a host's error pages keep answering for the
host's routes. Only the standalone app, which *is* the LMS, registers them app-wide.
"""
from flask import current_app, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import Forbidden, HTTPException, InternalServerError, default_exceptions

from .domain.org.policy import PermissionDenied
from .web import state

HTML_MESSAGES = {
    400: _l("请求有误，请返回重试。"),
    403: _l("您没有权限访问这个页面。"),
    404: _l("页面不存在，可能已被移除。"),
    405: _l("不支持这种操作。"),
    413: _l("提交的内容太大。"),
    429: _l("尝试次数过多，请稍后再试。"),
    500: _l("系统出错了，我们已记录，请稍后再试。"),
}


def is_api_request() -> bool:
    """Whether the request is under the JSON API (also for URLs that match no route)."""
    return request.path.startswith(state().url_prefix + "/api/")


def is_lms_path() -> bool:
    """Whether the request path is inside the LMS mount point."""
    prefix = state().url_prefix
    return not prefix or request.path == prefix or request.path.startswith(prefix + "/")


def json_error(status: int, code: str, message: str, headers=None):
    """The API's error body: {"error": {"code", "message"}}."""
    body = {"error": {"code": code, "message": message}}
    return body, status, headers or {}


def _protocol_headers(error: HTTPException) -> list:
    """Headers the status itself calls for (Allow on a 405, Retry-After on a 429)."""
    return [(name, value) for name, value in error.get_headers()
            if name.lower() != "content-type"]


def api_http_error(error: HTTPException):
    """An HTTP error in the API's JSON shape."""
    code = (error.name or "error").lower().replace(" ", "_")
    return json_error(error.code or 500, code, error.description or error.name,
                      _protocol_headers(error))


def api_csrf_error(error: CSRFError):
    """CSRF in the API's shape (the API is exempt; kept for a host that re-enables it)."""
    return json_error(400, "csrf", error.description)


def api_unexpected(error: Exception):
    """Log it, and answer a JSON 500 without details."""
    if isinstance(error, HTTPException):
        return api_http_error(error)
    current_app.logger.exception("Unhandled error")
    return api_http_error(InternalServerError())


def handle_http_error(error: HTTPException):
    """JSON for the API, an LMS page elsewhere in the LMS."""
    if is_api_request():
        return api_http_error(error)
    message = _(HTML_MESSAGES.get(error.code, error.description or ""))
    page = render_template("lms/error.html", code=error.code, message=message)
    return page, error.code, _protocol_headers(error)


def handle_csrf_error(error: CSRFError):
    """Flask-WTF's CSRF messages are English-only; say it in the user's language."""
    if is_api_request():
        return api_csrf_error(error)
    message = _("页面已过期或表单无效，请刷新页面后重新提交。")
    return render_template("lms/error.html", code=400, message=message), 400


def handle_unexpected(error: Exception):
    """Log it, and answer 500 without details."""
    if isinstance(error, HTTPException):
        return handle_http_error(error)
    current_app.logger.exception("Unhandled error")
    return handle_http_error(InternalServerError())


def handle_permission_denied(_error):
    """The policy said no: a 403 page (JSON under the API)."""
    return handle_http_error(Forbidden())


def register_handlers(target, http_error=handle_http_error, csrf_error=handle_csrf_error,
                      unexpected=handle_unexpected) -> None:
    """Register the error handlers on a blueprint (or the standalone app).

    Every status gets its own handler, not just `HTTPException`: Flask prefers an app's
    handler for a status code over a blueprint's handler for an exception class, so a
    host's `errorhandler(404)` would otherwise answer an LMS page's own 404.
    """
    for code in default_exceptions:
        target.register_error_handler(code, http_error)
    target.register_error_handler(HTTPException, http_error)
    target.register_error_handler(CSRFError, csrf_error)
    target.register_error_handler(Exception, unexpected)


def answer_unmatched():
    """A 404/405 page (or JSON) for URLs under the mount point that match no route.

    Such requests have no blueprint, so the blueprints' handlers never see them; answering
    here, before Flask raises the routing error, leaves every host handler alone. Werkzeug
    has already told 404 from 405 (a catch-all rule would have turned 405s into 404s).
    """
    error = request.routing_exception
    if not isinstance(error, HTTPException) or (error.code or 0) < 400 or not is_lms_path():
        return None  # matched, a slash redirect, or a host URL
    return handle_http_error(error)


def init_app(app, parent) -> None:
    """Handlers on the LMS parent blueprint; unmatched LMS URLs when mounted under a prefix."""
    register_handlers(parent)
    parent.register_error_handler(PermissionDenied, handle_permission_denied)
    if app.extensions["lms"].url_prefix:
        app.before_request(answer_unmatched)


def init_standalone(app) -> None:
    """The standalone app is the LMS: its handlers answer app-wide (unmatched URLs too)."""
    register_handlers(app)
    app.register_error_handler(PermissionDenied, handle_permission_denied)
