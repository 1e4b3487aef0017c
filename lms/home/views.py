"""The landing page: what each role does first."""
from flask import Blueprint, render_template
from flask_login import current_user, login_required

from ..domain.learning import points
from ..domain.org import policy
from ..web import db_session

home_bp = Blueprint("home", __name__)


@home_bp.get("/")
@login_required
def index():
    """Home: this week's lesson for officers, shortcuts for trainers and supervisors."""
    user = current_user.user
    return render_template(
        "lms/home/index.html", user=user,
        points_total=points.total(db_session(), user.id),
        can_supervise=policy.can_supervise(user), can_author=policy.can_author(user))
