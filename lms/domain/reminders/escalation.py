"""Escalating reminders for the weekly micro-lessons; set-based and idempotent; no Flask.

Each run looks at the clock and the completions and stores what is due at that moment:

1. a lesson published in the last week → "本周微课已发布" to its officers who have not done it;
2. a lesson due within 24 hours → a reminder to the officers who have not done it;
3. a lesson past due → the officer once (in its first overdue week), and a digest of who is
   missing to the supervisors of their branch, repeated every 7 days; from 3 days past due
   also a digest to the supervisors of the county (or department) above, every 7 days.

Every notification carries a dedupe key naming its step (`overdue-branch:12:40:1`); the
(user, dedupe key) unique constraint makes a second run — or two at once — store nothing new,
and only what was newly stored goes to the outbox. "Who has not done it" is asked at sending
time, so a completion between runs stops that officer's reminders. Each step is one query
that also skips what was already sent, so an hourly run at 30,000 officers stays cheap.
"""
from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from ...models import MicroLesson, User
from .. import audit
from ..reports.outstanding import (
    Lesson,
    dedupe_key,
    incomplete_assignees,
    local_text,
    not_sent,
    released_lessons,
)
from . import digests, inbox, outbox
from .inbox import Draft

STEPS = ("new", "due", "overdue", "branch", "county")


@dataclass(frozen=True)
class Schedule:
    """When each step happens."""

    new_for: timedelta = timedelta(days=7)
    due_within: timedelta = timedelta(hours=24)
    repeat_days: int = 7
    county_after_days: int = 3
    # Supervisors are chased about a lesson for this many weeks after it fell due; after
    # that it stays on the not-yet-done lists and the 通报, but digests stop, so a year's
    # backlog cannot bury a branch secretary under dozens of digests a week.
    chase_weeks: int = 4


SCHEDULE = Schedule()


@dataclass(frozen=True)
class ReminderReport:
    """How many notifications each step newly stored (and handed to the notifier)."""

    new: int = 0  # officers told of a new lesson
    due: int = 0  # officers reminded of tomorrow's due date
    overdue: int = 0  # officers told their lesson is overdue
    branch: int = 0  # digests to branch supervisors
    county: int = 0  # digests to county supervisors

    @property
    def total(self) -> int:
        """Notifications stored by the whole run."""
        return sum(getattr(self, f.name) for f in fields(self))

    def lines(self) -> list[str]:
        """`step: count` per step, in the order the steps run."""
        return [f"{f.name}: {getattr(self, f.name)}" for f in fields(self)]


RUN_ACTION = "reminders_run"


def plan_and_store(db: Session, now: datetime, tz: str, schedule: Schedule = SCHEDULE,
                   external: bool = True) -> ReminderReport:
    """Store every reminder due at `now` (naive UTC), committing after each step; with
    `external`, each new notification's delivery goes into the outbox in the same
    transaction, so none is lost if the process dies before `outbox.deliver`."""
    counts = {}
    for step in STEPS:
        created = inbox.store(db, plan_step(db, step, now, tz, schedule), at=now)
        if external:
            outbox.enqueue(db, created, now)
        db.commit()
        counts[step] = len(created)
    audit.record(db, RUN_ACTION, detail=counts)  # the run finished: /metrics shows when
    db.commit()
    return ReminderReport(**counts)


def plan_and_send(db: Session, now: datetime, tz: str, notifier,
                  schedule: Schedule = SCHEDULE) -> ReminderReport:
    """Store every reminder due at `now`, then deliver what is due through `notifier`
    (its failures are retried by later runs; see `outbox`)."""
    external = outbox.delivers_externally(notifier)
    report = plan_and_store(db, now, tz, schedule, external)
    if external:
        outbox.deliver(db, notifier, now)
    return report


def plan(db: Session, now: datetime, tz: str, schedule: Schedule = SCHEDULE
         ) -> dict[str, list[Draft]]:
    """What each step would send at `now` that was not sent before; stores nothing."""
    return {step: plan_step(db, step, now, tz, schedule) for step in STEPS}


def plan_step(db: Session, step: str, now: datetime, tz: str, schedule: Schedule = SCHEDULE
              ) -> list[Draft]:
    """The drafts of one step (see the module docstring) not sent before."""
    return _PLANNERS[step](db, now, tz, schedule)


def _new(db: Session, now: datetime, tz: str, schedule: Schedule) -> list[Draft]:
    lessons = released_lessons(db, now, MicroLesson.publish_at > now - schedule.new_for,
                               MicroLesson.due_at > now)
    return _to_officers(db, lessons, "lesson_new", "lesson-new", lambda lesson: (
        "本周微课已发布",
        f"《{lesson.title}》已发布，请于 {local_text(lesson.due_at, tz)} 前完成学习和测验。"))


def _due(db: Session, now: datetime, tz: str, schedule: Schedule) -> list[Draft]:
    lessons = released_lessons(db, now, MicroLesson.due_at > now,
                               MicroLesson.due_at <= now + schedule.due_within)
    return _to_officers(db, lessons, "lesson_due", "lesson-due", lambda lesson: (
        "微课即将截止",
        f"《{lesson.title}》将于 {local_text(lesson.due_at, tz)} 截止，您还没有完成，请抓紧学习。"))


def _overdue(db: Session, now: datetime, tz: str, schedule: Schedule) -> list[Draft]:
    lessons = released_lessons(db, now, MicroLesson.due_at < now,
                               MicroLesson.due_at >= now - timedelta(days=schedule.repeat_days))
    return _to_officers(db, lessons, "lesson_overdue", "lesson-overdue", lambda lesson: (
        "微课已逾期",
        f"《{lesson.title}》已于 {local_text(lesson.due_at, tz)} 截止，您还没有完成，请尽快补学。"))


def _to_officers(db: Session, lessons: list[Lesson], kind: str, prefix: str, text
                 ) -> list[Draft]:
    if not lessons:
        return []
    by_id = {lesson.id: (lesson, *text(lesson)) for lesson in lessons}
    query = (incomplete_assignees(by_id)
             .where(not_sent(User.id, prefix, MicroLesson.id))
             .order_by(MicroLesson.id, User.id))
    drafts = []
    for row in db.execute(query):
        lesson, title, body = by_id[row[0]]
        drafts.append(Draft(row[1], kind, title, body, _link(lesson),
                            dedupe_key(prefix, lesson.id)))
    return drafts


def _link(lesson: Lesson) -> str:
    return f"/lessons/{lesson.id}"


def _branch(db: Session, now: datetime, tz: str, schedule: Schedule) -> list[Draft]:
    return digests.branch_digests(db, now, tz, schedule.repeat_days, schedule.chase_weeks)


def _county(db: Session, now: datetime, tz: str, schedule: Schedule) -> list[Draft]:
    return digests.county_digests(db, now, tz, schedule.county_after_days, schedule.repeat_days,
                                  schedule.chase_weeks)


_PLANNERS = {"new": _new, "due": _due, "overdue": _overdue, "branch": _branch,
             "county": _county}
