"""Escalating reminders for the weekly micro-lessons; set-based and idempotent; no Flask.

Each run looks at the clock and the completions and stores what is due at that moment:

1. a lesson published in the last week → "本周微课已发布" to its officers who have not done it;
2. a lesson due within 24 hours → a reminder to the officers who have not done it;
3. a lesson past due → the officer once (in its first overdue week), and a digest of who is
   missing to the supervisors of their branch, repeated every 7 days; from 3 days past due
   also a digest to the supervisors of the county (or department) above, every 7 days.

Every notification carries a dedupe key naming its step (`overdue-branch:12:40:1`); the
(user, dedupe key) unique constraint makes a second run — or two at once — store nothing new,
and only what was newly stored reaches the notifier. "Who has not done it" is asked at sending
time, so a completion between runs stops that officer's reminders. Each step is one query
that also skips what was already sent, so an hourly run at 30,000 officers stays cheap.
"""
import logging
from collections import defaultdict
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import String, case, cast, literal, or_, select
from sqlalchemy.orm import Session, aliased

from ..models import Completion, LessonAudience, MicroLesson, Notification, Unit, User
from . import notifications
from .clock import to_local
from .notifications import Draft

log = logging.getLogger(__name__)

STEPS = ("new", "due", "overdue", "branch", "county")
COUNTY_KINDS = ("county", "department")
NAMES_PER_BRANCH = 30  # a digest names this many, then says how many more

OfficerUnit = aliased(Unit, name="officer_unit")
AudienceUnit = aliased(Unit, name="audience_unit")
Supervisor = aliased(User, name="supervisor")
SupervisorUnit = aliased(Unit, name="supervisor_unit")
HigherUnit = aliased(Unit, name="higher_unit")


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


def plan_and_send(db: Session, now: datetime, tz: str, notifier,
                  schedule: Schedule = SCHEDULE) -> ReminderReport:
    """Store every reminder due at `now` (naive UTC) and deliver the new ones; commits after
    each step, so the notifier only ever sees notifications that are stored."""
    counts = {}
    for step in STEPS:
        created = notifications.store(db, plan_step(db, step, now, tz, schedule), at=now)
        db.commit()
        _deliver(notifier, created)
        counts[step] = len(created)
    return ReminderReport(**counts)


def plan(db: Session, now: datetime, tz: str, schedule: Schedule = SCHEDULE
         ) -> dict[str, list[Draft]]:
    """What each step would send at `now` that was not sent before; stores nothing."""
    return {step: plan_step(db, step, now, tz, schedule) for step in STEPS}


def plan_step(db: Session, step: str, now: datetime, tz: str, schedule: Schedule = SCHEDULE
              ) -> list[Draft]:
    """The drafts of one step (see the module docstring) not sent before."""
    return _PLANNERS[step](db, now, tz, schedule)


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


def _new(db: Session, now: datetime, tz: str, schedule: Schedule) -> list[Draft]:
    lessons = _lessons(db, now, MicroLesson.publish_at > now - schedule.new_for,
                       MicroLesson.due_at > now)
    return _to_officers(db, lessons, "lesson_new", "lesson-new", lambda lesson: (
        "本周微课已发布",
        f"《{lesson.title}》已发布,请于 {_local(lesson.due_at, tz)} 前完成学习和测验。"))


def _due(db: Session, now: datetime, tz: str, schedule: Schedule) -> list[Draft]:
    lessons = _lessons(db, now, MicroLesson.due_at > now,
                       MicroLesson.due_at <= now + schedule.due_within)
    return _to_officers(db, lessons, "lesson_due", "lesson-due", lambda lesson: (
        "微课即将截止",
        f"《{lesson.title}》将于 {_local(lesson.due_at, tz)} 截止,您还没有完成,请抓紧学习。"))


def _overdue(db: Session, now: datetime, tz: str, schedule: Schedule) -> list[Draft]:
    lessons = _lessons(db, now, MicroLesson.due_at < now,
                       MicroLesson.due_at >= now - timedelta(days=schedule.repeat_days))
    return _to_officers(db, lessons, "lesson_overdue", "lesson-overdue", lambda lesson: (
        "微课已逾期",
        f"《{lesson.title}》已于 {_local(lesson.due_at, tz)} 截止,您还没有完成,请尽快补学。"))


def _to_officers(db: Session, lessons: list[Lesson], kind: str, prefix: str, text
                 ) -> list[Draft]:
    if not lessons:
        return []
    by_id = {lesson.id: (lesson, *text(lesson)) for lesson in lessons}
    query = (incomplete_assignees(by_id)
             .where(_not_sent(User.id, prefix, MicroLesson.id))
             .order_by(MicroLesson.id, User.id))
    drafts = []
    for row in db.execute(query):
        lesson, title, body = by_id[row[0]]
        drafts.append(Draft(row[1], kind, title, body, _link(lesson), _key(prefix, lesson.id)))
    return drafts


