"""Completion reports over the org tree: per child unit, per officer, the not-yet-done list
and the weekly trend; no Flask.

The set-based SQL they stand on (who is assigned what, rolled up by materialized path) is
in `assignments`; the quarterly inspection behind the 通报 is in `inspection`.
"""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, or_, select, union
from sqlalchemy.orm import Session

from ...models import Completion, Membership, MicroLesson, Unit, User
from ..clock import to_local
from ..org import policy
from . import buckets, periods
from .assignments import Counts, due_lessons, released, rolled_up, sum_by
from .periods import Period
from .sorting import Sort


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


def find_lesson(db: Session, lesson_id: int, now: datetime | None = None) -> LessonRef | None:
    """The lesson with this id; given `now`, only if released by then (a scheduled lesson is
    not there for a supervisor's URL either)."""
    query = select(MicroLesson.id, MicroLesson.issue_no, MicroLesson.title,
                   MicroLesson.due_at).where(MicroLesson.id == lesson_id)
    if now is not None:
        query = query.where(*released(now))
    row = db.execute(query).first()
    return LessonRef(*row) if row else None


def recent_lessons(db: Session, now: datetime, limit: int = 20) -> list[LessonRef]:
    """The latest released lessons, newest first (for pickers)."""
    rows = db.execute(select(MicroLesson.id, MicroLesson.issue_no, MicroLesson.title,
                             MicroLesson.due_at).where(*released(now))
                      .order_by(MicroLesson.due_at.desc()).limit(limit))
    return [LessonRef(*row) for row in rows]


def last_due_week(db: Session, now: datetime, tz: str) -> Period:
    """The week of the latest released lesson already due by `now` (the week a supervisor
    checks), else the current week when nothing is due yet."""
    latest = db.scalar(select(func.max(MicroLesson.due_at)).where(
        *released(now), MicroLesson.due_at < now))
    return periods.week_of(periods.local_today(latest or now, tz), tz)


def completion_by_child(db: Session, unit: Unit, selection: Selection,
                        now: datetime) -> UnitReport:
    """Per child unit of `unit` (and its own officers): assigned, completed, on time, overdue."""
    due = _lessons(db, selection, now)
    cells = rolled_up(db, buckets.of_children(unit), unit.path, due, now)
    per_bucket, per_lesson = sum_by(cells, 0), sum_by(cells, 1)
    children = db.scalars(select(Unit).where(Unit.parent_id == unit.id).order_by(Unit.code))
    rows = [UnitRow(unit_ref(c), per_bucket.get(c.id, Counts())) for c in children]
    own = per_bucket.get(unit.id, Counts())
    if own.assigned:
        rows.append(UnitRow(unit_ref(unit), own, own=True))
    total = sum((row.counts for row in rows), Counts())
    return UnitReport(unit_ref(unit), selection, rows, total, per_lesson, due)


def trend_weeks(selection: Selection, now: datetime, tz: str) -> list[Period]:
    """The weeks a trend line shows: a quarter's or year's weeks so far, else the eight
    weeks up to the selected week (or to the week the selected lesson was due)."""
    if selection.lesson is not None:
        return periods.recent_weeks(periods.local_today(selection.lesson.due_at, tz), 8, tz)
    if selection.period.kind == "week":
        return periods.recent_weeks(selection.period.first_day, 8, tz)
    weeks = [w for w in periods.weeks_in(selection.period, tz) if w.start <= now]
    return weeks or periods.weeks_in(selection.period, tz)[:1]


def trend_of(db: Session, unit: Unit, report: UnitReport, now: datetime,
             tz: str) -> list[TrendPoint]:
    """The trend line under `report` (of `unit`): completion per week of `trend_weeks`."""
    weeks = trend_weeks(report.selection, now, tz)
    period = report.selection.period
    if period is not None and period.kind != "week":
        # A quarter's or year's weeks are all in the report's own lessons: no second pass.
        return weekly(report, weeks)
    return trend(db, unit, weeks, now)


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
    due = _lessons(db, Selection(period=span), now)
    per_lesson = sum_by(rolled_up(db, buckets.whole(unit), unit.path, due, now), 1)
    return [TrendPoint(week, sum((c for lesson_id, c in per_lesson.items()
                                  if week.start <= due[lesson_id] < week.end), Counts()))
            for week in weeks]


