"""Completion reports over the org tree: set-based SQL on the materialized path; no Flask.

An assignment is an (officer, lesson) pair: a published lesson, released by `now`, due in
the period (or the one lesson asked for), and an active officer in the lesson's audience
(no audience rows = everyone). Facts are aggregated per unit first and then rolled up by
path prefix into the rows asked for, so a total always equals the sum of its rows.

Indexes relied on: lms_unit.path (text_pattern_ops) and parent_id, lms_user.unit_id,
lms_micro_lesson.due_at, lms_completion (item_type, item_id, status) for whole-subtree
aggregates and its unique (user_id, item_type, item_id) for officer lists, lms_lesson_audience's
primary key. Both completion indexes would answer index-only if they also carried the columns
read here (user_id, status, first_completed_at, best_score, last_activity_at).
"""
import math
from dataclasses import astuple, dataclass
from datetime import datetime

from sqlalchemy import and_, case, exists, func, or_, select, true, union_all
from sqlalchemy.orm import Session, aliased

from ..models import (Attendance, Classroom, ClassSession, Completion, LessonAudience,
                      MicroLesson, PointsEntry, Unit, User)
from .clock import to_local
from .periods import Period


@dataclass(frozen=True)
class LessonRef:
    """The lesson a report may be limited to."""

    id: int
    issue_no: int
    title: str
    due_at: datetime


@dataclass(frozen=True)
class Selection:
    """What a report covers: every lesson due in a period, or one lesson."""

    period: Period | None = None
    lesson: LessonRef | None = None

    @property
    def key(self) -> str:
        """`2026Q4` or `lesson-12`: for file names and the audit log."""
        return f"lesson-{self.lesson.id}" if self.lesson else self.period.key


@dataclass(frozen=True)
class Counts:
    """Additive facts about a set of assignments; rates derive from them."""

    assigned: int = 0
    completed: int = 0
    on_time: int = 0
    overdue: int = 0
    score_sum: int = 0
    scored: int = 0

    def __add__(self, other: "Counts") -> "Counts":
        return Counts(*(a + b for a, b in zip(astuple(self), astuple(other))))

    @property
    def rate(self) -> float | None:
        """Completed share of assigned, None when nothing was assigned."""
        return self.completed / self.assigned if self.assigned else None

    @property
    def on_time_rate(self) -> float | None:
        """Share completed by the due time."""
        return self.on_time / self.assigned if self.assigned else None

    @property
    def average_score(self) -> float | None:
        """Mean best score of the completed assignments."""
        return self.score_sum / self.scored if self.scored else None


@dataclass(frozen=True)
class UnitRef:
    """A unit as reports show it."""

    id: int
    code: str
    name: str
    kind: str
    path: str
    depth: int


@dataclass(frozen=True)
class UnitRow:
    """One row of a unit report; `own` marks the unit's directly attached officers."""

    unit: UnitRef
    counts: Counts
    own: bool = False


@dataclass(frozen=True)
class UnitReport:
    """One row per child unit (plus the unit's own officers, when it has any) and the total."""

    unit: UnitRef
    selection: Selection
    rows: list[UnitRow]
    total: Counts
    by_lesson: dict[int, Counts]  # the subtree's counts per lesson, for the weekly trend
    due: dict[int, datetime]  # lesson id → due time


@dataclass(frozen=True)
class OfficerRow:
    """One officer's assignments in the selection."""

    user_id: int
    police_no: str
    name: str
    counts: Counts
    last_activity_at: datetime | None


@dataclass(frozen=True)
class PendingRow:
    """One assignment not yet completed."""

    police_no: str
    name: str
    unit_name: str
    lesson_issue_no: int
    lesson_title: str
    due_at: datetime
    days_overdue: int | None  # None while not yet due
    last_activity_at: datetime | None
    last_login_at: datetime | None


@dataclass(frozen=True)
class TrendPoint:
    """Completion of the lessons due in one week."""

    period: Period
    counts: Counts


def unit_ref(unit: Unit) -> UnitRef:
    """A plain copy of a unit."""
    return UnitRef(unit.id, unit.code, unit.name, unit.kind, unit.path, unit.depth)


def find_lesson(db: Session, lesson_id: int) -> LessonRef | None:
    """The lesson with this id, if any."""
    row = db.execute(select(MicroLesson.id, MicroLesson.issue_no, MicroLesson.title,
                            MicroLesson.due_at).where(MicroLesson.id == lesson_id)).first()
    return LessonRef(*row) if row else None


