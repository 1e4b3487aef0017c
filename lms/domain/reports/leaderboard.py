"""Points leaderboards (积分排行): officers within their own branch, and the branches of their
county by points per active officer; set-based SQL, no Flask.

An officer sees exactly two boards, both derived from who they are (`policy.leaderboard_units`):
no argument names a unit, so no request can show another branch's officers or another
county's branches. Only active officers are members: an officer who left neither appears nor
counts, in a branch's total or in its member count. Equal points share a rank (1, 2, 2, 4);
the order among them is by name, then police number (branches: name, then code).

Indexes relied on: lms_user.unit_id, lms_points_ledger.user_id, lms_unit.path.
"""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Float, and_, cast, func, or_, select
from sqlalchemy.orm import Session

from ...models import PointsEntry, Unit, User
from ..org import policy
from . import periods

PERIODS = ("all", "quarter")  # all time, or the current quarter of the bureau's calendar
DEFAULT_LIMIT = 50


@dataclass(frozen=True)
class OfficerRank:
    """One officer's line on the branch board."""

    position: int  # place in the listed order, 1-based; a gap before it means rows left out
    rank: int  # shared by equal points
    user_id: int
    name: str
    police_no: str
    points: int
    mine: bool


@dataclass(frozen=True)
class BranchBoard:
    """The officers of the user's own branch (unit), best first, and the user's own line."""

    unit_id: int
    unit_name: str
    members: int  # active officers ranked, including those beyond the limit
    rows: list[OfficerRank]  # the first `limit`, plus the user's own line when further down
    me: OfficerRank | None


@dataclass(frozen=True)
class BranchRank:
    """One branch's line on the county board."""

    position: int
    rank: int
    unit_id: int
    code: str
    name: str
    members: int  # active officers
    points: int  # their points in the period
    per_member: float
    mine: bool


@dataclass(frozen=True)
class CountyBoard:
    """The branches of the user's county with active officers, best per member first."""

    county_id: int | None  # None when the user belongs to no county: the board is empty
    county_name: str | None
    branches: int
    rows: list[BranchRank]  # the first `limit`, plus the user's own branch when further down
    mine: BranchRank | None


@dataclass(frozen=True)
class Leaderboards:
    """Both boards for one period, as the leaderboard page shows them."""

    period: str  # one of PERIODS
    quarter: periods.Period | None  # the quarter counted, for period "quarter"
    branch: BranchBoard
    county: CountyBoard


def current_quarter(now: datetime, tz: str) -> periods.Period:
    """The local calendar quarter containing the naive-UTC moment `now`."""
    return periods.quarter_of(periods.local_today(now, tz), tz)


def boards(db: Session, user: User, period: str, now: datetime, tz: str,
           limit: int = DEFAULT_LIMIT) -> Leaderboards:
    """The user's branch and county boards for `period` ("all" unless "quarter")."""
    period = period if period in PERIODS else "all"
    quarter = current_quarter(now, tz) if period == "quarter" else None
    start = quarter.start if quarter else None
    return Leaderboards(period, quarter, branch_board(db, user, start, limit),
                        county_board(db, user, start, limit))


def branch_board(db: Session, user: User, period_start: datetime | None = None,
                 limit: int = DEFAULT_LIMIT) -> BranchBoard:
    """Active officers of the user's own unit ranked by points earned since `period_start`
    (all time when None); PermissionDenied unless the user is an active officer."""
    unit, _ = policy.leaderboard_units(db, user)
    earned = func.coalesce(func.sum(PointsEntry.points), 0)
    ranked = (
        select(User.id, User.name, User.police_no, earned.label("points"),
               func.rank().over(order_by=earned.desc()).label("rank"),
               func.row_number().over(order_by=(earned.desc(), User.name, User.police_no,
                                                User.id)).label("position"),
               func.count().over().label("members"))
        .outerjoin(PointsEntry, _earned_by(User.id, period_start))
        .where(User.unit_id == unit.id, User.active, User.is_officer)
        .group_by(User.id, User.name, User.police_no)
    ).subquery()
    result = db.execute(select(ranked).where(or_(ranked.c.position <= limit,
                                                 ranked.c.id == user.id))
                        .order_by(ranked.c.position)).all()
    rows = [OfficerRank(r.position, r.rank, r.id, r.name, r.police_no, int(r.points),
                        r.id == user.id) for r in result]
    members = result[0].members if result else 0
    return BranchBoard(unit.id, unit.name, members, rows, _mine(rows))


def county_board(db: Session, user: User, period_start: datetime | None = None,
                 limit: int = DEFAULT_LIMIT) -> CountyBoard:
    """The branches of the user's county ranked by points per active officer earned since
    `period_start`; PermissionDenied unless the user is an active officer."""
    own, county = policy.leaderboard_units(db, user)
    if county is None:
        return CountyBoard(None, None, 0, [], None)
    members = func.count(func.distinct(User.id))
    earned = func.coalesce(func.sum(PointsEntry.points), 0)
    per_member = cast(earned, Float) / members
    ranked = (
        select(Unit.id, Unit.code, Unit.name, members.label("members"),
               earned.label("points"), per_member.label("per_member"),
               func.rank().over(order_by=per_member.desc()).label("rank"),
               func.row_number().over(order_by=(per_member.desc(), Unit.name, Unit.code))
               .label("position"),
               func.count().over().label("branches"))
        .join(User, and_(User.unit_id == Unit.id, User.active, User.is_officer))
        .outerjoin(PointsEntry, _earned_by(User.id, period_start))
        .where(Unit.path.startswith(county.path, autoescape=True), Unit.kind == "branch")
        .group_by(Unit.id, Unit.code, Unit.name)
    ).subquery()
    result = db.execute(select(ranked).where(or_(ranked.c.position <= limit,
                                                 ranked.c.id == own.id))
                        .order_by(ranked.c.position)).all()
    rows = [BranchRank(r.position, r.rank, r.id, r.code, r.name, r.members, int(r.points),
                       float(r.per_member), r.id == own.id) for r in result]
    branches = result[0].branches if result else 0
    return CountyBoard(county.id, county.name, branches, rows, _mine(rows))


def _earned_by(user_id_column, period_start: datetime | None):
    """The join condition of a user's ledger lines, from `period_start` on when given."""
    condition = PointsEntry.user_id == user_id_column
    return condition if period_start is None else and_(condition,
                                                        PointsEntry.at >= period_start)


def _mine(rows):
    return next((row for row in rows if row.mine), None)