def officers_of(db: Session, unit: Unit, selection: Selection, now: datetime) -> list[OfficerRow]:
    """The officers who owe `unit` lessons of the selection (`policy.owed`), each with their
    counts, by police number; while some of its lessons are still to come (or it has none),
    also the unit's present active officers — a selection all past due never changes."""
    due = _lessons(db, selection, now)
    owed = policy.owed(list(due), unit_id=unit.id)
    people = select(owed.c.user_id)
    if not due or max(due.values()) >= now:
        people = union(people, select(User.id).where(
            User.unit_id == unit.id, User.active.is_(True), User.is_officer.is_(True)))
    done = and_(Completion.status == "completed", Completion.id.isnot(None))
    query = (
        select(User.id, User.police_no, User.name,
               func.count(owed.c.lesson_id),
               func.count(case((done, 1))),
               func.count(case((and_(done, Completion.first_completed_at <= owed.c.due_at),
                                1))),
               func.count(case((and_(owed.c.due_at < now,
                                     or_(Completion.id.is_(None),
                                         Completion.status != "completed")), 1))),
               func.coalesce(func.sum(case((done, Completion.best_score))), 0),
               func.count(case((done, Completion.best_score))),
               func.coalesce(func.sum(case((done, Completion.first_score))), 0),
               func.count(case((done, Completion.first_score))),
               func.max(Completion.last_activity_at))
        .outerjoin(owed, owed.c.user_id == User.id)
        .outerjoin(Completion, and_(Completion.user_id == User.id,
                                    Completion.item_type == "lesson",
                                    Completion.item_id == owed.c.lesson_id))
        .where(User.id.in_(select(people.subquery())))
        .group_by(User.id, User.police_no, User.name).order_by(User.police_no))
    return [OfficerRow(uid, police_no, name, Counts(*(int(v) for v in values)), last)
            for uid, police_no, name, *values, last in db.execute(query)]


# The not-yet-done list by lesson: its sortable columns (sorting.parse) and their SQL.
PENDING_SORTS = {"police_no": "asc", "name": "asc", "unit": "asc", "lesson": "asc",
                 "due": "asc", "overdue": "desc", "activity": "desc", "login": "desc"}


def pending(db: Session, unit: Unit, selection: Selection, now: datetime, tz: str,
            limit: int | None = 200, offset: int = 0, sort: Sort | None = None
            ) -> tuple[list[PendingRow], int]:
    """Owed lessons in `unit`'s subtree not yet completed, most overdue first unless `sort`
    says otherwise (PENDING_SORTS); and their count (each under the unit it is owed for)."""
    # `policy.owes` over one join of each table (not `policy.owed` joined back to the
    # user, unit and lesson it came from): fewer relations to plan and no second lookup
    # of each officer
    place = policy.MemberUnit
    query = (
        select(User.police_no, User.name, place.name, MicroLesson.issue_no, MicroLesson.title,
               MicroLesson.due_at, Completion.last_activity_at, User.last_login_at,
               func.count().over().label("total"))  # one pass for the page and the count
        .select_from(Membership)
        .join(User, User.id == Membership.user_id)
        .join(place, place.id == Membership.unit_id)
        .join(MicroLesson, MicroLesson.id.in_(list(_lessons(db, selection, now))))
        .outerjoin(Completion, and_(Completion.user_id == Membership.user_id,
                                    Completion.item_type == "lesson",
                                    Completion.item_id == MicroLesson.id))
        .where(*policy.owes(), place.path.startswith(unit.path, autoescape=True),
               or_(Completion.id.is_(None), Completion.status != "completed")))
    paged = query.order_by(*_pending_order(sort), MicroLesson.due_at, place.path,
                           User.police_no).offset(offset)
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


def _pending_order(sort: Sort | None) -> list:
    """ORDER BY terms for `sort` on the not-yet-done list (missing times last)."""
    if sort is None or sort.key not in PENDING_SORTS:
        return []
    due = MicroLesson.due_at
    if sort.key == "overdue":  # most days overdue is the earliest due time
        return [due.asc() if sort.descending else due.desc()]
    column = {"police_no": User.police_no, "name": User.name, "unit": policy.MemberUnit.path,
              "lesson": due, "due": due,
              "activity": Completion.last_activity_at, "login": User.last_login_at}[sort.key]
    return [(column.desc() if sort.descending else column.asc()).nulls_last()]


# --- helpers ------------------------------------------------------------------------------

def _lessons(db: Session, selection: Selection, now: datetime) -> dict[int, datetime]:
    """The lessons the selection covers, released by `now`: id → due time."""
    lesson_id = selection.lesson.id if selection.lesson is not None else None
    return due_lessons(db, now, selection.period, lesson_id)


def _days_overdue(due_at: datetime, now: datetime, today, tz: str) -> int | None:
    """Whole local calendar days since the due day; None when not yet due."""
    if due_at >= now:
        return None
    return (today - to_local(due_at, tz).date()).days
