"""The mistake notebook (错题本): review wrongly answered questions until they are learnt."""
from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from ..domain import clock
from ..domain.quiz import grading, mistakes, quizview
from ..web import db_session

mistakes_bp = Blueprint("mistakes", __name__)


@mistakes_bp.get("/mistakes")
@login_required
def index():
    """Every open mistake, as a review form (no answers shown until submitted)."""
    entries = mistakes.notebook(db_session(), current_user.user.id)
    return render_template("lms/profile/mistakes.html", entries=entries,
                           resolve_after=mistakes.RESOLVE_AFTER)


@mistakes_bp.post("/mistakes/review")
@login_required
def review():
    """Grade the answered questions and move them towards leaving the notebook."""
    db, user = db_session(), current_user.user
    entries = mistakes.notebook(db, user.id)
    raw = quizview.answers_from_form([e.question for e in entries], request.form.getlist)
    answered = {qid: value for qid, value in raw.items() if value is not None}
    versions = {qid: request.form.get(f"v{qid}", "") for qid in answered}
    try:
        lines = mistakes.review(db, user.id, answered, versions, clock.utcnow())
    except grading.AnswerError as error:
        db.rollback()
        return render_template("lms/error.html", code=422, message=error.message), 422
    db.commit()
    return render_template("lms/profile/review.html", lines=lines,
                           resolved=sum(1 for line in lines if line.resolved and line.counted))