def recent_lessons(db: Session, now: datetime, limit: int = 20) -> list[LessonRef]:
    """The latest released lessons, newest first (for pickers)."""
    rows = db.execute(select(MicroLesson.id, MicroLesson.issue_no, MicroLesson.title,
                             MicroLesson.due_at).where(*_released(now))
                      .order_by(MicroLesson.due_at.desc()).limit(limit))
    return [LessonRef(*row) for row in rows]


def completion_by_child(db: Session, unit: Unit, selection: Selection,
                        now: datetime) -> UnitReport:
    """Per child unit of `unit` (and its own officers): assigned, completed, on time, overdue."""
    child, member = aliased(Unit), aliased(Unit)
    buckets = union_all(
        select(child.id.label("bucket_id"), member.id.label("member_id"))
        .join(member, member.path.startswith(child.path)).where(child.parent_id == unit.id),
        select(Unit.id.label("bucket_id"), Unit.id.label("member_id")).where(Unit.id == unit.id),
    ).subquery("buckets")
    due = _lessons(db, selection, now)
    cells = _rolled_up(db, buckets, unit.path, due, now)
    per_bucket, per_lesson = _sum_by(cells, 0), _sum_by(cells, 1)
    children = db.scalars(select(Unit).where(Unit.parent_id == unit.id).order_by(Unit.code))
    rows = [UnitRow(unit_ref(c), per_bucket.get(c.id, Counts())) for c in children]
    own = per_bucket.get(unit.id, Counts())
    if own.assigned:
        rows.append(UnitRow(unit_ref(unit), own, own=True))
    total = sum((row.counts for row in rows), Counts())
    return UnitReport(unit_ref(unit), selection, rows, total, per_lesson, due)


def completion_by_branch(db: Session, root: Unit, selection: Selection,
                         now: datetime) -> dict[int, Counts]:
    """Counts per party branch (its subtree) within `root`'s subtree, keyed by unit id."""
    branch, member = aliased(Unit), aliased(Unit)
    buckets = (select(branch.id.label("bucket_id"), member.id.label("member_id"))
               .join(member, member.path.startswith(branch.path))
               .where(branch.kind == "branch", branch.path.startswith(root.path, autoescape=True))
               .subquery("buckets"))
    return _sum_by(_rolled_up(db, buckets, root.path, _lessons(db, selection, now), now), 0)


def weekly(report: UnitReport, weeks: list[Period]) -> list[TrendPoint]:
    """The report's own lessons grouped by the week they were due in (no further query)."""
    return [TrendPoint(week, sum((c for lesson_id, c in report.by_lesson.items()
                                  if week.start <= report.due[lesson_id] < week.end), Counts()))
            for week in weeks]


def trend(db: Session, unit: Unit, weeks: list[Period], now: datetime) -> list[TrendPoint]:
    """Completion per week (of the lessons due that week) in `unit`'s subtree."""
    if not weeks:
        return []
    span = Period(key="trend", kind="span", first_day=weeks[0].first_day,
                  end_day=weeks[-1].end_day, start=weeks[0].start, end=weeks[-1].end)
    whole = select(Unit.id.label("bucket_id"), Unit.id.label("member_id")).where(
        Unit.path.startswith(unit.path, autoescape=True)).subquery("buckets")
    due = _lessons(db, Selection(period=span), now)
    per_lesson = _sum_by(_rolled_up(db, whole, unit.path, due, now), 1)
    return [TrendPoint(week, sum((c for lesson_id, c in per_lesson.items()
                                  if week.start <= due[lesson_id] < week.end), Counts()))
            for week in weeks]


def officers_of(db: Session, unit: Unit, selection: Selection, now: datetime) -> list[OfficerRow]:
    """The officers attached directly to `unit`, each with their counts; by police number."""
    eligible = _eligible(list(_lessons(db, selection, now)), unit_id=unit.id)
    done = and_(Completion.status == "completed", Completion.id.isnot(None))
    query = (
        select(User.id, User.police_no, User.name,
               func.count(eligible.c.lesson_id),
               func.count(case((done, 1))),
               func.count(case((and_(done, Completion.first_completed_at <= eligible.c.due_at),
                                1))),
               func.count(case((and_(eligible.c.due_at < now,
                                     or_(Completion.id.is_(None),
                                         Completion.status != "completed")), 1))),
               func.coalesce(func.sum(case((done, Completion.best_score))), 0),
               func.count(case((done, Completion.best_score))),
               func.max(Completion.last_activity_at))
        .outerjoin(eligible, eligible.c.unit_id == User.unit_id)
        .outerjoin(Completion, and_(Completion.user_id == User.id,
                                    Completion.item_type == "lesson",
                                    Completion.item_id == eligible.c.lesson_id))
        .where(User.unit_id == unit.id, *_officer())
        .group_by(User.id, User.police_no, User.name).order_by(User.police_no))
    return [OfficerRow(uid, police_no, name, Counts(*(int(v) for v in values)), last)
            for uid, police_no, name, *values, last in db.execute(query)]


