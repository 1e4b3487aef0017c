"""The API blueprint and its error answers; the route modules register on it."""
from flask import Blueprint

from ..domain.org.policy import PermissionDenied
from ..errors import api_csrf_error, api_http_error, api_unexpected, register_handlers
from .common import ApiError

api_bp = Blueprint("api", __name__, url_prefix="/api/v1")

# JSON for every status, here rather than on the app: a host's handlers stay the host's.
register_handlers(api_bp, http_error=api_http_error, csrf_error=api_csrf_error,
                  unexpected=api_unexpected)


@api_bp.errorhandler(ApiError)
def _api_error(error: ApiError):
    """A client error in the API's error shape."""
    return {"error": {"code": error.code, "message": error.message}}, error.status


@api_bp.errorhandler(PermissionDenied)
def _forbidden(_error):
    """Outside the caller's scope."""
    return {"error": {"code": "forbidden", "message": "无权访问"}}, 403
