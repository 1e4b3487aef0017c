"""Weekly micro-lessons and quizzes in the browser: list, read + quiz, result; no JavaScript."""
from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..domain import clock
from ..domain.learning import lessons
from ..domain.quiz import attempts, quizview
from ..web import db_session

lessons_bp = Blueprint("lessons", __name__)


@lessons_bp.app_template_global()
def lms_officer_lessons():
    """This week's lesson and the overdue count for the home page card (officers only)."""
    if not current_user.is_authenticated or not current_user.user.is_officer:
        return None
    db, user, now = db_session(), current_user.user, clock.utcnow()
    return {"current": lessons.current(db, user, now),
            "overdue": lessons.overdue_count(db, user, now)}


@lessons_bp.get("/lessons")
@login_required
def index():
    """Every lesson addressed to the officer, newest first."""
    rows = lessons.list_for_user(db_session(), current_user.user, clock.utcnow())
    return render_template("lms/lessons/index.html", lessons=rows)


def _lesson_or_404(lesson_id: int):
    return _lesson_and_version_or_404(lesson_id)[0]


def _lesson_and_version_or_404(lesson_id: int):
    try:
        return lessons.get_with_quiz_version(db_session(), current_user.user, lesson_id,
                                             clock.utcnow())
    except lessons.LessonNotFound:
        abort(404)


@lessons_bp.get("/lessons/<lms_id:lesson_id>")
@login_required
def show(lesson_id: int):
    """Read the lesson and take its quiz; showing the page opens (or reuses) an attempt."""
    db, user, now = db_session(), current_user.user, clock.utcnow()
    lesson, version = _lesson_and_version_or_404(lesson_id)
    item = quizview.lesson_item(lesson)
    status = lessons.status_for(db, user, lesson_id, now)
    questions = quizview.public_questions_cached(db, item.quiz.id, version)
    opened = quizview.start_if_allowed(db, user.id, item, now, questions)
    if opened is not None and opened.created:
        db.commit()  # a reused attempt writes nothing: no commit
    # start counted the attempts left; opening one does not change that count
    remaining = opened.remaining if opened is not None else 0
    return render_template("lms/lessons/show.html", lesson=lesson, status=status,
                           quiz=item.quiz, attempt=opened,
                           action=url_for(".submit", lesson_id=lesson.id),
                           remaining=remaining)


@lessons_bp.post("/lessons/<lms_id:lesson_id>/attempts")
@login_required
def submit(lesson_id: int):
    """Grade the form and show the result (POST, then redirect to the result page)."""
    lesson = _lesson_or_404(lesson_id)
    return _submit(quizview.lesson_item(lesson), url_for(".show", lesson_id=lesson_id))


@lessons_bp.get("/courseware/<slug>/quiz")
@login_required
def courseware_quiz(slug: str):
    """The quiz of a courseware item, linked from its reading page."""
    db, user, now = db_session(), current_user.user, clock.utcnow()
    item = quizview.courseware_item(db, slug) or abort(404)
    opened = quizview.start_if_allowed(db, user.id, item, now)
    db.commit()
    return render_template("lms/lessons/courseware_quiz.html", item=item, slug=slug,
                           quiz=item.quiz, attempt=opened,
                           action=url_for(".submit_courseware_quiz", slug=slug),
                           remaining=quizview.remaining_attempts(db, user.id, item))


@lessons_bp.post("/courseware/<slug>/quiz")
@login_required
def submit_courseware_quiz(slug: str):
    """Grade a courseware quiz."""
    item = quizview.courseware_item(db_session(), slug) or abort(404)
    return _submit(item, url_for(".courseware_quiz", slug=slug))


def _submit(item: quizview.QuizItem, back_url: str):
    db, user = db_session(), current_user.user
    questions = quizview.public_questions(quizview.questions_of(db, item.quiz.id))
    raw = quizview.answers_from_form(questions, request.form.getlist)
    try:
        result = attempts.submit(db, user.id, item, raw, request.form.get("idempotency_key"),
                                 clock.utcnow(), current_app.config["LMS_POINTS"])
    except attempts.QuizError as error:
        db.rollback()
        return render_template("lms/lessons/rejected.html", message=error.message,
                               back_url=back_url, title=item.title), 422
    db.commit()
    return redirect(url_for(".attempt", attempt_id=result.attempt_id), code=303)


@lessons_bp.get("/attempts/<lms_id:attempt_id>")
@login_required
def attempt(attempt_id: int):
    """The result of the officer's own attempt: score, each answer, the key, explanations."""
    try:
        result = attempts.review(db_session(), current_user.user.id, attempt_id)
    except attempts.AttemptNotFound:
        abort(404)
    if result.item_type == "lesson":
        again = url_for(".show", lesson_id=result.item_id)
    else:
        again = url_for(".courseware_quiz", slug=result.item_slug)
    return render_template("lms/lessons/result.html", result=result, again_url=again)
