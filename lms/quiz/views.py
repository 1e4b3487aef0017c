"""Quiz pages shared by lessons and courseware: submitting a form (refused when incomplete),
the result of an attempt, and the courseware quiz; no JavaScript needed."""
from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..domain import clock
from ..domain.quiz import attempts, quizview, review
from ..web import db_session, unit_of_work

quiz_bp = Blueprint("quiz", __name__)


def submit_form(item: quizview.QuizItem, back_url: str):
    """Grade the posted form and redirect to its result (303); an incomplete form comes back
    as the quiz with a "尚有 N 题未作答" summary and what was already answered (422)."""
    user, now = current_user.user, clock.utcnow()
    db = db_session()
    questions = quizview.public_questions(quizview.attempt_questions(
        db, user.id, item, request.form.get("idempotency_key")))
    raw = quizview.answers_from_form(questions, request.form.getlist)
    try:
        with unit_of_work() as db:
            result = attempts.submit(db, user.id, item, raw, request.form.get("idempotency_key"),
                                     now, current_app.config["LMS_POINTS"])
    except attempts.Unanswered as refused:
        return _incomplete(item, raw, refused.question_ids, back_url)
    except attempts.QuizError as error:
        return render_template("lms/lessons/rejected.html", message=error.message,
                               back_url=back_url, title=item.title), 422
    return redirect(url_for("lms.quiz.attempt", attempt_id=result.attempt_id), code=303)


def _incomplete(item: quizview.QuizItem, raw: dict, missing: list[int], back_url: str):
    with unit_of_work() as db:  # the same open attempt again: its key, order and timer
        opened = quizview.open_quiz(db, current_user.user.id, item, clock.utcnow())
    if opened.attempt is None:
        abort(409)
    numbers = {q.id: n for n, q in enumerate(opened.attempt.questions, start=1)}
    return render_template("lms/quiz/incomplete.html", item=item, attempt=opened.attempt,
                           given=raw, missing=set(missing),
                           numbers=sorted(numbers[q] for q in missing if q in numbers),
                           action=request.path, back_url=back_url), 422


@quiz_bp.get("/attempts/<lms_id:attempt_id>")
@login_required
def attempt(attempt_id: int):
    """The result of the officer's own attempt: which answers were wrong, and the key and
    explanations once the review policy allows."""
    try:
        result = review.review(db_session(), current_user.user.id, attempt_id, clock.utcnow())
    except review.AttemptNotFound:
        abort(404)
    if result.item_type == "lesson":
        again = url_for("lms.lessons.show", lesson_id=result.item_id)
    else:
        again = url_for(".courseware_quiz", slug=result.item_slug)
    return render_template("lms/lessons/result.html", result=result, again_url=again)


@quiz_bp.get("/courseware/<slug>/quiz")
@login_required
def courseware_quiz(slug: str):
    """The quiz of a courseware item, linked from its reading page."""
    with unit_of_work() as db:
        item = quizview.courseware_item(db, slug) or abort(404)
        opened = quizview.open_quiz(db, current_user.user.id, item, clock.utcnow())
    return render_template("lms/lessons/courseware_quiz.html", item=item, slug=slug,
                           quiz=item.quiz, attempt=opened.attempt,
                           action=url_for(".submit_courseware_quiz", slug=slug),
                           remaining=opened.remaining)


@quiz_bp.post("/courseware/<slug>/quiz")
@login_required
def submit_courseware_quiz(slug: str):
    """Grade a courseware quiz."""
    item = quizview.courseware_item(db_session(), slug) or abort(404)
    return submit_form(item, url_for(".courseware_quiz", slug=slug))
