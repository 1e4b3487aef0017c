"""The studio (课件编写): trainers write, review, publish and schedule content."""
from . import regrading  # noqa: F401  (its routes join studio_bp)
from .views import studio_bp  # noqa: F401
