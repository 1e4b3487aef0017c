"""The learning profile (学习档案): this week's lesson, completions, points; printable; and the
points leaderboards of the officer's own branch and county."""
from flask import Blueprint, current_app, render_template, request
from flask_login import current_user, login_required

from ..domain import clock
from ..domain.learning import profile
from ..domain.reports import leaderboard as ranking
from ..web import db_session

profile_bp = Blueprint("profile", __name__)


@profile_bp.get("/profile")
@login_required
def index():
    """The officer's own learning profile."""
    user, now = current_user.user, clock.utcnow()
    return render_template("lms/profile/index.html", user=user, now=now,
                           profile=profile.build(db_session(), user, now))


@profile_bp.get("/profile/leaderboard")
@login_required
def leaderboard():
    """Points rank within the officer's branch and of the branches in their county;
    `?period=quarter` counts the current quarter only (403 for non-officers)."""
    boards = ranking.boards(db_session(), current_user.user, request.args.get("period", "all"),
                            clock.utcnow(), current_app.config["LMS_TIMEZONE"])
    return render_template("lms/profile/leaderboard.html", boards=boards)
