"""Weekly micro-lessons as an officer sees them: who gets which, and due/overdue/done; no Flask.

A lesson reaches a user when it is published, its publish time has come, and it either has no
audience rows (everyone) or one whose unit is the user's unit or lies above it. Units carry a
materialized path of ids (`/1/7/42/`), so "above or equal" is "id in the user's path".
"""
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy import and_, bindparam, exists, or_, select
from sqlalchemy.orm import Session, joinedload

from ...models import Completion, LessonAudience, MicroLesson, User
from ..quiz.quizview import questions_version

STATUS_FILTERS = ("due", "done", "all")


class LessonNotFound(LookupError):
    """No such lesson for this user: unknown, not yet published, or outside its audience."""


@dataclass(frozen=True)
class LessonStatus:
    """A lesson in a user's list, with where the user stands."""

    id: int
    issue_no: int
    title: str
    summary: str
    estimated_minutes: int
    publish_at: datetime
    due_at: datetime
    status: str  # due | overdue | done
    best_score: int | None
    completed_at: datetime | None
    first_score: int | None = None  # the first attempt's, beside the best


def unit_ids_on_path(unit_path: str) -> list[int]:
    """The ids of a unit and its ancestors, read from its materialized path."""
    return [int(part) for part in unit_path.strip("/").split("/") if part]


def visible_clause(user: User, now: datetime):
    """SQL condition: the lesson is out and addressed to the user (or to everyone)."""
    audience = select(LessonAudience.lesson_id).where(LessonAudience.lesson_id == MicroLesson.id)
    ancestors = unit_ids_on_path(user.unit.path)
    return and_(
        MicroLesson.status == "published",
        MicroLesson.publish_at <= now,
        or_(~exists(audience), exists(audience.where(LessonAudience.unit_id.in_(ancestors)))),
    )


def status_of(completed: bool, due_at: datetime, now: datetime) -> str:
    """due, overdue or done."""
    if completed:
        return "done"
    return "overdue" if now > due_at else "due"


def _listing(user: User, now: datetime):
    return (
        select(MicroLesson.id, MicroLesson.issue_no, MicroLesson.title, MicroLesson.summary,
               MicroLesson.estimated_minutes, MicroLesson.publish_at, MicroLesson.due_at,
               Completion.status, Completion.best_score, Completion.first_completed_at,
               Completion.first_score)
        .outerjoin(Completion, and_(Completion.user_id == user.id,
                                    Completion.item_type == "lesson",
                                    Completion.item_id == MicroLesson.id))
        .where(visible_clause(user, now))
        .order_by(MicroLesson.publish_at.desc(), MicroLesson.issue_no.desc()))


def _row(row, now: datetime) -> LessonStatus:
    (id_, issue_no, title, summary, minutes, publish_at, due_at,
     completion_status, best_score, completed_at, first_score) = row
    done = completion_status == "completed"
    return LessonStatus(id_, issue_no, title, summary, minutes, publish_at, due_at,
                        status_of(done, due_at, now), best_score, completed_at if done else None,
                        first_score)


def list_for_user(db: Session, user: User, now: datetime, status: str = "all"
                  ) -> list[LessonStatus]:
    """The user's lessons, newest first; `due` means not yet done (due or overdue)."""
    if status not in STATUS_FILTERS:
        raise ValueError(f"status must be one of {', '.join(STATUS_FILTERS)}")
    query = _listing(user, now)
    if status == "done":
        query = query.where(Completion.status == "completed")
    elif status == "due":
        query = query.where(or_(Completion.status.is_(None), Completion.status != "completed"))
    return [_row(row, now) for row in db.execute(query)]


def current(db: Session, user: User, now: datetime) -> LessonStatus | None:
    """This week's lesson: the latest one published to the user."""
    row = db.execute(_listing(user, now).limit(1)).first()
    return _row(row, now) if row else None


def overdue_count(db: Session, user: User, now: datetime) -> int:
    """How many of the user's lessons are past due and not done."""
    return sum(1 for lesson in list_for_user(db, user, now, "due") if lesson.status == "overdue")


def status_for(db: Session, user: User, lesson_id: int, now: datetime) -> LessonStatus:
    """One lesson as it stands for the user; LessonNotFound when not theirs to see."""
    row = db.execute(_status_for_statement(),
                     {"p_user_id": user.id, "p_lesson_id": lesson_id, "p_now": now,
                      "p_ancestors": unit_ids_on_path(user.unit.path)}).first()
    if row is None:
        raise LessonNotFound(lesson_id)
    return _row(row, now)


@lru_cache(maxsize=1)
def _status_for_statement():
    """`status_for`'s statement, built once: `_listing` + `visible_clause` with binds."""
    audience = select(LessonAudience.lesson_id).where(LessonAudience.lesson_id == MicroLesson.id)
    return (
        select(MicroLesson.id, MicroLesson.issue_no, MicroLesson.title, MicroLesson.summary,
               MicroLesson.estimated_minutes, MicroLesson.publish_at, MicroLesson.due_at,
               Completion.status, Completion.best_score, Completion.first_completed_at,
               Completion.first_score)
        .outerjoin(Completion, and_(Completion.user_id == bindparam("p_user_id"),
                                    Completion.item_type == "lesson",
                                    Completion.item_id == MicroLesson.id))
        .where(MicroLesson.id == bindparam("p_lesson_id"),
               MicroLesson.status == "published",
               MicroLesson.publish_at <= bindparam("p_now"),
               or_(~exists(audience),
                   exists(audience.where(LessonAudience.unit_id.in_(
                       bindparam("p_ancestors", expanding=True)))))))


def get_for_user(db: Session, user: User, lesson_id: int, now: datetime) -> MicroLesson:
    """The lesson (its quiz loaded), if the user may see it; else LessonNotFound (the same
    for every reason)."""
    return get_with_quiz_version(db, user, lesson_id, now)[0]


def get_with_quiz_version(db: Session, user: User, lesson_id: int, now: datetime
                          ) -> tuple[MicroLesson, str | None]:
    """`get_for_user`, plus the digest of its quiz's questions (`quizview.questions_version`)
    for `quizview.public_questions_cached`: lesson, quiz and digest in one query."""
    row = db.execute(_lesson_with_version(db.get_bind().dialect.name),
                     {"lesson_id": lesson_id, "now": now,
                      "ancestors": unit_ids_on_path(user.unit.path)}).first()
    if row is None:
        raise LessonNotFound(lesson_id)
    return row[0], row[1]


@lru_cache(maxsize=4)
def _lesson_with_version(dialect: str):
    """The statement of `get_with_quiz_version`, built once: `visible_clause` with binds."""
    audience = select(LessonAudience.lesson_id).where(LessonAudience.lesson_id == MicroLesson.id)
    return (select(MicroLesson, questions_version(MicroLesson.quiz_id, dialect))
            .options(joinedload(MicroLesson.quiz, innerjoin=True))
            .where(MicroLesson.id == bindparam("lesson_id"),
                   MicroLesson.status == "published",
                   MicroLesson.publish_at <= bindparam("now"),
                   or_(~exists(audience),
                       exists(audience.where(LessonAudience.unit_id.in_(
                           bindparam("ancestors", expanding=True)))))))
