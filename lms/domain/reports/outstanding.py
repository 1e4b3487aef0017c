"""Lessons still owed, the ground of the reminders and the supervisors' digests: released
lessons by due window, the officers who have not completed them, and whether a reminder
about them already went out (its dedupe key); no Flask.
"""
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import String, cast, literal, or_, select
from sqlalchemy.orm import Session, aliased

from ...models import Completion, LessonAudience, MicroLesson, Notification, Unit, User
from ..clock import to_local

OfficerUnit = aliased(Unit, name="officer_unit")
AudienceUnit = aliased(Unit, name="audience_unit")


class Lesson(NamedTuple):
    """What a reminder says about a lesson."""

    id: int
    title: str
    due_at: datetime


class Missing(NamedTuple):
    """An assigned officer who has not completed a lesson, with their unit."""

    lesson_id: int
    user_id: int
    name: str
    police_no: str
    unit_id: int
    unit_name: str


def incomplete_assignees(lesson_ids):
    """One SELECT of `Missing` rows: every active officer each lesson is assigned to (its
    audience subtrees, or everyone when it has none) who has not completed it."""
    audience = select(LessonAudience.lesson_id).where(LessonAudience.lesson_id == MicroLesson.id)
    in_audience = (audience.join(AudienceUnit, AudienceUnit.id == LessonAudience.unit_id)
                   .where(OfficerUnit.path.startswith(AudienceUnit.path)))
    completed = select(Completion.id).where(
        Completion.user_id == User.id, Completion.item_type == "lesson",
        Completion.item_id == MicroLesson.id, Completion.status == "completed")
    return (
        select(MicroLesson.id, User.id, User.name, User.police_no, OfficerUnit.id,
               OfficerUnit.name)
        .join_from(User, OfficerUnit, OfficerUnit.id == User.unit_id)
        .join(MicroLesson, MicroLesson.id.in_(list(lesson_ids)))
        .where(User.is_officer, User.active,
               or_(~audience.exists(), in_audience.exists()), ~completed.exists()))


def released_lessons(db: Session, now: datetime, *conditions) -> list[Lesson]:
    """Published lessons that are out, meeting `conditions` (a handful of rows)."""
    return [Lesson(*row) for row in db.execute(
        select(MicroLesson.id, MicroLesson.title, MicroLesson.due_at)
        .where(MicroLesson.status == "published", MicroLesson.publish_at <= now, *conditions)
        .order_by(MicroLesson.due_at, MicroLesson.id))]


def overdue_lessons(db: Session, now: datetime, at_least_days: int,
                    chase_weeks: int | None = None) -> list[Lesson]:
    """Lessons at least `at_least_days` overdue (and fewer than `chase_weeks` weeks)."""
    conditions = [MicroLesson.due_at <= now - timedelta(days=at_least_days),
                  MicroLesson.due_at < now]
    if chase_weeks is not None:
        conditions.append(MicroLesson.due_at > now - timedelta(weeks=chase_weeks))
    return released_lessons(db, now, *conditions)


def days_overdue(lesson: Lesson, now: datetime) -> int:
    """Whole days past due."""
    return (now - lesson.due_at) // timedelta(days=1)


def dedupe_key(*parts) -> str:
    """A dedupe key: `overdue-branch:12:40:1`."""
    return ":".join(str(part) for part in parts)


def _sql_key(*parts):
    """The SQL twin of `dedupe_key` for parts that are strings or integer columns."""
    expression = None
    for part in parts:
        piece = literal(part, String) if isinstance(part, str) else cast(part, String)
        expression = piece if expression is None else expression + literal(":", String) + piece
    return expression


def not_sent(user_id, *key_parts):
    """SQL: the user has no notification with this key yet."""
    # OFFSET 0 keeps this a probe of the (user_id, dedupe_key) unique index per row:
    # PostgreSQL otherwise may merge-join every notification of each user, building the
    # key for each pair — seconds instead of milliseconds at a year's history.
    return ~(select(Notification.id)
             .where(Notification.user_id == user_id,
                    Notification.dedupe_key == _sql_key(*key_parts))
             .offset(0).exists())


def local_text(moment: datetime, tz: str) -> str:
    """A naive UTC time as local `YYYY-MM-DD HH:MM` in `tz`, as reminders print it."""
    return to_local(moment, tz).strftime("%Y-%m-%d %H:%M")
