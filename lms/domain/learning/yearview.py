"""This year at a glance for the profile (学习档案): lessons owed and done, points, month by
month in the bureau's time zone; no Flask."""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import PointsEntry
from ..clock import to_local, to_utc
from .lessons import LessonStatus


@dataclass(frozen=True)
class MonthBar:
    """One month of the chart: lessons due that month (owed), how many are done, points."""

    month: int
    owed: int
    done: int
    points: int

    @property
    def percent(self) -> int:
        """Completion of the month's owed lessons, 0–100 (0 when none were owed)."""
        return round(100 * self.done / self.owed) if self.owed else 0


@dataclass(frozen=True)
class YearView:
    """The figures of one calendar year, months January up to the current one."""

    year: int
    owed: int
    done: int
    points: int
    months: list[MonthBar]

    @property
    def max_points(self) -> int:
        """The largest monthly points figure (scales the points bars; at least 1)."""
        return max([1] + [m.points for m in self.months])


def build(db: Session, user_id: int, mine: list[LessonStatus], now: datetime, tz: str
          ) -> YearView:
    """The current local year for the user; `mine` is `lessons.list_for_user`'s answer."""
    local_now = to_local(now, tz)
    year = local_now.year
    owed = [0] * 13
    done = [0] * 13
    for lesson in mine:
        due = to_local(lesson.due_at, tz)
        if lesson.status == "optional" or due.year != year or due.month > local_now.month:
            continue
        owed[due.month] += 1
        done[due.month] += lesson.status == "done"
    start = to_utc(datetime(year, 1, 1), tz)
    earned = [0] * 13
    for at, points in db.execute(select(PointsEntry.at, PointsEntry.points).where(
            PointsEntry.user_id == user_id, PointsEntry.at >= start, PointsEntry.at <= now)):
        earned[to_local(at, tz).month] += points
    months = [MonthBar(m, owed[m], done[m], earned[m]) for m in range(1, local_now.month + 1)]
    return YearView(year, sum(owed), sum(done), sum(earned), months)
