"""Report periods — a year `2026`, a quarter `2026Q4`, an ISO week `2026-W48` — as naive-UTC
bounds [start, end) computed on the bureau's local calendar; no Flask.

A week runs Monday 00:00 to Monday 00:00 local time, so a lesson due Sunday 23:59 in
Shanghai (15:59 UTC) belongs to that week, not the next.
"""
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from ..clock import to_local, to_utc

_YEAR = re.compile(r"([0-9]{4})")
_QUARTER = re.compile(r"([0-9]{4})Q([1-4])")
_WEEK = re.compile(r"([0-9]{4})-W([0-9]{2})")


@dataclass(frozen=True)
class Period:
    """A named stretch of local calendar time and its naive-UTC bounds [start, end)."""

    key: str  # the canonical text: 2026, 2026Q4, 2026-W48
    kind: str  # year | quarter | week
    first_day: date  # local, inclusive
    end_day: date  # local, exclusive
    start: datetime  # naive UTC, inclusive
    end: datetime  # naive UTC, exclusive

    @property
    def label(self) -> str:
        """The period as a Chinese heading: 2026年第4季度, 2026年第48周."""
        year, _, rest = self.key.partition("Q" if self.kind == "quarter" else "-W")
        if self.kind == "year":
            return f"{self.key}年"
        if self.kind == "quarter":
            return f"{year}年第{rest}季度"
        return f"{year}年第{int(rest)}周"

    @property
    def last_day(self) -> date:
        """The last local day inside the period."""
        return self.end_day - timedelta(days=1)


def parse(text: str, tz: str) -> Period:
    """The period named by `text`; ValueError when it is not one of the three forms."""
    text = (text or "").strip().upper()
    if match := _YEAR.fullmatch(text):
        year = _year(match.group(1))
        return _period(text, "year", date(year, 1, 1), date(year + 1, 1, 1), tz)
    if match := _QUARTER.fullmatch(text):
        year, quarter = _year(match.group(1)), int(match.group(2))
        first = date(year, 3 * quarter - 2, 1)
        end = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
        return _period(text, "quarter", first, end, tz)
    if match := _WEEK.fullmatch(text):
        year, week = _year(match.group(1)), int(match.group(2))
        first = date.fromisocalendar(year, week, 1)  # ValueError for W00, W54, W53 of short years
        return _period(text, "week", first, first + timedelta(days=7), tz)
    raise ValueError(f"not a period (2026, 2026Q4 or 2026-W48): {text!r}")


def week_of(day: date, tz: str) -> Period:
    """The ISO week containing the local day `day`."""
    year, week, _ = day.isocalendar()
    return parse(f"{year}-W{week:02d}", tz)


def quarter_of(day: date, tz: str) -> Period:
    """The quarter containing the local day `day`."""
    return parse(f"{day.year}Q{(day.month - 1) // 3 + 1}", tz)


def year_of(day: date, tz: str) -> Period:
    """The year containing the local day `day`."""
    return parse(f"{day.year}", tz)


def local_today(now_utc: datetime, tz: str) -> date:
    """The local calendar day at the naive-UTC moment `now_utc`."""
    return to_local(now_utc, tz).date()


def weeks_in(period: Period, tz: str) -> list[Period]:
    """The ISO weeks that overlap `period`, oldest first (the week itself for a week)."""
    weeks = [week_of(period.first_day, tz)]
    while weeks[-1].end_day < period.end_day:
        weeks.append(week_of(weeks[-1].end_day, tz))
    return weeks


def recent_weeks(day: date, count: int, tz: str) -> list[Period]:
    """`count` ISO weeks ending with the one containing `day`, oldest first."""
    return [week_of(day - timedelta(weeks=n), tz) for n in range(count - 1, -1, -1)]


def choices(day: date, tz: str) -> list[Period]:
    """Periods a supervisor typically picks: recent weeks, quarters and years, newest first."""
    weeks = list(reversed(recent_weeks(day, 12, tz)))
    quarter = quarter_of(day, tz)
    quarters = [quarter]
    for _ in range(3):
        quarters.append(quarter_of(quarters[-1].first_day - timedelta(days=1), tz))
    years = [year_of(day, tz), year_of(date(day.year - 1, 6, 1), tz)]
    return weeks + quarters + years


def _year(text: str) -> int:
    year = int(text)
    if not 2000 <= year <= 2999:
        raise ValueError(f"year out of range: {year}")
    return year


def _period(key: str, kind: str, first: date, end: date, tz: str) -> Period:
    return Period(key=key, kind=kind, first_day=first, end_day=end,
                  start=to_utc(datetime.combine(first, datetime.min.time()), tz),
                  end=to_utc(datetime.combine(end, datetime.min.time()), tz))
