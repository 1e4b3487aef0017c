"""The API blueprint and its error answers; the route modules register on it."""
from flask import Blueprint

from ..domain.org.policy import PermissionDenied
from .common import ApiError

api_bp = Blueprint("api", __name__, url_prefix="/api/v1")


@api_bp.errorhandler(ApiError)
def _api_error(error: ApiError):
    """A client error in the API's error shape."""
    return {"error": {"code": error.code, "message": error.message}}, error.status


@api_bp.errorhandler(PermissionDenied)
def _forbidden(_error):
    """Outside the caller's scope."""
    return {"error": {"code": "forbidden", "message": "无权访问"}}, 403