def _branch(db: Session, now: datetime, tz: str, schedule: Schedule) -> list[Draft]:
    """A digest per (lesson, branch) to the supervisors sitting in the officers' unit."""
    lessons = _by_id(_overdue_lessons(db, now, 0, schedule.chase_weeks))
    step = {id_: _days(lesson, now) // schedule.repeat_days for id_, lesson in lessons.items()}
    pending = {(lesson_id, unit_id) for lesson_id, unit_id, _, _ in
               _pending(db, "overdue-branch", step, county=False)}
    if not pending:
        return []
    query = (incomplete_assignees(sorted({lesson_id for lesson_id, _ in pending}))
             .where(_pairs_clause(pending))
             .order_by(MicroLesson.id, OfficerUnit.id, User.police_no))
    groups = defaultdict(list)
    for row in db.execute(query):
        groups[(row[0], row[4])].append(Missing(*row))
    supervisors = _supervisors(db, {unit_id for _, unit_id in groups})
    drafts = []
    for (lesson_id, unit_id), rows in groups.items():
        lesson, days = lessons[lesson_id], _days(lessons[lesson_id], now)
        body = (f"《{lesson.title}》已于 {_local(lesson.due_at, tz)} 截止({_late(days)}),"
                f"{rows[0].unit_name}尚有 {len(rows)} 人未完成:{_names(rows)}")
        key = _key("overdue-branch", lesson_id, unit_id, step[lesson_id])
        drafts += [Draft(supervisor, "overdue_branch", _title("本支部逾期未学", lesson, len(rows)),
                         body, _pending_link(lesson), key) for supervisor in supervisors[unit_id]]
    return drafts


def _county(db: Session, now: datetime, tz: str, schedule: Schedule) -> list[Draft]:
    """A digest per (lesson, county) to the supervisors sitting in the county (or department)
    unit — the top-most one above the officers — listing the missing by unit."""
    lessons = _by_id(_overdue_lessons(db, now, schedule.county_after_days, schedule.chase_weeks))
    step = {id_: (_days(lesson, now) - schedule.county_after_days) // schedule.repeat_days
            for id_, lesson in lessons.items()}
    pending = _pending(db, "overdue-county", step, county=True)
    if not pending:
        return []
    counties = {unit_id: (path, name) for _, unit_id, path, name in pending}
    query = (incomplete_assignees(sorted({lesson_id for lesson_id, _, _, _ in pending}))
             .where(or_(*(OfficerUnit.path.startswith(path) for path, _ in counties.values())))
             .add_columns(OfficerUnit.path)
             .order_by(MicroLesson.id, OfficerUnit.id, User.police_no))
    wanted = {(lesson_id, unit_id) for lesson_id, unit_id, _, _ in pending}
    groups = defaultdict(lambda: defaultdict(list))
    for row in db.execute(query):
        county_id = next(id_ for id_, (path, _) in counties.items() if row[6].startswith(path))
        if (row[0], county_id) in wanted:
            groups[(row[0], county_id)][row[4]].append(Missing(*row[:6]))
    supervisors = _supervisors(db, {county_id for _, county_id in groups})
    drafts = []
    for (lesson_id, county_id), units in groups.items():
        lesson, days = lessons[lesson_id], _days(lessons[lesson_id], now)
        total = sum(len(rows) for rows in units.values())
        lines = [f"{rows[0].unit_name} {len(rows)} 人:{_names(rows)}" for rows in
                 sorted(units.values(), key=lambda rows: (-len(rows), rows[0].unit_name))]
        body = (f"《{lesson.title}》已于 {_local(lesson.due_at, tz)} 截止({_late(days)}),"
                f"{counties[county_id][1]}尚有 {total} 人未完成,分布如下:\n" + "\n".join(lines))
        key = _key("overdue-county", lesson_id, county_id, step[lesson_id])
        drafts += [Draft(supervisor, "overdue_county", _title("逾期未学汇总", lesson, total),
                         body, _pending_link(lesson), key)
                   for supervisor in supervisors[county_id]]
    return drafts


def _pairs_clause(pairs: set[tuple[int, int]]):
    """SQL: (lesson, officer's unit) is one of `pairs` — lessons that share the same units
    grouped, so a first run over a year of lessons stays a short statement."""
    units_by_lesson = defaultdict(set)
    for lesson_id, unit_id in pairs:
        units_by_lesson[lesson_id].add(unit_id)
    lessons_by_units = defaultdict(list)
    for lesson_id, unit_ids in units_by_lesson.items():
        lessons_by_units[frozenset(unit_ids)].append(lesson_id)
    return or_(*(MicroLesson.id.in_(sorted(lesson_ids)) & User.unit_id.in_(sorted(unit_ids))
                 for unit_ids, lesson_ids in lessons_by_units.items()))


def _pending(db: Session, prefix: str, step: dict[int, int], county: bool) -> list[tuple]:
    """(lesson, unit, unit path, unit name) where a supervisor sits who has not had this
    step's digest: only these are worth asking "who is missing" (a handful once sent)."""
    if not step:
        return []
    query = (
        select(MicroLesson.id, SupervisorUnit.id, SupervisorUnit.path, SupervisorUnit.name)
        .join_from(Supervisor, SupervisorUnit, SupervisorUnit.id == Supervisor.unit_id)
        .join(MicroLesson, MicroLesson.id.in_(list(step)))
        .where(Supervisor.is_supervisor, Supervisor.active,
               _not_sent(Supervisor.id, prefix, MicroLesson.id, SupervisorUnit.id,
                         case(step, value=MicroLesson.id)))
        .distinct())
    if county:
        higher = select(HigherUnit.id).where(
            HigherUnit.kind.in_(COUNTY_KINDS), HigherUnit.id != SupervisorUnit.id,
            SupervisorUnit.path.startswith(HigherUnit.path))
        query = query.where(SupervisorUnit.kind.in_(COUNTY_KINDS), ~higher.exists())
    return db.execute(query).all()


_PLANNERS = {"new": _new, "due": _due, "overdue": _overdue, "branch": _branch,
             "county": _county}


def _lessons(db: Session, now: datetime, *conditions) -> list[Lesson]:
    """Published lessons that are out, meeting `conditions` (a handful of rows)."""
    return [Lesson(*row) for row in db.execute(
        select(MicroLesson.id, MicroLesson.title, MicroLesson.due_at)
        .where(MicroLesson.status == "published", MicroLesson.publish_at <= now, *conditions)
        .order_by(MicroLesson.due_at, MicroLesson.id))]


def _overdue_lessons(db: Session, now: datetime, at_least_days: int,
                     chase_weeks: int | None = None) -> list[Lesson]:
    """Lessons at least `at_least_days` overdue (and fewer than `chase_weeks` weeks)."""
    conditions = [MicroLesson.due_at <= now - timedelta(days=at_least_days),
                  MicroLesson.due_at < now]
    if chase_weeks is not None:
        conditions.append(MicroLesson.due_at > now - timedelta(weeks=chase_weeks))
    return _lessons(db, now, *conditions)


def _days(lesson: Lesson, now: datetime) -> int:
    """Whole days past due."""
    return (now - lesson.due_at) // timedelta(days=1)


def _by_id(lessons: list[Lesson]) -> dict[int, Lesson]:
    return {lesson.id: lesson for lesson in lessons}


def _supervisors(db: Session, unit_ids: set[int]) -> dict[int, list[int]]:
    """Active supervisors' ids by the unit they sit in."""
    by_unit = defaultdict(list)
    if unit_ids:
        for user_id, unit_id in db.execute(
                select(User.id, User.unit_id).where(User.is_supervisor, User.active,
                                                    User.unit_id.in_(sorted(unit_ids)))
                .order_by(User.id)):
            by_unit[unit_id].append(user_id)
    return by_unit


def _key(*parts) -> str:
    """A dedupe key: `overdue-branch:12:40:1`."""
    return ":".join(str(part) for part in parts)


def _sql_key(*parts):
    """The SQL twin of `_key` for parts that are strings or integer columns."""
    expression = None
    for part in parts:
        piece = literal(part, String) if isinstance(part, str) else cast(part, String)
        expression = piece if expression is None else expression + literal(":", String) + piece
    return expression


def _not_sent(user_id, *key_parts):
    """SQL: the user has no notification with this key yet."""
    # OFFSET 0 keeps this a probe of the (user_id, dedupe_key) unique index per row:
    # PostgreSQL otherwise may merge-join every notification of each user, building the
    # key for each pair — seconds instead of milliseconds at a year's history.
    return ~(select(Notification.id)
             .where(Notification.user_id == user_id,
                    Notification.dedupe_key == _sql_key(*key_parts))
             .offset(0).exists())


def _names(rows: list[Missing]) -> str:
    shown = "、".join(f"{row.name}({row.police_no})" for row in rows[:NAMES_PER_BRANCH])
    return shown + (f" 等 {len(rows)} 人" if len(rows) > NAMES_PER_BRANCH else "")


def _late(days: int) -> str:
    return f"逾期 {days} 天" if days else "逾期不足 1 天"


def _title(prefix: str, lesson: Lesson, count: int) -> str:
    return f"{prefix} {count} 人:{lesson.title}"[:200]


def _link(lesson: Lesson) -> str:
    return f"/lessons/{lesson.id}"


def _pending_link(lesson: Lesson) -> str:
    """The supervisor's not-yet-done list for the lesson (their own scope by default)."""
    return f"/supervise/pending?lesson={lesson.id}"


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
