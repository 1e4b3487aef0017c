"""Error answers: JSON under the API, friendly Chinese pages elsewhere in the LMS.

The handlers sit on the LMS's own blueprints (`register_handlers(parent)`, and the API's in
`api/blueprint.py`), never on a host app, so a host's error pages keep answering for the
host's routes. Only the standalone app, which *is* the LMS, registers them app-wide.
"""
from flask import current_app, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy import exc
from werkzeug.exceptions import Forbidden, HTTPException, InternalServerError, default_exceptions

from .domain.org.policy import PermissionDenied
from .web import db_session, state

# Faults of the database rather than of the code: lost connections, restarts, timeouts,
# locks and deadlocks (psycopg and sqlite3 raise these as OperationalError), the pool
# exhausted. Retrying later can succeed, so they answer 503; any other database error
# (an IntegrityError, a DataError) is a bug that a retry would repeat: 500.
TRANSIENT = (exc.OperationalError, exc.InterfaceError, exc.DisconnectionError, exc.TimeoutError)
RETRY_AFTER = "5"  # seconds: a restart of PostgreSQL or a held SQLite lock is about that long
UNAVAILABLE_API = "服务暂时不可用，本次请求未生效，请稍后重试"

HTML_MESSAGES = {
    400: _l("请求有误，请返回重试。"),
    403: _l("您没有权限访问这个页面。"),
    404: _l("页面不存在，可能已被移除。"),
    405: _l("不支持这种操作。"),
    413: _l("提交的内容太大。"),
    429: _l("尝试次数过多，请稍后再试。"),
    500: _l("系统出错了，我们已记录，请稍后再试。"),
    503: _l("系统暂时繁忙，请稍后重试。刚才提交的内容没有保存，请重新提交。"),
}


def is_transient(error: BaseException) -> bool:
    """Whether a database error is a fault of the database (503) rather than a bug (500)."""
    return isinstance(error, TRANSIENT) or (
        isinstance(error, exc.DBAPIError) and error.connection_invalidated)


def _roll_back() -> None:
    """Undo the request's half-done work; the session stays usable for the next request
    (a connection that died is discarded, and pre-ping checks the next one out)."""
    try:
        db_session().rollback()
    except exc.SQLAlchemyError:  # the rollback of a connection that just died
        current_app.logger.warning("Rollback after a database error failed", exc_info=True)


def _log_unavailable(error: Exception) -> None:
    """One ERROR record naming the driver's error (the request id comes with the record)."""
    cause = getattr(error, "orig", None) or error
    summary = str(cause).strip().splitlines()[0] if str(cause).strip() else ""
    current_app.logger.error("Database unavailable, answered 503: %s: %s",
                             type(cause).__name__, summary, exc_info=error)


def render_without_database(template: str, **context) -> str:
    """A page rendered without the context processors: Flask-Login's loads the signed-in
    user from the database, which is what just failed. The template shows no user."""
    return current_app.jinja_env.get_template(template).render(**context)


def fault_page(code: int, headers=None):
    """The LMS page for a 500 or 503, which needs nothing from the database."""
    page = render_without_database("lms/fault.html", code=code, message=_(HTML_MESSAGES[code]))
    return page, code, headers or {}


def unavailable(error: Exception):
    """A database fault: roll back, log, and answer 503 (JSON under the API)."""
    _roll_back()
    _log_unavailable(error)
    headers = {"Retry-After": RETRY_AFTER}
    if is_api_request():
        return json_error(503, "unavailable", UNAVAILABLE_API, headers)
    return fault_page(503, headers)


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


# The API's messages are Chinese whatever the client's language (Werkzeug's are English).
API_MESSAGES = {
    400: "请求有误",
    401: "需要登录",
    403: "无权访问",
    404: "请求的资源不存在",
    405: "该路径不支持此请求方法",
    413: "请求体过大",
    429: "请求过于频繁，请稍后再试",
    500: "系统出错了，我们已记录，请稍后再试",
    503: "服务暂时不可用，请稍后重试",
}


def api_http_error(error: HTTPException):
    """An HTTP error in the API's JSON shape, with a Chinese message."""
    code = (error.name or "error").lower().replace(" ", "_")
    status = error.code or 500
    message = API_MESSAGES.get(status) or API_MESSAGES[400 if status < 500 else 500]
    return json_error(status, code, message, _protocol_headers(error))


def api_csrf_error(error: CSRFError):
    """CSRF in the API's shape (the API is exempt; kept for a host that re-enables it)."""
    return json_error(400, "csrf", "表单令牌缺失或无效，请刷新后重试")


def api_unexpected(error: Exception):
    """Log it, and answer a JSON 500 without details (503 for a database fault)."""
    if isinstance(error, HTTPException):
        return api_http_error(error)
    if is_transient(error):
        return unavailable(error)
    _roll_back()
    current_app.logger.exception("Unhandled error")
    return api_http_error(InternalServerError())


def handle_http_error(error: HTTPException):
    """JSON for the API, an LMS page elsewhere in the LMS."""
    if is_api_request():
        return api_http_error(error)
    if error.code == 500:
        return fault_page(500)
    message = _(HTML_MESSAGES.get(error.code, error.description or ""))
    return error_page(error.code, message, _protocol_headers(error))


def error_page(code: int, message: str, headers=None):
    """The LMS's error page, which shows who is signed in; a 503 if the database, asked
    for that user, cannot answer."""
    try:
        return render_template("lms/error.html", code=code, message=message), code, headers or {}
    except TRANSIENT as fault:
        return unavailable(fault)


def handle_csrf_error(error: CSRFError):
    """Flask-WTF's CSRF messages are English-only; say it in the user's language."""
    if is_api_request():
        return api_csrf_error(error)
    return error_page(400, _("页面已过期或表单无效，请刷新页面后重新提交。"))


def handle_unexpected(error: Exception):
    """Log it, and answer 500 without details (503 for a database fault)."""
    if isinstance(error, HTTPException):
        return handle_http_error(error)
    if is_transient(error):
        return unavailable(error)
    _roll_back()
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
