"""The learning profile (学习档案): this week's lesson, completions, points; printable; and the
points leaderboards of the officer's own branch and county."""
from flask import Blueprint, current_app, render_template, request
from flask_login import current_user, login_required

from ..domain import clock
from ..domain.claims import rules as claim_rules
from ..domain.learning import hours, lessons, profile, yearview
from ..domain.reports import leaderboard as ranking
from ..domain.reports import plans
from ..web import db_session, hours_rule, page_arg

profile_bp = Blueprint("profile", __name__)
RECORD_PAGE = 20  # completion lines per page on the profile (a phone screen or two)


@profile_bp.get("/profile")
@login_required
def index():
    """The officer's own learning profile: this year first, then the record 20 lines a page
    (`?all=1`: every line, for printing)."""
    db, user, now = db_session(), current_user.user, clock.utcnow()
    year = yearview.build(db, user.id, lessons.list_for_user(db, user, now), now,
                          current_app.config["LMS_TIMEZONE"])
    everything = request.args.get("all") == "1"
    studied = hours.of_user(db, user.id, hours_rule(), now, current_app.config["LMS_TIMEZONE"])
    claim_names = {rule.key: rule.name for rule in claim_rules.all_rules(db)}
    return render_template("lms/profile/index.html", user=user, now=now, year=year,
                           hours=studied, claim_names=claim_names,
                           profile=profile.build(db, user, now), everything=everything,
                           page=1 if everything else page_arg(), per_page=RECORD_PAGE)


@profile_bp.get("/profile/leaderboard")
@login_required
def leaderboard():
    """Points rank within the officer's branch and of the branches in their county;
    `?period=quarter` counts the current quarter only (403 for non-officers)."""
    plans.custom_plans(db_session())
    boards = ranking.boards(db_session(), current_user.user, request.args.get("period", "all"),
                            clock.utcnow(), current_app.config["LMS_TIMEZONE"])
    return render_template("lms/profile/leaderboard.html", boards=boards)
