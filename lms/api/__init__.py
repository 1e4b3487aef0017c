"""JSON API v1 (stable contract, DESIGN §5): token auth, JSON errors."""
from flask import Blueprint

api_bp = Blueprint("api", __name__, url_prefix="/api/v1")

from . import auth, me  # noqa: E402,F401  (routes register on api_bp)
