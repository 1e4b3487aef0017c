"""Per-request operations hooks for the LMS's own requests: request ids and timing."""
import logging
import os
import re

from flask import current_app, has_request_context, request

from ..security import is_lms_request
from .metrics import Metrics, clock

REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def request_id(environ: dict | None = None) -> str:
    """The request's id: the caller's `X-Request-ID` when it is sane, else a new one."""
    if environ is None:
        environ = request.environ  # per request, unlike `g` when an app context is reused
    found = environ.get("lms.request_id")
    if found is None:
        given = environ.get("HTTP_X_REQUEST_ID", "")  # the `X-Request-ID` header
        # 32 random hex digits, as uuid4().hex gave, at a third of its cost.
        found = environ["lms.request_id"] = (
            given if given and REQUEST_ID.fullmatch(given) else os.urandom(16).hex())
    return found


def _start():
    if is_lms_request():
        request.environ["lms.started"] = clock()


def _finish(response):
    answered = request._get_current_object()  # once, not through the proxy each time
    started = answered.environ.get("lms.started")
    if started is not None:
        response.headers["X-Request-ID"] = request_id(answered.environ)
        metrics: Metrics = current_app.extensions["lms"].extras["metrics"]
        metrics.observe(answered.endpoint, answered.method, response.status_code,
                        clock() - started)
    return response


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every log record (empty outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id() if has_request_context() else ""
        return True


def init_app(app) -> None:
    """Metrics for this app, and the hooks (they ignore the host's own requests)."""
    app.extensions["lms"].extras["metrics"] = Metrics()
    # First of all hooks: a request that an earlier hook refuses or fails (the session's
    # user cannot be loaded while the database is down) still gets its id and its timing.
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_finish)
    app.logger.addFilter(RequestIdFilter())
