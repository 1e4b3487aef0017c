"""The studio (课件编写): trainers write, review, publish and schedule content."""
from .views import studio_bp  # noqa: F401
