"""An officer's lessons arranged for the list page: what to catch up on first, the rest by
month; no Flask."""
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby

from ..clock import to_local
from .lessons import LessonStatus


@dataclass(frozen=True)
class MonthGroup:
    """The lessons published in one local calendar month (newest first)."""

    year: int
    month: int
    lessons: list[LessonStatus]


@dataclass(frozen=True)
class LessonPlan:
    """待补学 (owed and not done: overdue first, longest overdue first, then the soonest
    due), and everything else grouped by month of publication, newest month first."""

    catch_up: list[LessonStatus]
    months: list[MonthGroup]


def arrange(rows: list[LessonStatus], tz: str) -> LessonPlan:
    """Split `rows` (newest first, as `lessons.list_for_user` gives them) into a plan."""
    owed = [row for row in rows if row.status in ("overdue", "due")]
    owed.sort(key=lambda row: (row.status != "overdue", row.due_at, row.issue_no))
    rest = [row for row in rows if row.status not in ("overdue", "due")]

    def month(row: LessonStatus) -> tuple[int, int]:
        local: datetime = to_local(row.publish_at, tz)
        return local.year, local.month

    months = [MonthGroup(year, mon, list(group))
              for (year, mon), group in groupby(rest, key=month)]
    return LessonPlan(owed, months)
