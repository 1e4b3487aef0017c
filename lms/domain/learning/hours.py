"""Study hours (学时): what each completed item is worth, an officer's hours in a year and
whether they are on track for the yearly target; set-based SQL, no Flask.

Worth per item type comes from LMS_HOURS: a number of hours, or "estimated" (a courseware
item's estimated minutes) or "length" (a class session's duration). Hours are summed in
whole minutes so that totals are exact and equal the sum of their parts.
"""
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, literal, select, union_all
from sqlalchemy.orm import Session

from ...models import ClassSession, Completion, Courseware, StudyMinutes
from ..reports import periods
from . import studyminutes

ITEM_TYPES = ("lesson", "courseware", "session")
FROM_ITEM = {"courseware": "estimated", "session": "length"}  # the item's own minutes


@dataclass(frozen=True)
class HoursRule:
    """Minutes per item type (None: the item's own), and the yearly target in hours."""

    lesson: int | None
    courseware: int | None
    session: int | None
    target_hours: float

    def minutes(self):
        """SQL: the minutes a completion row is worth; needs the joins of `earned`."""
        return self.worth(Completion.item_type)

    def worth(self, item_type):
        """SQL: the minutes one item of `item_type` (a column) is worth; needs Courseware and
        ClassSession joined on the item (outer joins: a missing item is worth 0 own)."""
        def of(kind, own):
            fixed = getattr(self, kind)
            return literal(fixed) if fixed is not None else func.coalesce(own, 0)
        return case((item_type == "lesson", of("lesson", None)),
                    (item_type == "courseware", of("courseware", Courseware.estimated_minutes)),
                    (item_type == "session", of("session", ClassSession.duration_minutes)),
                    else_=0)


def rule_from(hours: Mapping, target) -> HoursRule:
    """LMS_HOURS and LMS_HOURS_TARGET as a rule; ValueError names a bad setting."""
    minutes = {}
    for kind in ITEM_TYPES:
        value = hours.get(kind, FROM_ITEM.get(kind, 0))
        if kind in FROM_ITEM and value == FROM_ITEM[kind]:
            minutes[kind] = None
        elif isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
            minutes[kind] = round(value * 60)
        else:
            raise ValueError(f"LMS_HOURS[{kind!r}] must be a number of hours"
                             + (f" or {FROM_ITEM[kind]!r}" if kind in FROM_ITEM else ""))
    if not isinstance(target, (int, float)) or isinstance(target, bool) or target < 0:
        raise ValueError("LMS_HOURS_TARGET must be a number of hours")
    return HoursRule(minutes["lesson"], minutes["courseware"], minutes["session"],
                     float(target))


def earned(rule: HoursRule, start: datetime, end: datetime, user_ids=None,
           now: datetime | None = None):
    """A subquery of (user_id, item_type, minutes): minutes earned per officer and item type
    by items first completed in [start, end); `user_ids` limits it (a value list or select).

    Whole months come from the study-minutes summary, the edges from lms_completion
    (`studyminutes.terms`, which `now` helps choose); the rule is applied here, so the
    answer is the one a sum over every completion gives, for any period and rule."""
    raw, rows = studyminutes.terms(start, end, now)
    parts = [_raw(rule, low, high, sign) for low, high, sign in raw]
    parts += [_summary(rule, year, month, sign) for year, month, sign in rows]
    if not parts:
        parts = [_raw(rule, start, start, 1)]  # an empty period: no rows
    if user_ids is not None:
        # in each part, before its joins: a bureau of a province keeps its tenth of the
        # summary rows before they are joined and summed, not after (docs/PERFORMANCE.md)
        parts = [part.where(part.selected_columns.user_id.in_(user_ids)) for part in parts]
    signed = union_all(*parts).subquery("signed")
    query = select(signed.c.user_id, signed.c.item_type,
                   func.sum(signed.c.minutes).label("minutes"))
    return query.group_by(signed.c.user_id, signed.c.item_type).subquery("earned")


def _raw(rule: HoursRule, start: datetime, end: datetime, sign: int):
    """± the minutes of the completions first completed in [start, end)."""
    return (select(Completion.user_id.label("user_id"),
                    Completion.item_type.label("item_type"),
                    (rule.minutes() * sign).label("minutes"))
             .outerjoin(Courseware, and_(Completion.item_type == "courseware",
                                         Courseware.id == Completion.item_id))
             .outerjoin(ClassSession, and_(Completion.item_type == "session",
                                           ClassSession.id == Completion.item_id))
             .where(Completion.status == "completed", Completion.first_completed_at >= start,
                    Completion.first_completed_at < end))


def _summary(rule: HoursRule, year: int, month: int, sign: int):
    """± the minutes counted in the summary's (year, month) rows; own minutes joined now."""
    summary = StudyMinutes
    return (select(summary.user_id.label("user_id"), summary.item_type.label("item_type"),
                    (summary.completions * rule.worth(summary.item_type) * sign).label("minutes"))
             .outerjoin(Courseware, and_(summary.item_type == "courseware",
                                         Courseware.id == summary.item_id))
             .outerjoin(ClassSession, and_(summary.item_type == "session",
                                           ClassSession.id == summary.item_id))
             .where(summary.year == year, summary.month == month))


def through(moment: datetime, year: periods.Period) -> datetime:
    """The exclusive end that counts an item completed at `moment` itself, within `year`."""
    return min(moment + timedelta(microseconds=1), year.end)


def expected_minutes(rule: HoursRule, year: periods.Period, moment: datetime) -> float:
    """The target pro-rated to `moment`: the share of the year gone by, times the target."""
    span = (year.end - year.start).total_seconds()
    gone = min(max((moment - year.start).total_seconds(), 0), span)
    return rule.target_hours * 60 * gone / span


@dataclass(frozen=True)
class YearHours:
    """An officer's hours this year against the target."""

    year: int
    by_type: dict[str, float]  # item type → hours
    hours: float
    target: float
    expected: float  # the target pro-rated to today

    @property
    def on_track(self) -> bool:
        """At or above the pro-rated target."""
        return self.hours + 1e-9 >= self.expected

    @property
    def share(self) -> float:
        """Hours as a share of the target (may pass 1)."""
        return self.hours / self.target if self.target else 1.0


def of_user(db: Session, user_id: int, rule: HoursRule, now: datetime, tz: str) -> YearHours:
    """The user's hours in the current local year, per item type and in all."""
    year = periods.year_of(periods.local_today(now, tz), tz)
    part = earned(rule, year.start, through(now, year), [user_id], now)
    by_type = {kind: 0.0 for kind in ITEM_TYPES}
    for _user, kind, minutes in db.execute(select(part)):
        by_type[kind] = int(minutes or 0) / 60
    total = sum(by_type.values())
    return YearHours(year.first_day.year, by_type, round(total, 2), rule.target_hours,
                     round(expected_minutes(rule, year, now) / 60, 2))


# The code defaults of LMS_HOURS and LMS_HOURS_TARGET, for callers without a config.
DEFAULT_RULE = HoursRule(lesson=15, courseware=None, session=None, target_hours=24.0)