def pending(db: Session, unit: Unit, selection: Selection, now: datetime, tz: str,
            limit: int | None = 200, offset: int = 0) -> tuple[list[PendingRow], int]:
    """Assignments in `unit`'s subtree not yet completed, most overdue first; and their count."""
    eligible = _eligible(list(_lessons(db, selection, now)), path=unit.path)
    query = (
        select(User.police_no, User.name, Unit.name, MicroLesson.issue_no, MicroLesson.title,
               eligible.c.due_at, Completion.last_activity_at, User.last_login_at,
               func.count().over().label("total"))  # one pass for the page and the count
        .select_from(eligible)
        .join(User, User.unit_id == eligible.c.unit_id)
        .join(Unit, Unit.id == User.unit_id)
        .join(MicroLesson, MicroLesson.id == eligible.c.lesson_id)
        .outerjoin(Completion, and_(Completion.user_id == User.id,
                                    Completion.item_type == "lesson",
                                    Completion.item_id == eligible.c.lesson_id))
        .where(*_officer(), or_(Completion.id.is_(None), Completion.status != "completed")))
    paged = query.order_by(eligible.c.due_at, Unit.path, User.police_no).offset(offset)
    if limit is not None:
        paged = paged.limit(limit)
    found = db.execute(paged).all()
    if found:
        total = found[0].total
    else:  # past the last page: count on its own
        total = db.scalar(select(func.count()).select_from(query.subquery())) if offset else 0
    today = to_local(now, tz).date()
    rows = [PendingRow(*row[:5], row[5], _days_overdue(row[5], now, today, tz), row[6], row[7])
            for row in found]
    return rows, int(total or 0)


@dataclass(frozen=True)
class BranchRow:
    """One party branch in the quarterly inspection (网上巡查)."""

    unit: UnitRef
    parent_name: str
    members: int
    counts: Counts
    points: int
    sessions: int
    attendance: int
    rank: int | None = None  # None: nothing was assigned, so not ranked
    flagged: bool = False

    @property
    def points_per_member(self) -> float | None:
        """Points earned in the period per active officer."""
        return self.points / self.members if self.members else None


@dataclass(frozen=True)
class Inspection:
    """The per-branch inspection table for a period and scope, ranked, bottom flagged."""

    unit: UnitRef
    period: Period
    rows: list[BranchRow]
    total: Counts
    members: int
    points: int
    sessions: int
    attendance: int
    lessons: int  # lessons due in the period
    named: list[tuple[str, OfficerRow]] | None  # (branch name, officer) when asked for


def inspection(db: Session, root: Unit, period: Period, now: datetime,
               bottom_share: float = 0.1, name_individuals: bool = False) -> Inspection:
    """Branches of `root`'s subtree ranked by completion, on-time rate, score, points."""
    selection = Selection(period=period)
    counts = completion_by_branch(db, root, selection, now)
    extras = _branch_extras(db, root, period)
    parent = aliased(Unit)
    branches = db.execute(select(Unit, parent.name).join(parent, parent.id == Unit.parent_id,
                                                         isouter=True)
                          .where(Unit.kind == "branch",
                                 Unit.path.startswith(root.path, autoescape=True))).all()
    rows = []
    for b, parent_name in branches:
        members, points, sessions, attendance = extras.get(b.id, (0, 0, 0, 0))
        rows.append(BranchRow(unit_ref(b), parent_name or "", members,
                              counts.get(b.id, Counts()), points, sessions, attendance))
    rows = _ranked(rows, bottom_share)
    named = None
    if name_individuals:
        named = [(row.unit.name, officer) for row in rows if row.flagged
                 for officer in officers_of(db, db.get(Unit, row.unit.id), selection, now)
                 if officer.counts.overdue]
    return Inspection(unit_ref(root), period, rows, sum((r.counts for r in rows), Counts()),
                      sum(r.members for r in rows), sum(r.points for r in rows),
                      sum(r.sessions for r in rows), sum(r.attendance for r in rows),
                      len(_lessons(db, selection, now)), named)


