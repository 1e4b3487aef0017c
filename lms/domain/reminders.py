"""Escalating reminders for the weekly micro-lessons; set-based and idempotent; no Flask.

Each run looks at the clock and the completions and stores what is due at that moment:

1. a lesson published in the last week → "本周微课已发布" to its officers who have not done it;
2. a lesson due within 24 hours → a reminder to the officers who have not done it;
3. a lesson past due → the officer once (in its first overdue week), and a digest of who is
   missing to the supervisors of their branch, repeated every 7 days; from 3 days past due
   also a digest to the supervisors of the county (or department) above, every 7 days.

Every notification carries a dedupe key naming its step (`overdue-branch:12:40:1`); the
(user, dedupe key) unique constraint makes a second run — or two at once — store nothing new,
and only what was newly stored reaches the notifier. "Who has not done it" is always asked at
sending time, so a completion between runs stops that officer's reminders.
"""
import logging
from collections import defaultdict
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session, aliased

from ..models import Completion, LessonAudience, MicroLesson, Unit, User
from . import notifications
from .clock import to_local
from .lessons import unit_ids_on_path
from .notifications import Draft

log = logging.getLogger(__name__)

COUNTY_KINDS = ("county", "department")
NAMES_PER_BRANCH = 30  # a digest names this many, then says how many more


@dataclass(frozen=True)
class Schedule:
    """When each step happens."""

    new_for: timedelta = timedelta(days=7)
    due_within: timedelta = timedelta(hours=24)
    repeat_days: int = 7
    county_after_days: int = 3


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


class Lesson(NamedTuple):
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
    unit_path: str
    unit_name: str


def plan_and_send(db: Session, now: datetime, tz: str, notifier,
                  schedule: Schedule = Schedule()) -> ReminderReport:
    """Store every reminder due at `now` (naive UTC) and deliver the new ones; commits after
    each step, so the notifier only ever sees notifications that are stored."""
    counts = {}
    for plan in (_new_lessons, _due_soon, _overdue):
        for step, drafts in plan(db, now, tz, schedule).items():
            created = notifications.store(db, drafts, at=now)
            db.commit()
            _deliver(notifier, created)
            counts[step] = len(created)
    return ReminderReport(**counts)


def incomplete_assignees(lesson_ids: list[int]):
    """One SELECT of `Missing` rows: every active officer each lesson is assigned to (its
    audience subtrees, or everyone when it has none) who has not completed it."""
    officer_unit, audience_unit = aliased(Unit), aliased(Unit)
    audience = select(LessonAudience.lesson_id).where(LessonAudience.lesson_id == MicroLesson.id)
    in_audience = (audience.join(audience_unit, audience_unit.id == LessonAudience.unit_id)
                   .where(officer_unit.path.startswith(audience_unit.path)))
    completed = select(Completion.id).where(
        Completion.user_id == User.id, Completion.item_type == "lesson",
        Completion.item_id == MicroLesson.id, Completion.status == "completed")
    return (
        select(MicroLesson.id, User.id, User.name, User.police_no, officer_unit.id,
               officer_unit.path, officer_unit.name)
        .join_from(User, officer_unit, officer_unit.id == User.unit_id)
        .join(MicroLesson, MicroLesson.id.in_(lesson_ids))
        .where(User.is_officer, User.active,
               or_(~exists(audience), exists(in_audience)), ~exists(completed))
        .order_by(MicroLesson.id, officer_unit.id, User.police_no))


def _missing(db: Session, lessons: list[Lesson]) -> list[Missing]:
    if not lessons:
        return []
    return [Missing(*row) for row in db.execute(incomplete_assignees([l.id for l in lessons]))]


def _lessons(db: Session, now: datetime, *conditions) -> list[Lesson]:
    """Published lessons that are out, meeting `conditions` (a handful of rows)."""
    return [Lesson(*row) for row in db.execute(
        select(MicroLesson.id, MicroLesson.title, MicroLesson.due_at)
        .where(MicroLesson.status == "published", MicroLesson.publish_at <= now, *conditions)
        .order_by(MicroLesson.due_at, MicroLesson.id))]


def _new_lessons(db: Session, now: datetime, tz: str, schedule: Schedule) -> dict:
    lessons = _lessons(db, now, MicroLesson.publish_at > now - schedule.new_for,
                       MicroLesson.due_at > now)
    return {"new": _to_officers(db, lessons, "lesson_new", "lesson-new", lambda lesson: (
        "本周微课已发布",
        f"《{lesson.title}》已发布,请于 {_local(lesson.due_at, tz)} 前完成学习和测验。"))}


def _due_soon(db: Session, now: datetime, tz: str, schedule: Schedule) -> dict:
    lessons = _lessons(db, now, MicroLesson.due_at > now,
                       MicroLesson.due_at <= now + schedule.due_within)
    return {"due": _to_officers(db, lessons, "lesson_due", "lesson-due", lambda lesson: (
        "微课即将截止",
        f"《{lesson.title}》将于 {_local(lesson.due_at, tz)} 截止,您还没有完成,请抓紧学习。"))}


def _to_officers(db: Session, lessons: list[Lesson], kind: str, key: str, text) -> list[Draft]:
    by_id = {lesson.id: (lesson, *text(lesson)) for lesson in lessons}
    drafts = []
    for row in _missing(db, lessons):
        lesson, title, body = by_id[row.lesson_id]
        drafts.append(Draft(row.user_id, kind, title, body, _link(lesson), f"{key}:{lesson.id}"))
    return drafts


