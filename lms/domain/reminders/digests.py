"""Digests of who is missing an overdue lesson, for supervisors (the "branch" and "county"
steps of `reminders`): one per (lesson, branch) to the supervisors sitting in the branch,
and from a few days past due one per (lesson, county) to the county's; each repeats every
so many days while officers are still missing, and stops after a few weeks; no Flask.
"""
from collections import defaultdict
from datetime import datetime

from sqlalchemy import case, or_, select
from sqlalchemy.orm import Session, aliased

from ...models import MicroLesson, Unit, User
from ..org import policy
from ..reports.outstanding import (
    Lesson,
    Missing,
    OfficerUnit,
    days_overdue,
    dedupe_key,
    incomplete_assignees,
    local_text,
    not_sent,
    overdue_lessons,
)
from .inbox import Draft

NAMES_PER_BRANCH = 30  # a digest names this many, then says how many more

Supervisor = aliased(User, name="supervisor")
SupervisorUnit = aliased(Unit, name="supervisor_unit")


def branch_digests(db: Session, now: datetime, tz: str, repeat_days: int,
                   chase_weeks: int) -> list[Draft]:
    """A digest per (lesson, branch) to the supervisors sitting in the officers' unit."""
    lessons = _by_id(overdue_lessons(db, now, 0, chase_weeks))
    step = {id_: days_overdue(lesson, now) // repeat_days for id_, lesson in lessons.items()}
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
    kinds = dict(db.execute(select(Unit.id, Unit.kind)
                            .where(Unit.id.in_(sorted({unit_id for _, unit_id in groups}))))
                 .all())
    drafts = []
    for (lesson_id, unit_id), rows in groups.items():
        lesson, days = lessons[lesson_id], days_overdue(lessons[lesson_id], now)
        body = (f"《{lesson.title}》已于 {local_text(lesson.due_at, tz)} 截止（{_late(days)}），"
                f"{rows[0].unit_name}尚有 {len(rows)} 人未完成：{_names(rows)}")
        key = dedupe_key("overdue-branch", lesson_id, unit_id, step[lesson_id])
        title = _title(_own_unit(kinds[unit_id]), lesson, len(rows))
        drafts += [Draft(supervisor, "overdue_branch", title, body, _pending_link(lesson), key)
                   for supervisor in supervisors[unit_id]]
    return drafts


def county_digests(db: Session, now: datetime, tz: str, county_after_days: int,
                   repeat_days: int, chase_weeks: int) -> list[Draft]:
    """A digest per (lesson, county) to the supervisors sitting in the county (or department)
    unit above the officers (`policy.county_of`; one per county under a province too),
    listing the missing by unit."""
    lessons = _by_id(overdue_lessons(db, now, county_after_days, chase_weeks))
    step = {id_: (days_overdue(lesson, now) - county_after_days) // repeat_days
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
        lesson, days = lessons[lesson_id], days_overdue(lessons[lesson_id], now)
        total = sum(len(rows) for rows in units.values())
        lines = [f"{rows[0].unit_name} {len(rows)} 人：{_names(rows)}" for rows in
                 sorted(units.values(), key=lambda rows: (-len(rows), rows[0].unit_name))]
        body = (f"《{lesson.title}》已于 {local_text(lesson.due_at, tz)} 截止（{_late(days)}），"
                f"{counties[county_id][1]}尚有 {total} 人未完成，分布如下：\n" + "\n".join(lines))
        key = dedupe_key("overdue-county", lesson_id, county_id, step[lesson_id])
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
    return or_(*(MicroLesson.id.in_(sorted(lesson_ids)) & OfficerUnit.id.in_(sorted(unit_ids))
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
               not_sent(Supervisor.id, prefix, MicroLesson.id, SupervisorUnit.id,
                        case(step, value=MicroLesson.id)))
        .distinct())
    if county:  # the county of `policy.county_of`, when it is a county or department
        query = query.where(SupervisorUnit.kind.in_(policy.COUNTY_KINDS),
                            policy.is_county(SupervisorUnit))
    return db.execute(query).all()


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


def _by_id(lessons: list[Lesson]) -> dict[int, Lesson]:
    return {lesson.id: lesson for lesson in lessons}


def _names(rows: list[Missing]) -> str:
    shown = "、".join(f"{row.name}（{row.police_no}）" for row in rows[:NAMES_PER_BRANCH])
    return shown + (f" 等 {len(rows)} 人" if len(rows) > NAMES_PER_BRANCH else "")


def _own_unit(kind: str) -> str:
    """The digest's title for officers sitting in the supervisor's own unit: a bureau's or a
    station's own office is not a party branch."""
    return "本支部逾期未学" if kind == "branch" else "本单位逾期未学"


def _late(days: int) -> str:
    return f"逾期 {days} 天" if days else "逾期不足 1 天"


def _title(prefix: str, lesson: Lesson, count: int) -> str:
    return f"{prefix} {count} 人：{lesson.title}"[:200]


def _pending_link(lesson: Lesson) -> str:
    """The supervisor's not-yet-done list for the lesson (their own scope by default)."""
    return f"/supervise/pending?lesson={lesson.id}"
