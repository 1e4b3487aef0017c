"""The learning profile (学习档案): this week's lesson, completions, points; printable."""
from flask import Blueprint, render_template
from flask_login import current_user, login_required

from ..domain import clock, profile
from ..extension import db_session

profile_bp = Blueprint("profile", __name__)


@profile_bp.get("/profile")
@login_required
def index():
    """The officer's own learning profile."""
    user, now = current_user.user, clock.utcnow()
    return render_template("lms/profile/index.html", user=user, now=now,
                           profile=profile.build(db_session(), user, now))
