"""The studio (课件编写): trainers write, review, publish and schedule content."""
from . import banks  # noqa: F401  (the question-bank pages, on the same blueprint)
from .views import studio_bp  # noqa: F401
