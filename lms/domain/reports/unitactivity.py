"""Classroom activity and study hours per unit, for the dashboard, the 通报 and their exports:
sessions held, attendance rate, accepted classrooms, hours per member and the share of
officers on track for the yearly target; set-based SQL, no Flask.

Both pages call `by_buckets` with their own buckets (child units, or party branches), so a
unit's figures are the same wherever they are shown. Facts are counted per unit first and
summed into buckets by path prefix, so a total equals the sum of its rows.
"""
from dataclasses import astuple, dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, select, true
from sqlalchemy.orm import Session, aliased

from ...models import Attendance, Classroom, ClassSession, Membership, Unit
from ..learning import hours
from ..org import policy
from . import buckets, periods
from .assignments import is_whole_tree
from .periods import Period


@dataclass(frozen=True)
class Activity:
    """Additive facts about a set of units in a period; rates derive from them."""

    members: int = 0  # active officers at the period's end (or now)
    minutes: int = 0  # their study time this year up to then
    on_track: int = 0  # of them at or above the pro-rated yearly target
    sessions: int = 0  # class sessions held (started by then) in the period
    places: int = 0  # per session held, the running unit's active officers then
    attended: int = 0  # of those places, checked in
    accepted: int = 0  # classrooms accepted by the period's end and not retired

    def __add__(self, other: "Activity") -> "Activity":
        return Activity(*(a + b for a, b in zip(astuple(self), astuple(other))))

    @property
    def hours_per_member(self) -> float | None:
        """Study hours per active officer this year."""
        return self.minutes / 60 / self.members if self.members else None

    @property
    def hours(self) -> float:
        """All the members' study hours this year."""
        return self.minutes / 60

    @property
    def on_track_share(self) -> float | None:
        """Share of active officers on track for the yearly target."""
        return self.on_track / self.members if self.members else None

    @property
    def attendance_rate(self) -> float | None:
        """Check-ins of the running units' officers per place at the sessions held."""
        return self.attended / self.places if self.places else None


def moment_of(period: Period, now: datetime) -> datetime:
    """The instant a period's figures are taken at: its end, or now while it runs."""
    return min(period.end - timedelta(microseconds=1), now)


def by_child(db: Session, unit: Unit, period: Period, now: datetime, rule: hours.HoursRule,
             tz: str) -> dict[int, Activity]:
    """Per child unit of `unit`, and under `unit.id` its directly attached part."""
    return by_buckets(db, buckets.of_children(unit), unit.path, period, now, rule, tz)


def by_branch(db: Session, root: Unit, period: Period, now: datetime, rule: hours.HoursRule,
              tz: str) -> dict[int, Activity]:
    """Per party branch (its subtree) in `root`'s subtree."""
    return by_buckets(db, buckets.of_kind(root, "branch"), root.path, period, now, rule, tz)


def by_buckets(db: Session, pairs, root_path: str, period: Period, now: datetime,
               rule: hours.HoursRule, tz: str) -> dict[int, Activity]:
    """Activity per bucket: `pairs` (`buckets`) maps bucket_id → the unit ids (member_id) it
    sums."""
    moment = moment_of(period, now)
    parts = (_officers(root_path, moment, rule, tz, now), _sessions(root_path, period, moment),
             _accepted(root_path, period))
    columns = [func.coalesce(func.sum(part.c[name]), 0)
               for part in parts for name in part.c.keys() if name != "key"]
    query = select(pairs.c.bucket_id, *columns)
    for part in parts:
        query = query.outerjoin(part, part.c.key == pairs.c.member_id)
    rows = db.execute(query.group_by(pairs.c.bucket_id))
    return {bucket: Activity(*(int(v) for v in values)) for bucket, *values in rows}


def _within(column, root_path: str):
    """`column` (a unit id) lies in the subtree; nothing to check for the whole bureau."""
    if is_whole_tree(root_path):
        return true()
    return column.in_(select(Unit.id).where(Unit.path.startswith(root_path, autoescape=True)))


