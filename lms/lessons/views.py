"""Weekly micro-lessons in the browser: list, read + quiz (submitted through `quiz.views`);
no JavaScript."""
from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user, login_required

from .. import navigation
from ..auth.session import claimed_by_view
from ..domain import clock
from ..domain.learning import lessons, lessonview, plan
from ..domain.quiz import quizview
from ..models import MicroLesson
from ..quiz.views import submit_form
from ..web import db_session, read_connection, session_connection, unit_of_work

lessons_bp = Blueprint("lessons", __name__)


@lessons_bp.app_template_global()
def lms_officer_lessons():
    """This week's lesson and the overdue count for the home page card (officers only)."""
    if not current_user.is_authenticated or not current_user.user.is_officer:
        return None
    db, user, now = db_session(), current_user.user, clock.utcnow()
    this_week = lessons.current(db, user, now)
    tried = (this_week is not None and this_week.status != "done"
             and this_week.best_score is not None)
    left = None
    if tried:  # a failed attempt: the card offers 重新测验 only while attempts remain
        lesson = db.get(MicroLesson, this_week.id)
        left = quizview.remaining_attempts(db, user.id, quizview.lesson_item(lesson))
    return {"current": this_week, "overdue": lessons.overdue_count(db, user, now),
            "tried": tried, "attempts_left": left}


@lessons_bp.get("/lessons")
@login_required
def index():
    """Every lesson addressed to the officer: 待补学 first, the rest folded by month."""
    rows = lessons.list_for_user(db_session(), current_user.user, clock.utcnow())
    return render_template("lms/lessons/index.html", lessons=rows,
                           plan=plan.arrange(rows, current_app.config["LMS_TIMEZONE"]))


def _lesson_or_404(lesson_id: int) -> lessonview.LessonView:
    """The lesson's cached view, if the officer may see it (the page's one read, here in
    the request's transaction)."""
    user = current_user.user
    read = lessonview.read_for_user(db_session(), session_connection, user.id,
                                    user.session_version, lesson_id, clock.utcnow(),
                                    str(get_locale() or ""))
    if read is None or read.view is None:
        abort(404)
    return read.view


@lessons_bp.get("/lessons/<lms_id:lesson_id>")
@claimed_by_view
def show(lesson_id: int):
    """Read the lesson and take its quiz; showing the page opens (or reuses) an attempt.
    The session's check (`accounts.live_session`), the officer's standing, open attempt and
    unread count are one statement (`lessonview.read_for_user`); only a page that has to
    open an attempt writes."""
    signed_in, now = current_user._get_current_object(), clock.utcnow()
    read = lessonview.read_for_user(db_session(), read_connection, *signed_in.claim, lesson_id,
                                    now, str(get_locale() or ""))
    if not signed_in.confirm(read and read.principal):
        return current_app.login_manager.unauthorized()  # signed out elsewhere, or disabled
    request.environ[navigation.UNREAD_KEY] = read.unread
    if read.view is None:
        abort(404)
    lesson, attempt, remaining = read.view, read.reusable_attempt(now), None
    if attempt is None:
        with unit_of_work() as db:
            opened = quizview.open_quiz(db, signed_in.id, lesson.item(), now,
                                        questions=lesson.questions)
        attempt, remaining = opened.attempt, opened.remaining
    return render_template("lms/lessons/show.html", lesson=lesson, status=read.status,
                           quiz=lesson.quiz, attempt=attempt,
                           action=url_for(".submit", lesson_id=lesson.id),
                           remaining=remaining)


@lessons_bp.post("/lessons/<lms_id:lesson_id>/attempts")
@login_required
def submit(lesson_id: int):
    """Grade the form and show the result (POST, then redirect to the result page)."""
    lesson = _lesson_or_404(lesson_id)
    return submit_form(lesson.item(), url_for(".show", lesson_id=lesson_id))
