"""Lessons still owed, the ground of the reminders and the supervisors' digests: released
lessons by due window, the officers who have not completed them, and whether a reminder
about them already went out (its dedupe key); no Flask.
"""
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import String, cast, literal, select
from sqlalchemy.orm import Session, aliased

from ...models import Completion, MicroLesson, Notification, Unit, User
from ..clock import to_local
from ..org import policy

OfficerUnit = aliased(Unit, name="officer_unit")


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
    """One SELECT of `Missing` rows: every officer who owes one of these lessons
    (`policy.owed`) and has not completed it, with the unit it is owed for."""
    owed = policy.owed(list(lesson_ids))
    completed = select(Completion.id).where(
        Completion.user_id == owed.c.user_id, Completion.item_type == "lesson",
        Completion.item_id == owed.c.lesson_id, Completion.status == "completed")
    return (
        select(MicroLesson.id, User.id, User.name, User.police_no, OfficerUnit.id,
               OfficerUnit.name)
        .select_from(owed)
        .join(MicroLesson, MicroLesson.id == owed.c.lesson_id)
        .join(User, User.id == owed.c.user_id)
        .join(OfficerUnit, OfficerUnit.id == owed.c.unit_id)
        .where(~completed.exists()))


def released_lessons(db: Session, now: datetime, *conditions) -> list[Lesson]:
    """Published lessons that are out, meeting `conditions` (a handful of rows)."""
    return [Lesson(*row) for row in db.execute(
        select(MicroLesson.id, MicroLesson.title, MicroLesson.due_at)
        .where(policy.lesson_released(now), *conditions)
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
