"""Weekly micro-lessons as an officer sees them: who gets which, and due/overdue/done; no Flask.

A lesson is open to a user when it is published, its publish time has come, and its
audience (`policy.lesson_reaches`) includes the user's unit now, or the user owes it
(`policy.owed_by`: membership at its due time, e.g. from a unit they have since left). A
lesson the user does not owe is `optional`: open, counted in their profile, never overdue.
"""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, and_, literal, or_, select
from sqlalchemy.orm import Session

from ...models import Completion, MicroLesson, User
from ..org import policy

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
    status: str  # due | overdue | done | optional
    best_score: int | None
    completed_at: datetime | None
    first_score: int | None = None  # the first attempt's, beside the best


def _open_to(unit_path, now, owed):
    """SQL: the lesson is out and open to the user (addressed to their unit now, or owed)."""
    return and_(policy.lesson_released(now), or_(policy.lesson_reaches(unit_path), owed))


def status_of(completed: bool, owed: bool, due_at: datetime, now: datetime) -> str:
    """done, optional (not owed), overdue or due."""
    if completed:
        return "done"
    if not owed:
        return "optional"
    return "overdue" if now > due_at else "due"


def _columns(owed):
    return (MicroLesson.id, MicroLesson.issue_no, MicroLesson.title, MicroLesson.summary,
            MicroLesson.estimated_minutes, MicroLesson.publish_at, MicroLesson.due_at,
            Completion.status, Completion.best_score, Completion.first_completed_at,
            Completion.first_score, owed.label("owed"))


def _listing(user: User, now: datetime):
    owed = policy.owed_by(user.id)
    return (
        select(*_columns(owed))
        .outerjoin(Completion, and_(Completion.user_id == user.id,
                                    Completion.item_type == "lesson",
                                    Completion.item_id == MicroLesson.id))
        .where(_open_to(literal(user.unit.path, String), now, owed))
        .order_by(MicroLesson.publish_at.desc(), MicroLesson.issue_no.desc()))


def _row(row, now: datetime) -> LessonStatus:
    (id_, issue_no, title, summary, minutes, publish_at, due_at,
     completion_status, best_score, completed_at, first_score, owed) = row
    done = completion_status == "completed"
    return LessonStatus(id_, issue_no, title, summary, minutes, publish_at, due_at,
                        status_of(done, bool(owed), due_at, now), best_score,
                        completed_at if done else None, first_score)


def list_for_user(db: Session, user: User, now: datetime, status: str = "all"
                  ) -> list[LessonStatus]:
    """The user's lessons, newest first; `due` means owed and not yet done (due or overdue),
    `all` adds the optional ones."""
    if status not in STATUS_FILTERS:
        raise ValueError(f"status must be one of {', '.join(STATUS_FILTERS)}")
    query = _listing(user, now)
    if status == "done":
        query = query.where(Completion.status == "completed")
    elif status == "due":
        query = query.where(or_(Completion.status.is_(None), Completion.status != "completed"),
                            policy.owed_by(user.id))
    return [_row(row, now) for row in db.execute(query)]


def current(db: Session, user: User, now: datetime) -> LessonStatus | None:
    """This week's lesson: the latest one published to the user."""
    row = db.execute(_listing(user, now).limit(1)).first()
    return _row(row, now) if row else None


def overdue_count(db: Session, user: User, now: datetime) -> int:
    """How many of the user's lessons are past due and not done."""
    return sum(1 for lesson in list_for_user(db, user, now, "due") if lesson.status == "overdue")


