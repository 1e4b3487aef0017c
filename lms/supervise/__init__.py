"""Supervision by the org tree: completion dashboards, not-yet-done lists, the 通报, exports."""
from .views import supervise_bp  # noqa: F401
