"""The quarterly online inspection (网上巡查) behind the 通报: party branches ranked by
completion, on-time rate, score and points per member, the bottom share flagged; no Flask.

Built on the same assignment facts as the completion reports (`assignments`), so a branch's
figures here are those the dashboard shows for it over the same quarter.
"""
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, true
from sqlalchemy.orm import Session, aliased

from ...models import Attendance, ClassSession, Membership, MicroLesson, PointsEntry, Unit
from ..learning import hours
from ..org import policy
from . import buckets, unitactivity
from .assignments import Counts, due_lessons, is_whole_tree, rolled_up, sum_by
from .periods import Period
from .rollup import LessonRef, OfficerRow, Selection, UnitRef, officers_of, unit_ref


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
    activity: unitactivity.Activity = unitactivity.Activity()  # sessions, hours (学时)

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
    covered: tuple[LessonRef, ...] = ()  # the lessons counted, by due time
    activity: unitactivity.Activity = unitactivity.Activity()  # the rows' sum

    def due_by(self, now: datetime) -> list[LessonRef]:
        """The counted lessons already due at `now` (a running quarter says which)."""
        return [lesson for lesson in self.covered if lesson.due_at < now]


def inspection(db: Session, root: Unit, period: Period, now: datetime,
               bottom_share: float = 0.1, name_individuals: bool = False,
               rule: hours.HoursRule = hours.DEFAULT_RULE,
               tz: str = "Asia/Shanghai") -> Inspection:
    """Branches of `root`'s subtree ranked by completion, on-time rate, score, points;
    with their sessions, attendance, accepted classrooms and study hours (`unitactivity`,
    as the dashboard counts them)."""
    selection = Selection(period=period)
    counts = completion_by_branch(db, root, period, now)
    extras = _branch_extras(db, root, period, now)
    activity = unitactivity.by_branch(db, root, period, now, rule, tz)
    parent = aliased(Unit)
    branches = db.execute(select(Unit, parent.name).join(parent, parent.id == Unit.parent_id,
                                                         isouter=True)
                          .where(Unit.kind == "branch",
                                 Unit.path.startswith(root.path, autoescape=True))).all()
    rows = []
    for b, parent_name in branches:
        members, points, attendance = extras.get(b.id, (0, 0, 0))
        act = activity.get(b.id, unitactivity.Activity())
        rows.append(BranchRow(unit_ref(b), parent_name or "", members,
                              counts.get(b.id, Counts()), points, act.sessions, attendance,
                              activity=act))
    rows = _ranked(rows, bottom_share)
    named = None
    if name_individuals:
        named = [(row.unit.name, officer) for row in rows if row.flagged
                 for officer in officers_of(db, db.get(Unit, row.unit.id), selection, now)
                 if officer.counts.overdue]
    due = due_lessons(db, now, period)
    covered = tuple(LessonRef(*row) for row in db.execute(
        select(MicroLesson.id, MicroLesson.issue_no, MicroLesson.title, MicroLesson.due_at)
        .where(MicroLesson.id.in_(list(due))).order_by(MicroLesson.due_at, MicroLesson.id)))
    return Inspection(unit_ref(root), period, rows, sum((r.counts for r in rows), Counts()),
                      sum(r.members for r in rows), sum(r.points for r in rows),
                      sum(r.sessions for r in rows), sum(r.attendance for r in rows),
                      len(due), named, covered,
                      sum((r.activity for r in rows), unitactivity.Activity()))


def completion_by_branch(db: Session, root: Unit, period: Period,
                         now: datetime) -> dict[int, Counts]:
    """Counts per party branch (its subtree) within `root`'s subtree, keyed by unit id."""
    return sum_by(rolled_up(db, buckets.of_kind(root, "branch"), root.path,
                            due_lessons(db, now, period), now), 0)


def _ranked(rows: list[BranchRow], bottom_share: float) -> list[BranchRow]:
    """Rank branches with assignments; flag the bottom share (none when fewer than three)."""
    def key(row: BranchRow):
        c = row.counts
        return (-(c.rate or 0), -(c.on_time_rate or 0), -(c.first_average or 0),
                -(row.points_per_member or 0), row.unit.code)
    ranked = sorted((r for r in rows if r.counts.assigned), key=key)
    unranked = sorted((r for r in rows if not r.counts.assigned), key=lambda r: r.unit.code)
    flag = math.ceil(len(ranked) * bottom_share) if len(ranked) >= 3 else 0
    out = []
    for n, row in enumerate(ranked, start=1):
        out.append(BranchRow(**{**row.__dict__, "rank": n, "flagged": n > len(ranked) - flag}))
    return out + unranked


def _branch_extras(db: Session, root: Unit, period: Period,
                   now: datetime) -> dict[int, tuple[int, ...]]:
    """Per branch (its subtree): active officers at the period's end (or now), and the points
    and check-ins of officers while they were its members. Read from the
    membership history, so later roster changes leave a past quarter as it was."""
    in_scope = Unit.path.startswith(root.path, autoescape=True)
    # Pre-filters only (the final join keeps the root's branches); none for the whole bureau.
    subtree = None if is_whole_tree(root.path) else select(Unit.id).where(in_scope)

    def within(column):
        return true() if subtree is None else column.in_(subtree)
    moment = min(period.end - timedelta(microseconds=1), now)
    members = (select(Membership.unit_id.label("key"), func.count().label("n"))
               .where(*policy.member_at(moment), within(Membership.unit_id))
               .group_by(Membership.unit_id).subquery("members"))
    points = (select(Membership.unit_id.label("key"), func.sum(PointsEntry.points).label("n"))
              .select_from(PointsEntry)
              .join(Membership, Membership.user_id == PointsEntry.user_id)
              .where(PointsEntry.at >= period.start, PointsEntry.at < period.end,
                     *policy.member_at(PointsEntry.at), within(Membership.unit_id))
              .group_by(Membership.unit_id).subquery("points"))
    held = (ClassSession.starts_at >= period.start, ClassSession.starts_at < period.end)
    attendance = (select(Membership.unit_id.label("key"), func.count().label("n"))
                  .select_from(Attendance)
                  .join(ClassSession, ClassSession.id == Attendance.session_id)
                  .join(Membership, Membership.user_id == Attendance.user_id)
                  .where(*held, *policy.member_at(ClassSession.starts_at),
                         within(Membership.unit_id))
                  .group_by(Membership.unit_id).subquery("attendance"))
    parts = (members, points, attendance)
    pairs = buckets.of_kind(root, "branch")
    query = select(pairs.c.bucket_id, *(func.coalesce(func.sum(p.c.n), 0) for p in parts))
    for part in parts:
        query = query.outerjoin(part, part.c.key == pairs.c.member_id)
    rows = db.execute(query.group_by(pairs.c.bucket_id))
    return {key: tuple(int(v) for v in values) for key, *values in rows}
