"""The check-in code guessing limit, per officer, in the shared rate-limit storage.

The storage is the one every worker shares (Redis in production), so the limit holds across
gunicorn instances. Every attempt is counted before the code is checked — checking first
and counting wrong codes afterwards let parallel guesses through — and an officer checks in
once or twice a session, far below the limit.
"""
from flask import current_app
from limits import parse

from ..web import state

DEFAULT_LIMIT = "10 per 15 minutes"  # check-in attempts per officer; LMS_CHECKIN_LIMIT overrides


def take_attempt(user_id: int) -> bool:
    """Count one check-in attempt; False when this officer has used up the limit for now."""
    limit = parse(current_app.config.get("LMS_CHECKIN_LIMIT", DEFAULT_LIMIT))
    return state().limiter.hit(limit, "lms-checkin", str(user_id))