def _officers(root_path: str, moment: datetime, rule: hours.HoursRule, tz: str,
              now: datetime):
    """Per unit: active officers at `moment`, their minutes this year, how many on track."""
    year = periods.year_of(periods.local_today(moment, tz), tz)
    members = (select(Membership.user_id, Membership.unit_id)
               .where(*policy.member_at(moment), _within(Membership.unit_id, root_path))
               .subquery("members"))
    # the whole bureau: every officer's minutes, joined to the members below (a filter
    # first would build the members twice)
    earned = hours.earned(rule, year.start, hours.through(moment, year),
                          None if is_whole_tree(root_path) else select(members.c.user_id), now)
    per_officer = (select(members.c.unit_id, members.c.user_id,
                          func.coalesce(func.sum(earned.c.minutes), 0).label("minutes"))
                   .outerjoin(earned, earned.c.user_id == members.c.user_id)
                   .group_by(members.c.unit_id, members.c.user_id).subquery("per_officer"))
    expected = hours.expected_minutes(rule, year, moment)
    return (select(per_officer.c.unit_id.label("key"), func.count().label("members"),
                   func.sum(per_officer.c.minutes).label("minutes"),
                   func.sum(case((per_officer.c.minutes >= expected - 1e-6, 1), else_=0))
                   .label("on_track"))
            .group_by(per_officer.c.unit_id).subquery("officers"))


def _sessions(root_path: str, period: Period, moment: datetime):
    """Per running unit: sessions held in the period by `moment`, their places (the unit's
    subtree's active officers at each start) and the check-ins of those officers."""
    held = (select(ClassSession.id.label("session_id"), ClassSession.starts_at,
                   Classroom.unit_id)
            .join(Classroom, Classroom.id == ClassSession.classroom_id)
            .where(ClassSession.starts_at >= period.start, ClassSession.starts_at <= moment,
                   Classroom.unit_id.isnot(None), _within(Classroom.unit_id, root_path))
            .subquery("held"))
    running, member = aliased(Unit, name="running"), aliased(Unit, name="attendee_unit")
    in_line = (member.path.startswith(running.path), *policy.member_at(held.c.starts_at))
    places = (select(held.c.session_id, func.count(Membership.id).label("n"))
              .join(running, running.id == held.c.unit_id)
              .join(member, member.path.startswith(running.path))
              .join(Membership, Membership.unit_id == member.id)
              .where(*in_line).group_by(held.c.session_id).subquery("places"))
    attended = (select(held.c.session_id, func.count(Attendance.id).label("n"))
                .join(Attendance, Attendance.session_id == held.c.session_id)
                .join(running, running.id == held.c.unit_id)
                .join(Membership, Membership.user_id == Attendance.user_id)
                .join(member, member.id == Membership.unit_id)
                .where(*in_line).group_by(held.c.session_id).subquery("attended"))
    return (select(held.c.unit_id.label("key"), func.count().label("sessions"),
                   func.coalesce(func.sum(places.c.n), 0).label("places"),
                   func.coalesce(func.sum(attended.c.n), 0).label("attended"))
            .outerjoin(places, places.c.session_id == held.c.session_id)
            .outerjoin(attended, attended.c.session_id == held.c.session_id)
            .group_by(held.c.unit_id).subquery("sessions"))


def _accepted(root_path: str, period: Period):
    """Per unit: its classrooms accepted before the period's end and still running."""
    return (select(Classroom.unit_id.label("key"), func.count().label("accepted"))
            .where(Classroom.status == "accepted", Classroom.accepted_at < period.end,
                   Classroom.unit_id.isnot(None), _within(Classroom.unit_id, root_path))
            .group_by(Classroom.unit_id).subquery("accepted"))


def total(rows: dict[int, Activity]) -> Activity:
    """The sum of the rows."""
    return sum(rows.values(), Activity())


def for_rows(rows: dict[int, Activity], unit_ids) -> tuple[dict[int, Activity], Activity]:
    """The activity of the units a table shows, and their sum (its total row)."""
    shown = {unit_id: rows.get(unit_id, Activity()) for unit_id in unit_ids}
    return shown, sum(shown.values(), Activity())


def officer_hours(db: Session, user_ids: list[int], moment: datetime, rule: hours.HoursRule,
                  tz: str) -> dict[int, tuple[float, bool]]:
    """Per officer: study hours this year up to `moment`, and whether on track then."""
    if not user_ids:
        return {}
    year = periods.year_of(periods.local_today(moment, tz), tz)
    earned = hours.earned(rule, year.start, hours.through(moment, year), list(user_ids))
    minutes = dict(db.execute(select(earned.c.user_id, func.sum(earned.c.minutes))
                              .group_by(earned.c.user_id)).all())
    expected = hours.expected_minutes(rule, year, moment)
    return {uid: (int(minutes.get(uid) or 0) / 60,
                  int(minutes.get(uid) or 0) >= expected - 1e-6) for uid in user_ids}
