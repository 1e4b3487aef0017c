"""A lesson as every officer sees it (body, quiz settings, answer-free questions), cached
per worker under its content version; plus, per request, the one officer's standing on
it. No Flask.

The request reads one small row: the lesson's visibility for this officer (the same
`lessons._open_to` rule as every list: released, addressed to them or owed), their
completion, and the content version. On PostgreSQL the version is made of the `xmin`
system column of the lesson, its quiz and each current question: any UPDATE of those rows
(a studio edit, a course sync, a regrade, a retired question) writes a new row version and
so a new key, whatever code wrote it. SQLite has no such column: there the version is
None and the view is read from the database every time (nothing is cached).

Cached: only what is the same for every officer; never a drawn quiz's questions (those are
per attempt, `draws`), never a key: `attempts.submit` reads the keys after its lock
(`quiz.gradingkeys`).
"""
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import String, Text, and_, bindparam, cast, func, literal_column, select, true
from sqlalchemy.orm import Session, aliased, defer

from ...models import ApiToken, Attempt, Completion, MicroLesson, Question, Quiz, Unit, User, utcnow
from .. import hotsql
from ..org import policy
from ..org.accounts import Principal, live_session, live_token
from ..quiz import draws, gradingkeys, keylock
from ..quiz.quizview import OpenAttempt, PublicQuestion, QuizItem, public_questions
from ..reminders import inbox
from .lessons import LessonStatus, status_of

CACHE_SIZE = 128  # lessons × locales per worker; a year is 52 lessons


@dataclass(frozen=True)
class QuizSettings:
    """A quiz's settings as `Quiz` names them (what the quiz code reads of `item.quiz`)."""

    id: int
    pass_score: int
    attempts_allowed: int | None
    shuffle: bool
    partial_credit: bool
    time_limit_seconds: int | None
    review: str
    draw_rules: tuple | None


@dataclass(frozen=True)
class LessonView:
    """What every officer sees of a lesson at one content version."""

    id: int
    issue_no: int
    title: str
    summary: str
    body_html: str
    estimated_minutes: int
    min_read_seconds: int
    publish_at: datetime
    due_at: datetime
    quiz: QuizSettings
    questions: tuple[PublicQuestion, ...] | None  # None: drawn per attempt

    def item(self) -> QuizItem:
        """The lesson's quiz as the quiz code takes it."""
        return QuizItem("lesson", self.id, self.title, self.quiz, self.due_at)


_cache: "OrderedDict[tuple, LessonView]" = OrderedDict()
_lock = threading.Lock()


@dataclass(frozen=True)
class OpenRow:
    """The officer's newest open attempt at the lesson's quiz, as the read found it."""

    id: int
    idempotency_key: str
    started_at: datetime
    option_order: dict | None
    question_ids: list | None


@dataclass(frozen=True)
class LessonRead:
    """One request's read of a lesson: whose it is, the lesson (None: not theirs to see),
    their standing on it, their open attempt, and (page reads) their unread messages and
    the signed-in user's `Principal`."""

    user_id: int
    view: LessonView | None
    status: LessonStatus | None
    attempt: OpenRow | None
    unread: int | None = None
    principal: Principal | None = None
    locked_quiz: int | None = None  # `read_for_token(lock=True)`: whose key lock it holds

    def reusable_attempt(self, now: datetime) -> OpenAttempt | None:
        """The open attempt as the quiz shows it, when it is the one `quizview.start` would
        reuse and nothing needs writing: a fixed quiz without an attempt limit, the attempt
        still inside its time limit. None otherwise: the caller opens the quiz the ordinary
        way (`quizview.open_quiz`), which may write."""
        view, attempt = self.view, self.attempt
        if view is None or attempt is None or view.questions is None:
            return None
        quiz = view.quiz
        if quiz.attempts_allowed is not None or quiz.draw_rules:
            return None
        deadline = None
        if quiz.time_limit_seconds is not None:
            if attempt.started_at < now - timedelta(seconds=quiz.time_limit_seconds):
                return None
            deadline = attempt.started_at + timedelta(seconds=quiz.time_limit_seconds)
        return OpenAttempt(attempt.id, attempt.idempotency_key, attempt.started_at, deadline,
                           public_questions(view.questions, attempt.option_order))


def read_for_token(db: Session, connect, digest: str, lesson_id: int, now: datetime,
                   locale: str = "", lock: bool = False) -> LessonRead | None:
    """The hot read of `GET /api/v1/lessons/<id>` in ONE statement: the token
    (`accounts.live_token`), the lesson's visibility for its officer (`lessons._open_to`, as
    everywhere), their completion, the content version and their open attempt. None when
    the token is not live. `connect()` gives the connection for the statement (a context
    manager), released before `db` loads the view on a cache miss, so a request never
    holds two pooled connections at once.

    `lock` (a submission, on PostgreSQL): the statement also takes the locks a submission
    starts with (`keylock.grading_in`: the key lock of the lesson's quiz, then the officer's
    row), held until the transaction of `connect()`'s connection ends; `locked_quiz`
    names that quiz."""
    with connect() as conn:
        locking = lock and conn.dialect.name == "postgresql"
        statement = _read_statement(conn.dialect.name, "token", locking)
        params = {"p_digest": digest, "p_lesson_id": lesson_id, "p_now": now,
                  "p_token_now": utcnow()}
        row = hotsql.execute_on(conn, statement, params).first()
        if row is None and locking:
            # The officer's row may have changed while the read waited for it (a move):
            # PostgreSQL then checks the new row against the others as first read, and the
            # officer's old unit no longer joins. Again, under the locks now held and with
            # a snapshot taken after them; a dead token or a deactivated officer stays None.
            row = hotsql.execute_on(conn, statement, params).first()
    if row is None:
        return None
    return _lesson_read(db, row, lesson_id, now, locale,
                        locked_quiz=row.locked_quiz if locking else None)


