"""The mistake notebook (错题本): review wrongly answered questions until they are learnt,
in practice rounds of at most `mistakes.REVIEW_SIZE` questions."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..domain import clock
from ..domain.quiz import grading, mistakes, quizview
from ..web import db_session, unit_of_work

mistakes_bp = Blueprint("mistakes", __name__)


@mistakes_bp.get("/mistakes")
@login_required
def index():
    """The next practice round of open mistakes, as a form (no answers shown)."""
    db, user_id = db_session(), current_user.user.id
    return render_template("lms/mistakes/index.html",
                           entries=mistakes.practice_batch(db, user_id, clock.utcnow()),
                           total=mistakes.open_count(db, user_id),
                           resolve_after=mistakes.RESOLVE_AFTER)


@mistakes_bp.post("/mistakes/review")
@login_required
def review():
    """Grade the answered questions and move them towards leaving the notebook."""
    user = current_user.user
    try:
        with unit_of_work() as db:
            entries = mistakes.notebook(db, user.id)
            raw = quizview.answers_from_form([e.question for e in entries],
                                             request.form.getlist)
            answered = {qid: value for qid, value in raw.items() if value is not None}
            if not answered:  # "答对 0 / 0 题" would tell the officer nothing
                flash(_("请至少作答一题，再提交复习。"), "error")
                return redirect(url_for(".index"))
            versions = {qid: request.form.get(f"v{qid}", "") for qid in answered}
            lines = mistakes.review(db, user.id, answered, versions, clock.utcnow())
    except grading.AnswerError as error:
        return render_template("lms/error.html", code=422, message=error.message), 422
    return render_template("lms/mistakes/review.html", lines=lines,
                           resolved=sum(1 for line in lines if line.resolved and line.counted))
