"""The learning profile (学习档案): completions and when, best scores, points, classroom
attendance; no Flask."""
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import ClassSession, Completion, Courseware, MicroLesson, PointsClaim, User
from ..classrooms import lifecycle
from . import lessons, points

TITLE_SOURCES = {
    "lesson": (MicroLesson.id, MicroLesson.title),
    "courseware": (Courseware.id, Courseware.title),
    "session": (ClassSession.id, ClassSession.topic),
    "points_claim": (PointsClaim.id, PointsClaim.note),  # an activity's points (claims)
}


@dataclass(frozen=True)
class CompletionLine:
    """One completed item of the profile."""

    item_type: str  # lesson | courseware | session
    item_id: int
    title: str
    completed_at: datetime
    best_score: int | None
    attempts: int
    time_spent_seconds: int
    first_score: int | None = None  # the first attempt's, beside the best


@dataclass(frozen=True)
class HistoryLine:
    """One line of the points history, with the title of what earned it."""

    at: datetime
    rule: str
    points: int
    source_type: str
    source_id: int
    title: str


@dataclass(frozen=True)
class Profile:
    """Everything the profile page and GET /api/v1/me/profile show."""

    current: lessons.LessonStatus | None
    completions: list[CompletionLine]
    points: int
    history: list[HistoryLine]
    lessons_assigned: int
    lessons_done: int
    attendance: list[lifecycle.AttendanceLine] = field(default_factory=list)


def titles(db: Session, items: Iterable[tuple[str, int]]) -> dict[tuple[str, int], str]:
    """Titles of (item_type, item_id) pairs; one query per type present."""
    wanted: dict[str, set[int]] = {}
    for item_type, item_id in items:
        wanted.setdefault(item_type, set()).add(item_id)
    found = {}
    for item_type, ids in wanted.items():
        if item_type not in TITLE_SOURCES:
            continue
        id_col, title_col = TITLE_SOURCES[item_type]
        for item_id, title in db.execute(select(id_col, title_col).where(id_col.in_(ids))):
            found[(item_type, item_id)] = title
    return found


def completions(db: Session, user_id: int) -> list[CompletionLine]:
    """The user's completed items, most recently completed first."""
    rows = db.execute(
        select(Completion.item_type, Completion.item_id, Completion.first_completed_at,
               Completion.best_score, Completion.attempts, Completion.time_spent_seconds,
               Completion.first_score)
        .where(Completion.user_id == user_id, Completion.status == "completed")
        .order_by(Completion.first_completed_at.desc(), Completion.id.desc())).all()
    names = titles(db, ((row[0], row[1]) for row in rows))
    return [CompletionLine(item_type, item_id, names.get((item_type, item_id), ""), at,
                           best, tries, spent, first)
            for item_type, item_id, at, best, tries, spent, first in rows]


def points_history(db: Session, user_id: int, limit: int = 100) -> list[HistoryLine]:
    """The points ledger, newest first, with source titles."""
    lines = points.history(db, user_id, limit)
    names = titles(db, ((line.source_type, line.source_id) for line in lines))
    return [HistoryLine(line.at, line.rule, line.points, line.source_type, line.source_id,
                        names.get((line.source_type, line.source_id), ""))
            for line in lines]


def build(db: Session, user: User, now: datetime) -> Profile:
    """The whole profile of `user` as of `now`."""
    mine = lessons.list_for_user(db, user, now)
    return Profile(
        current=mine[0] if mine else None,
        completions=completions(db, user.id),
        points=points.total(db, user.id),
        history=points_history(db, user.id),
        lessons_assigned=sum(1 for lesson in mine if lesson.status != "optional"),
        lessons_done=sum(1 for lesson in mine if lesson.status == "done"),
        attendance=lifecycle.attendance_of(db, user.id),
    )
