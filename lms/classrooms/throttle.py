"""The check-in code guessing limit, per officer, in Flask-Limiter's storage.

The storage is the one every worker shares (Redis in production), so the limit holds across
gunicorn instances. Only wrong codes count: an officer who typed the right code late, or
twice, is not slowed down.
"""
from flask import current_app
from limits import parse

from ..extension import state

DEFAULT_LIMIT = "10 per 15 minutes"  # wrong codes per officer; LMS_CHECKIN_LIMIT overrides


def _limit():
    return parse(current_app.config.get("LMS_CHECKIN_LIMIT", DEFAULT_LIMIT))


def checkin_blocked(user_id: int) -> bool:
    """Whether this officer has used up their wrong codes for now."""
    return not state().limiter.limiter.test(_limit(), "lms-checkin", str(user_id))


def record_wrong_code(user_id: int) -> None:
    """Count one wrong code."""
    state().limiter.limiter.hit(_limit(), "lms-checkin", str(user_id))