def _overdue(db: Session, now: datetime, tz: str, schedule: Schedule) -> dict:
    """The officer's own notice, then the branch and county digests, from one query."""
    lessons = _lessons(db, now, MicroLesson.due_at < now)
    days = {lesson.id: (now - lesson.due_at) // timedelta(days=1) for lesson in lessons}
    missing = _missing(db, lessons)
    by_id = {lesson.id: lesson for lesson in lessons}
    officers = [Draft(
        row.user_id, "lesson_overdue", "微课已逾期",
        f"《{by_id[row.lesson_id].title}》已于 {_local(by_id[row.lesson_id].due_at, tz)} "
        "截止,您还没有完成,请尽快补学。", _link(by_id[row.lesson_id]),
        f"lesson-overdue:{row.lesson_id}")
        for row in missing if days[row.lesson_id] < schedule.repeat_days]
    supervisors = _supervisors_by_unit(db)
    branch = _branch_digests(missing, by_id, days, supervisors, tz, schedule)
    county = _county_digests(db, missing, by_id, days, supervisors, tz, schedule)
    return {"overdue": officers, "branch": branch, "county": county}


def _branch_digests(missing: list[Missing], lessons: dict, days: dict, supervisors: dict,
                    tz: str, schedule: Schedule) -> list[Draft]:
    groups = defaultdict(list)
    for row in missing:
        if supervisors.get(row.unit_id):
            groups[(row.lesson_id, row.unit_id)].append(row)
    drafts = []
    for (lesson_id, unit_id), rows in groups.items():
        lesson, overdue_days = lessons[lesson_id], days[lesson_id]
        step = overdue_days // schedule.repeat_days
        body = (f"《{lesson.title}》已于 {_local(lesson.due_at, tz)} 截止(逾期 {overdue_days} 天),"
                f"{rows[0].unit_name}尚有 {len(rows)} 人未完成:{_names(rows)}")
        drafts += [Draft(supervisor, "overdue_branch", _title("本支部逾期未学", lesson, len(rows)),
                         body, None, f"overdue-branch:{lesson_id}:{unit_id}:{step}")
                   for supervisor in supervisors[unit_id]]
    return drafts


def _county_digests(db: Session, missing: list[Missing], lessons: dict, days: dict,
                    supervisors: dict, tz: str, schedule: Schedule) -> list[Draft]:
    counties = _counties(db)
    groups = defaultdict(lambda: defaultdict(list))
    for row in missing:
        if days[row.lesson_id] < schedule.county_after_days:
            continue
        county = next((counties[i] for i in unit_ids_on_path(row.unit_path) if i in counties),
                      None)
        if county is not None and supervisors.get(county.id):
            groups[(row.lesson_id, county)][row.unit_id].append(row)
    drafts = []
    for (lesson_id, county), branches in groups.items():
        lesson, overdue_days = lessons[lesson_id], days[lesson_id]
        step = (overdue_days - schedule.county_after_days) // schedule.repeat_days
        total = sum(len(rows) for rows in branches.values())
        lines = [f"{rows[0].unit_name} {len(rows)} 人:{_names(rows)}" for rows in
                 sorted(branches.values(), key=lambda rows: (-len(rows), rows[0].unit_name))]
        body = (f"《{lesson.title}》已于 {_local(lesson.due_at, tz)} 截止(逾期 {overdue_days} 天),"
                f"{county.name}尚有 {total} 人未完成,分布如下:\n" + "\n".join(lines))
        drafts += [Draft(supervisor, "overdue_county", _title("逾期未学汇总", lesson, total),
                         body, None, f"overdue-county:{lesson_id}:{county.id}:{step}")
                   for supervisor in supervisors[county.id]]
    return drafts


class County(NamedTuple):
    id: int
    name: str


def _counties(db: Session) -> dict[int, County]:
    """Counties and departments (a few dozen rows), to place a unit by its path."""
    return {row.id: County(row.id, row.name) for row in db.execute(
        select(Unit.id, Unit.name).where(Unit.kind.in_(COUNTY_KINDS)))}


def _supervisors_by_unit(db: Session) -> dict[int, list[int]]:
    """Active supervisors' ids by the unit they sit in (one row per supervisor)."""
    by_unit = defaultdict(list)
    for user_id, unit_id in db.execute(
            select(User.id, User.unit_id).where(User.is_supervisor, User.active)
            .order_by(User.id)):
        by_unit[unit_id].append(user_id)
    return by_unit


def _names(rows: list[Missing]) -> str:
    shown = "、".join(f"{row.name}({row.police_no})" for row in rows[:NAMES_PER_BRANCH])
    more = len(rows) - NAMES_PER_BRANCH
    return shown + (f" 等 {len(rows)} 人" if more > 0 else "")


def _title(prefix: str, lesson: Lesson, count: int) -> str:
    return f"{prefix} {count} 人:{lesson.title}"[:200]


def _link(lesson: Lesson) -> str:
    return f"/lessons/{lesson.id}"


def _local(moment: datetime, tz: str) -> str:
    return to_local(moment, tz).strftime("%Y-%m-%d %H:%M")


def _deliver(notifier, created: list) -> None:
    """Hand the new notifications over; a failing notifier must not stop the next step —
    what it failed to push is still in every inbox."""
    if not created:
        return
    try:
        notifier.deliver(created)
    except Exception:  # noqa: BLE001 - the protocol says it must not raise; guard anyway
        log.exception("notifier %r failed to deliver %d notification(s)",
                      notifier, len(created))