def _ranked(rows: list[BranchRow], bottom_share: float) -> list[BranchRow]:
    """Rank branches with assignments; flag the bottom share (none when fewer than three)."""
    def key(row: BranchRow):
        c = row.counts
        return (-(c.rate or 0), -(c.on_time_rate or 0), -(c.average_score or 0),
                -(row.points_per_member or 0), row.unit.code)
    ranked = sorted((r for r in rows if r.counts.assigned), key=key)
    unranked = sorted((r for r in rows if not r.counts.assigned), key=lambda r: r.unit.code)
    flag = math.ceil(len(ranked) * bottom_share) if len(ranked) >= 3 else 0
    out = []
    for n, row in enumerate(ranked, start=1):
        out.append(BranchRow(**{**row.__dict__, "rank": n, "flagged": n > len(ranked) - flag}))
    return out + unranked


def _branch_extras(db: Session, root: Unit, period: Period) -> dict[int, tuple[int, ...]]:
    """Per branch (its subtree): active officers, points, sessions held, check-ins."""
    branch, member = aliased(Unit), aliased(Unit)
    in_scope = Unit.path.startswith(root.path, autoescape=True)
    subtree = select(Unit.id).where(in_scope)
    members = (select(User.unit_id.label("key"), func.count().label("n"))
               .where(*_officer(), User.unit_id.in_(subtree)).group_by(User.unit_id)
               .subquery("members"))
    points = (select(User.unit_id.label("key"), func.sum(PointsEntry.points).label("n"))
              .select_from(PointsEntry).join(User, User.id == PointsEntry.user_id)
              .where(PointsEntry.at >= period.start, PointsEntry.at < period.end, *_officer(),
                     User.unit_id.in_(subtree)).group_by(User.unit_id).subquery("points"))
    held = (ClassSession.starts_at >= period.start, ClassSession.starts_at < period.end)
    sessions = (select(Classroom.unit_id.label("key"), func.count().label("n"))
                .select_from(ClassSession)
                .join(Classroom, Classroom.id == ClassSession.classroom_id)
                .where(*held, Classroom.unit_id.in_(subtree)).group_by(Classroom.unit_id)
                .subquery("sessions"))
    attendance = (select(User.unit_id.label("key"), func.count().label("n"))
                  .select_from(Attendance)
                  .join(ClassSession, ClassSession.id == Attendance.session_id)
                  .join(User, User.id == Attendance.user_id)
                  .where(*held, User.unit_id.in_(subtree)).group_by(User.unit_id)
                  .subquery("attendance"))
    parts = (members, points, sessions, attendance)
    query = (select(branch.id, *(func.coalesce(func.sum(p.c.n), 0) for p in parts))
             .join(member, member.path.startswith(branch.path))
             .where(branch.kind == "branch", branch.path.startswith(root.path, autoescape=True)))
    for part in parts:
        query = query.outerjoin(part, part.c.key == member.id)
    rows = db.execute(query.group_by(branch.id))
    return {key: tuple(int(v) for v in values) for key, *values in rows}


# --- the building blocks -----------------------------------------------------------------

def _released(now: datetime):
    return MicroLesson.status == "published", MicroLesson.publish_at <= now


def _officer():
    return User.active.is_(True), User.is_officer.is_(True)


def _lessons(db: Session, selection: Selection, now: datetime) -> dict[int, datetime]:
    """The lessons a selection covers, released by `now`: id → due time.

    Fetched first (a handful of rows) so that the big queries filter completions by literal
    ids: the planner then estimates them well and uses ix_lms_completion_item.
    """
    query = select(MicroLesson.id, MicroLesson.due_at).where(*_released(now))
    if selection.lesson is not None:
        query = query.where(MicroLesson.id == selection.lesson.id)
    else:
        query = query.where(MicroLesson.due_at >= selection.period.start,
                            MicroLesson.due_at < selection.period.end)
    return dict(db.execute(query).all())


