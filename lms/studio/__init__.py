"""The studio (课件编写): trainers write, review, publish and schedule content."""
from . import banks, lessonviews, previews  # noqa: F401  (routes register on studio_bp)
from .views import studio_bp  # noqa: F401