def read_for_user(db: Session, connect, user_id: int, session_version: int, lesson_id: int,
                  now: datetime, locale: str = "") -> LessonRead | None:
    """The lesson page's read, in ONE statement: as `read_for_token` for the user a session
    names, checked by `accounts.live_session` in the same statement, plus their unread
    messages (the page's navigation shows the count) and their `Principal`. None when the
    session is not live."""
    with connect() as conn:
        row = hotsql.execute_on(conn, _read_statement(conn.dialect.name, "user"),
                                {"p_user_id": user_id, "p_version": session_version,
                                 "p_lesson_id": lesson_id, "p_now": now}).first()
    if row is None:
        return None
    principal = Principal(row.user_id, row.user_name, True,
                          *(getattr(row, f"user_{name}") for name in _PRINCIPAL_ROLES))
    return _lesson_read(db, row, lesson_id, now, locale, row.unread, principal)


def _standing(view: LessonView, row, now: datetime) -> LessonStatus:
    """The officer's standing on the lesson, from a read's completion and "owed" columns."""
    done = row.completion_status == "completed"
    return LessonStatus(view.id, view.issue_no, view.title, view.summary,
                        view.estimated_minutes, view.publish_at, view.due_at,
                        status_of(done, bool(row.owed), row.due_at, now), row.best_score,
                        row.first_completed_at if done else None, row.first_score)


def _lesson_read(db: Session, row, lesson_id: int, now: datetime, locale: str,
                 unread: int | None = None, principal: Principal | None = None,
                 locked_quiz: int | None = None) -> LessonRead:
    if row.lesson_id is None or not (row.reaches or row.owed):  # `lessons._open_to`
        return LessonRead(row.user_id, None, None, None, unread, principal, locked_quiz)
    view = _cached(db, lesson_id, row.version, locale)
    status = _standing(view, row, now)
    attempt = None if row.attempt_id is None else OpenRow(
        row.attempt_id, row.attempt_key, row.attempt_started_at, row.attempt_option_order,
        row.attempt_question_ids)
    return LessonRead(row.user_id, view, status, attempt, unread, principal, locked_quiz)


_Officer = aliased(User, name="officer")
_PRINCIPAL_ROLES = Principal._fields[3:]  # is_officer … is_admin
_OfficerUnit = aliased(Unit, name="officer_unit")


