"""JSON API v1 (stable contract, DESIGN §5): token auth, JSON errors."""
from . import auth, classrooms, courseware, lessons, me, openapi, reports  # noqa: F401  (routes register on api_bp)
from .blueprint import api_bp

__all__ = ["api_bp"]
