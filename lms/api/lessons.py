"""The officer's lessons over the API (DESIGN §5): list, fetch, submit an attempt, profile."""
import secrets
import threading
from datetime import datetime

from flask import Response, current_app, g, request

from ..domain import clock
from ..domain.learning import hours, lessons, lessonview, points, profile
from ..domain.org.accounts import hash_token
from ..domain.quiz import attempts, quizview
from ..web import db_session, hours_rule, read_connection, session_connection, unit_of_work
from .blueprint import api_bp
from .common import UNAUTHORIZED, ApiError, bearer_token, json_body, token_required

QUIZ_ERROR_STATUS = {attempts.KeyConflict.code: 409}


def iso(moment: datetime | None) -> str | None:
    """A stored naive-UTC datetime as ISO 8601 with a Z."""
    return None if moment is None else moment.isoformat(timespec="seconds") + "Z"


def _token_read(connect, lesson_id: int, now: datetime,
                lock: bool = False) -> lessonview.LessonRead:
    """The caller's token and the lesson, in one statement on `connect()`'s connection
    (`lessonview.read_for_token`: the same token rule as `token_required`; `lock`: with a
    submission's locks); 401 when the token is missing or dead."""
    token = bearer_token()
    read = None if token is None else lessonview.read_for_token(
        db_session(), connect, hash_token(token), lesson_id, now, lock=lock)
    if read is None:
        raise ApiError(401, "unauthorized", UNAUTHORIZED)
    return read


def _visible(read: lessonview.LessonRead) -> lessonview.LessonView:
    """The lesson's view, if the caller may see it; the same 404 for every reason."""
    if read.view is None:
        raise ApiError(404, "not_found", "课程不存在")
    return read.view


@api_bp.get("/me/lessons")
@token_required
def my_lessons():
    """The caller's lessons, newest first; ?status=due (not yet done) | done | all."""
    status = request.args.get("status", "all")
    if status not in lessons.STATUS_FILTERS:
        raise ApiError(400, "bad_request", "status 只能是 due、done 或 all")
    rows = lessons.list_for_user(db_session(), g.api_user, clock.utcnow(), status)
    return {"lessons": [{"id": row.id, "issue_no": row.issue_no, "title": row.title,
                         "publish_at": iso(row.publish_at), "due_at": iso(row.due_at),
                         "status": row.status, "best_score": row.best_score,
                         "first_score": row.first_score}
                        for row in rows]}


@api_bp.get("/lessons/<lms_id:lesson_id>")
def lesson_detail(lesson_id: int):
    """A lesson and its quiz, without anything that reveals an answer; fetching it opens
    the caller's attempt (as the lesson page does), whose own start times a limited quiz.

    The hot path of every officer's week: one statement checks the token (the same rule as
    `token_required`), the lesson's visibility and the open attempt
    (`lessonview.read_for_token`), and the answer is spliced from the worker's encoded
    view. Only a fetch that has to open an attempt (the first one, a drawn or limited quiz)
    takes a transaction."""
    now = clock.utcnow()
    read = _token_read(read_connection, lesson_id, now)
    _visible(read)
    reused = read.reusable_attempt(now)
    if reused is not None:
        return _lesson_json(read.view, reused.questions)
    with unit_of_work() as db:
        opened = quizview.open_quiz(db, read.user_id, read.view.item(), now,
                                    questions=read.view.questions)
    return _lesson_json(read.view, opened.questions)


_SLOT = secrets.token_hex(16)  # where the per-officer questions go in an encoded view
_encoded: dict[int, tuple] = {}  # id(view) → (view, head, tail): views are immutable
_encoded_lock = threading.Lock()


def _lesson_json(view: lessonview.LessonView, questions) -> Response:
    """The lesson as JSON: the view's encoding (once per view and worker) around this
    officer's questions (their attempt's option order)."""
    json = current_app.json
    entry = _encoded.get(id(view))
    if entry is None or entry[0] is not view:
        head, _, tail = json.dumps({
            "id": view.id, "title": view.title, "body_html": view.body_html,
            "quiz": {"pass_score": view.quiz.pass_score, "questions": _SLOT}},
            separators=(",", ":")).partition(f'"{_SLOT}"')
        entry = (view, head, tail)
        with _encoded_lock:
            if len(_encoded) >= lessonview.CACHE_SIZE:
                _encoded.clear()
            _encoded[id(view)] = entry
    listed = json.dumps([{"id": q.id, "kind": q.kind, "stem": q.stem,
                          "options": [{"key": key, "text": text} for key, text in q.options]}
                         for q in questions], separators=(",", ":"))
    return Response(entry[1] + listed + entry[2], mimetype=json.mimetype)


@api_bp.post("/lessons/<lms_id:lesson_id>/attempts")
def submit_attempt(lesson_id: int):
    """Grade an attempt once per idempotency key; the same key returns the first answer.
    The token, the lesson and the submission's locks are one statement, inside the
    attempt's own transaction."""
    now = clock.utcnow()
    # The body is received before the read takes the locks, so a slow client never holds
    # a quiz's key lock (a regrade, and every submission after it, would wait); it is
    # parsed after, so a missing token is still a 401 before a bad body's 400.
    request.get_data(cache=True)
    read = _token_read(session_connection, lesson_id, now, lock=True)
    data = json_body()
    item = _visible(read).item()
    try:
        with unit_of_work() as db:
            result = attempts.submit(db, read.user_id, item, data.get("answers"),
                                     data.get("idempotency_key"), now,
                                     current_app.config["LMS_POINTS"],
                                     none_open=read.attempt is None,
                                     locked_quiz=read.locked_quiz)
    except attempts.Unanswered as refused:
        return {"error": {"code": refused.code, "message": refused.message,
                          "question_ids": refused.question_ids}}, 422
    except attempts.QuizError as error:
        raise ApiError(QUIZ_ERROR_STATUS.get(error.code, 422), error.code,
                       error.message) from None
    return {
        "attempt_id": result.attempt_id, "score": result.score, "passed": result.passed,
        "points_awarded": result.points_awarded, "attempts_left": result.attempts_left,
        "answers_shown": result.answers_shown,
        "results": [_result_line(r, result.answers_shown) for r in result.results],
    }, 201


def _result_line(line, shown: bool) -> dict:
    """One question's outcome; the key and explanation only when the policy shows them
    (and, for a bank question, no other quiz still hides them: `review.withheld`)."""
    out = {"question_id": line.question_id, "correct": line.correct}
    if shown and line.explanation is not None:
        out.update(correct_answer=line.correct_answer, explanation=line.explanation)
    return out


@api_bp.get("/me/profile")
@token_required
def my_profile():
    """The caller's points, this year's study hours (学时) against the target, and completed
    items."""
    db, user = db_session(), g.api_user
    year = hours.of_user(db, user.id, hours_rule(), clock.utcnow(),
                         current_app.config["LMS_TIMEZONE"])
    return {
        "points": points.total(db, user.id),
        "hours": year.hours,
        "hours_target": year.target,
        "completions": [{"item_type": c.item_type, "item_id": c.item_id, "title": c.title,
                         "completed_at": iso(c.completed_at), "best_score": c.best_score,
                         "first_score": c.first_score}
                        for c in profile.completions(db, user.id)],
    }