@lru_cache(maxsize=8)
def _read_statement(dialect: str, by: str, lock: bool = False):
    """`read_for_token`'s (`by` "token") and `read_for_user`'s ("user") statement, built
    once per dialect. The officer comes from the token or the id; the lesson, completion
    and open attempt are outer joins, so a live token always gives a row. The lesson joins
    when released (`policy.lesson_released`); the rest of `lessons._open_to` (addressed to
    the officer's unit, or owed by them) comes back as two columns, so "owed" is evaluated
    once (it is also the lesson's status), which keeps the statement under psycopg's 4 KB
    limit for caching its conversion of a query. `lock`: `read_for_token(lock=True)`'s."""
    now = bindparam("p_now")
    owed = policy.owed_by(_Officer.id)
    attempt_columns = (Attempt.id, Attempt.idempotency_key, Attempt.started_at,
                       Attempt.option_order, Attempt.question_ids)
    newest_open = (select(*attempt_columns)
                   .where(Attempt.user_id == _Officer.id, Attempt.item_type == "lesson",
                          Attempt.item_id == MicroLesson.id,
                          Attempt.quiz_id == MicroLesson.quiz_id, Attempt.status == "open")
                   .order_by(Attempt.started_at.desc(), Attempt.id.desc()).limit(1))
    names = ("attempt_id", "attempt_key", "attempt_started_at", "attempt_option_order",
             "attempt_question_ids")
    columns = (_Officer.id.label("user_id"), MicroLesson.id.label("lesson_id"),
               MicroLesson.due_at, Completion.status.label("completion_status"),
               Completion.best_score, Completion.first_completed_at, Completion.first_score,
               _version(dialect))
    if by == "token":
        statement = (select(*columns).select_from(ApiToken)
                     .join(_Officer, _Officer.id == ApiToken.user_id)
                     .where(*live_token(_Officer, bindparam("p_digest", type_=String),
                                        bindparam("p_token_now"))))
    else:
        statement = (select(*columns, inbox.unread_of(_Officer.id).scalar_subquery()
                            .label("unread"),
                            *(getattr(_Officer, name).label(f"user_{name}")
                              for name in _PRINCIPAL_ROLES), _Officer.name.label("user_name"))
                     .select_from(_Officer)
                     .where(_Officer.id == bindparam("p_user_id"),
                            *live_session(_Officer, bindparam("p_version"))))
    statement = (
        statement.join(_OfficerUnit, _OfficerUnit.id == _Officer.unit_id)
        .outerjoin(MicroLesson, and_(MicroLesson.id == bindparam("p_lesson_id"),
                                     policy.lesson_released(now)))
        .outerjoin(Completion, and_(Completion.user_id == _Officer.id,
                                    Completion.item_type == "lesson",
                                    Completion.item_id == MicroLesson.id)))
    statement = statement.add_columns(
        owed.label("owed"), policy.lesson_reaches(_OfficerUnit.path).label("reaches"))
    if dialect != "postgresql":  # SQLite has no LATERAL: correlated scalar subqueries
        return statement.add_columns(*(
            newest_open.with_only_columns(column).scalar_subquery().label(name)
            for column, name in zip(attempt_columns, names, strict=True)))
    attempt = newest_open.lateral("open_attempt")
    statement = statement.outerjoin(attempt, true()).add_columns(
        *(column.label(name) for column, name in zip(attempt.c, names, strict=True)))
    if not lock:
        return statement
    # The key lock of the lesson's quiz, whether or not the lesson is released to the
    # officer (then they get a 404 and nothing is graded; the joined lesson names it when it
    # is), and only for a token that exists: a request without one never takes a lock.
    # Short aliases: the statement stays under psycopg's 4 KB (see above).
    lessons, tokens = MicroLesson.__table__.alias("ll"), ApiToken.__table__.alias("lt")
    quiz = (select(lessons.c.quiz_id)
            .where(lessons.c.id == bindparam("p_lesson_id"),
                   select(literal_column("1")).where(tokens.c.token_hash == bindparam("p_digest"))
                   .exists())
            .scalar_subquery())
    return keylock.grading_in(statement.add_columns(MicroLesson.quiz_id.label("locked_quiz")),
                              quiz, _Officer)


def _cached(db: Session, lesson_id: int, version: str | None, locale: str) -> LessonView:
    key = (lesson_id, version, locale)
    if version is not None:
        with _lock:
            view = _cache.get(key)
            if view is not None:
                _cache.move_to_end(key)
                return view
    view, read_version = _load(db, lesson_id)
    if version is not None and read_version == version:  # what was read is what is keyed
        with _lock:
            _cache[key] = view
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
    return view


def clear_cache() -> None:
    """Forget every cached view (tests; never needed for correctness)."""
    with _lock:
        _cache.clear()


def _load(db: Session, lesson_id: int) -> tuple[LessonView, str | None]:
    """The view from the database, and the version its lesson row was read at."""
    dialect = db.get_bind().dialect.name
    lesson, quiz, version = db.execute(
        select(MicroLesson, Quiz, _version(dialect))
        .join(Quiz, Quiz.id == MicroLesson.quiz_id)
        .options(defer(MicroLesson.body_md))  # the studio's source; officers get body_html
        .where(MicroLesson.id == lesson_id)).one()
    settings = QuizSettings(quiz.id, quiz.pass_score, quiz.attempts_allowed, bool(quiz.shuffle),
                            bool(quiz.partial_credit), quiz.time_limit_seconds,
                            quiz.review or "after_pass",
                            tuple(quiz.draw_rules) if quiz.draw_rules else None)
    questions = None
    if not draws.is_drawn(quiz):
        version_now = (select(_version(dialect)).where(MicroLesson.id == lesson_id)
                       .scalar_subquery())
        rows = db.execute(select(Question, version_now)
                          .where(Question.quiz_id == quiz.id, Question.retired.is_(False))
                          .order_by(Question.position, Question.id)).all()
        if rows and rows[0][1] != version:
            version = None  # changed between the two reads: use it, do not cache it
        questions = public_questions([q for q, _ in rows])
    view = LessonView(lesson.id, lesson.issue_no, lesson.title, lesson.summary,
                      lesson.body_html, lesson.estimated_minutes, lesson.min_read_seconds,
                      lesson.publish_at, lesson.due_at, settings, questions)
    return view, version


def _version(dialect: str):
    """SQL scalar: the content version of the lesson of the enclosing query (`MicroLesson`);
    None on SQLite (no row versions there)."""
    if dialect != "postgresql":
        return cast(None, String).label("version")
    questions = gradingkeys.version_sql(MicroLesson.quiz_id)  # the keys' own version
    quiz = Quiz.__table__.alias("version_quiz")
    quiz_version = (select(cast(literal_column("version_quiz.xmin"), Text))
                    .where(quiz.c.id == MicroLesson.quiz_id).scalar_subquery())
    return (cast(literal_column("lms_micro_lesson.xmin"), Text) + "/"
            + func.coalesce(quiz_version, "") + "/" + func.coalesce(questions, "")
            ).label("version")