def _eligible(lesson_ids: list[int], path: str | None = None, unit_id: int | None = None):
    """(unit_id, lesson_id, due_at) for every unit of the subtree a lesson is assigned to.

    Per unit rather than per officer: 600 units × a quarter's lessons, not 30,000 × 13.
    """
    audience_unit = aliased(Unit)
    targeted = exists().where(LessonAudience.lesson_id == MicroLesson.id)
    reaches = exists().where(LessonAudience.lesson_id == MicroLesson.id,
                             audience_unit.id == LessonAudience.unit_id,
                             Unit.path.startswith(audience_unit.path))
    query = (select(Unit.id.label("unit_id"), MicroLesson.id.label("lesson_id"),
                    MicroLesson.due_at.label("due_at"))
             .join(MicroLesson, true())
             .where(MicroLesson.id.in_(lesson_ids), or_(~targeted, reaches)))
    if path is not None:
        query = query.where(Unit.path.startswith(path, autoescape=True))
    if unit_id is not None:
        query = query.where(Unit.id == unit_id)
    return query.subquery("eligible")


def _in_subtree(column, path: str):
    """`column` (a unit id) lies in the subtree at `path`; no condition for the whole bureau."""
    if path == "/":
        return true()
    return column.in_(select(Unit.id).where(Unit.path.startswith(path, autoescape=True)))


def _facts_per_unit_and_lesson(lesson_ids: list[int], path: str, now: datetime):
    """Assigned and completed (officer, lesson) pairs per (unit, lesson) of the subtree.

    Completions are aggregated by (the officer's unit, lesson) before they meet the audience
    check, which keeps the big join narrow: a bureau quarter's ~390,000 completion rows
    collapse into ~7,000 groups first.
    """
    eligible = _eligible(lesson_ids, path=path)
    officers = (select(User.unit_id, func.count().label("n"))
                .where(*_officer(), _in_subtree(User.unit_id, path))
                .group_by(User.unit_id).subquery("officers"))
    done = (select(User.unit_id.label("unit_id"), Completion.item_id.label("lesson_id"),
                   func.count().label("completed"),
                   func.count(case((Completion.first_completed_at <= MicroLesson.due_at, 1)))
                   .label("on_time"),
                   func.coalesce(func.sum(Completion.best_score), 0).label("score_sum"),
                   func.count(Completion.best_score).label("scored"))
            .select_from(Completion)
            .join(User, User.id == Completion.user_id)
            .join(MicroLesson, MicroLesson.id == Completion.item_id)
            .where(Completion.item_type == "lesson", Completion.status == "completed",
                   Completion.item_id.in_(lesson_ids), *_officer(),
                   _in_subtree(User.unit_id, path))
            .group_by(User.unit_id, Completion.item_id).subquery("done"))
    past = eligible.c.due_at < now
    completed = func.coalesce(done.c.completed, 0)
    return (select(eligible.c.unit_id, eligible.c.lesson_id,
                   officers.c.n.label("assigned"), completed.label("completed"),
                   func.coalesce(done.c.on_time, 0).label("on_time"),
                   case((past, officers.c.n - completed), else_=0).label("overdue"),
                   func.coalesce(done.c.score_sum, 0).label("score_sum"),
                   func.coalesce(done.c.scored, 0).label("scored"))
            .join(officers, officers.c.unit_id == eligible.c.unit_id)
            .outerjoin(done, and_(done.c.unit_id == eligible.c.unit_id,
                                  done.c.lesson_id == eligible.c.lesson_id))
            .subquery("facts"))


def _rolled_up(db: Session, buckets, root_path: str, due: dict[int, datetime],
               now: datetime) -> dict[tuple[int, int], Counts]:
    """Facts per (unit, lesson) first, then summed by path prefix into (bucket, lesson)."""
    if not due:
        return {}
    facts = _facts_per_unit_and_lesson(list(due), root_path, now)
    sums = [func.sum(col) for col in (facts.c.assigned, facts.c.completed, facts.c.on_time,
                                       facts.c.overdue, facts.c.score_sum, facts.c.scored)]
    query = (select(buckets.c.bucket_id, facts.c.lesson_id, *sums)
             .join(facts, facts.c.unit_id == buckets.c.member_id)
             .group_by(buckets.c.bucket_id, facts.c.lesson_id))
    return {(bucket, lesson): Counts(*(int(v) for v in values))
            for bucket, lesson, *values in db.execute(query)}


def _sum_by(cells: dict[tuple[int, int], Counts], part: int) -> dict[int, Counts]:
    """Collapse (bucket, lesson) cells onto the bucket (part 0) or the lesson (part 1)."""
    out: dict[int, Counts] = {}
    for key, counts in cells.items():
        out[key[part]] = out.get(key[part], Counts()) + counts
    return out


def _days_overdue(due_at: datetime, now: datetime, today, tz: str) -> int | None:
    """Whole local calendar days since the due day; None when not yet due."""
    if due_at >= now:
        return None
    return (today - to_local(due_at, tz).date()).days

