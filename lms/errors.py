"""Error answers: JSON under the API, friendly Chinese pages elsewhere in the LMS."""
from flask import current_app, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import Forbidden, HTTPException, InternalServerError

from .domain.org.policy import PermissionDenied
from .web import state

HTML_MESSAGES = {
    400: _l("请求有误,请返回重试。"),
    403: _l("您没有权限访问这个页面。"),
    404: _l("页面不存在,可能已被移除。"),
    405: _l("不支持这种操作。"),
    413: _l("提交的内容太大。"),
    429: _l("尝试次数过多,请稍后再试。"),
    500: _l("系统出错了,我们已记录,请稍后再试。"),
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


def handle_http_error(error: HTTPException):
    """JSON for the API, an LMS page for our routes, the host's default elsewhere."""
    if is_api_request():
        code = (error.name or "error").lower().replace(" ", "_")
        return json_error(error.code or 500, code, error.description or error.name)
    if not is_lms_path():
        return error
    message = _(HTML_MESSAGES.get(error.code, error.description or ""))
    return render_template("lms/error.html", code=error.code, message=message), error.code


def handle_csrf_error(error: CSRFError):
    """Flask-WTF's CSRF messages are English-only; say it in the user's language."""
    if is_api_request():
        return json_error(400, "csrf", error.description)
    message = _("页面已过期或表单无效,请刷新页面后重新提交。")
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


def init_app(app) -> None:
    """Register the handlers."""
    app.register_error_handler(PermissionDenied, handle_permission_denied)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected)
