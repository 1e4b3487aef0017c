"""Assignments as set-based SQL, the ground of the completion reports and the 通报; no Flask.

An assignment is an (officer, lesson) pair: a published lesson, released by `now`, due in
the period (or the one lesson asked for), that the officer owes (`policy.owes`: an active
officer of a unit in its audience at its due time, joined early enough), counted for the
unit they belonged to then. Facts are aggregated per unit first and then rolled up by
path prefix into the buckets asked for, so a total always equals the sum of its rows.

Assigned and completed counts come from lms_lesson_unit_stats (per lesson and unit, see
`unitstats`), not from the memberships and completions themselves; officer lists
(`reports.officers_of`, `reports.pending`) still read lms_completion, one officer at a time.

Indexes relied on: lms_unit.path (text_pattern_ops) and parent_id, lms_user.unit_id,
lms_micro_lesson.due_at, the summary's primary key (lesson_id, unit_id), lms_completion's
unique (user_id, item_type, item_id) for officer lists, lms_lesson_audience's primary key.
"""
from dataclasses import astuple, dataclass
from datetime import datetime

from sqlalchemy import case, func, select, true
from sqlalchemy.orm import Session

from ...models import LessonUnitStats, MicroLesson, Unit
from ..org import policy
from .periods import Period


@dataclass(frozen=True)
class Counts:
    """Additive facts about a set of assignments; rates derive from them."""

    assigned: int = 0
    completed: int = 0
    on_time: int = 0
    overdue: int = 0
    score_sum: int = 0
    scored: int = 0
    first_score_sum: int = 0
    first_scored: int = 0

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

    @property
    def first_average(self) -> float | None:
        """Mean first-attempt score of the completed assignments (首次平均分): a retake after
        the result page cannot raise it."""
        return self.first_score_sum / self.first_scored if self.first_scored else None


def released(now: datetime) -> tuple:
    """SQL conditions: the lesson is published and out by `now`."""
    return (policy.lesson_released(now),)


def due_lessons(db: Session, now: datetime, period: Period | None = None,
                lesson_id: int | None = None) -> dict[int, datetime]:
    """The one lesson asked for, or those due in `period`, released by `now`: id → due time.

    Fetched first (a handful of rows) so that the big queries filter completions by literal
    ids: the planner then estimates them well and uses ix_lms_completion_item.
    """
    query = select(MicroLesson.id, MicroLesson.due_at).where(*released(now))
    if lesson_id is not None:
        query = query.where(MicroLesson.id == lesson_id)
    else:
        query = query.where(MicroLesson.due_at >= period.start, MicroLesson.due_at < period.end)
    return dict(db.execute(query).all())


def is_whole_tree(path: str) -> bool:
    """`path` is a root of the org tree (the bureau, `/1/`) or the everything-scope `/`."""
    return path == "/" or path.count("/") == 2


def _in_subtree(column, path: str):
    """`column` (a unit id) lies in the subtree at `path`; no condition for the whole bureau."""
    if is_whole_tree(path):
        return true()
    return column.in_(select(Unit.id).where(Unit.path.startswith(path, autoescape=True)))


def _facts_per_unit_and_lesson(lesson_ids: list[int], path: str, now: datetime):
    """Assigned and completed (officer, lesson) pairs per (unit, lesson) of the subtree.

    All of it comes from lms_lesson_unit_stats, the per-(lesson, unit) summary kept exact
    by `unitstats`: assigned pairs are the ones owed (`policy.owed_per_unit`: membership at
    the due time) under the unit they are owed for, and completed, on-time and scores count
    the completions of those pairs. A bureau quarter reads ~650 × 13 rows instead of
    joining ~30,000 memberships with each lesson and aggregating ~225,000 completions.
    """
    stats = LessonUnitStats
    past = MicroLesson.due_at < now
    return (select(stats.unit_id, stats.lesson_id, stats.assigned, stats.completed,
                   stats.on_time,
                   case((past, stats.assigned - stats.completed), else_=0).label("overdue"),
                   stats.score_sum, stats.scored, stats.first_score_sum, stats.first_scored)
            .join(MicroLesson, MicroLesson.id == stats.lesson_id)
            .where(stats.lesson_id.in_(lesson_ids), stats.assigned > 0,
                   _in_subtree(stats.unit_id, path))
            .subquery("facts"))


def rolled_up(db: Session, buckets, root_path: str, due: dict[int, datetime],
              now: datetime) -> dict[tuple[int, int], Counts]:
    """Facts per (unit, lesson) first, then summed by path prefix into (bucket, lesson)."""
    if not due:
        return {}
    facts = _facts_per_unit_and_lesson(list(due), root_path, now)
    sums = [func.sum(col) for col in (facts.c.assigned, facts.c.completed, facts.c.on_time,
                                       facts.c.overdue, facts.c.score_sum, facts.c.scored,
                                       facts.c.first_score_sum, facts.c.first_scored)]
    query = (select(buckets.c.bucket_id, facts.c.lesson_id, *sums)
             .join(facts, facts.c.unit_id == buckets.c.member_id)
             .group_by(buckets.c.bucket_id, facts.c.lesson_id))
    return {(bucket, lesson): Counts(*(int(v) for v in values))
            for bucket, lesson, *values in db.execute(query)}


def sum_by(cells: dict[tuple[int, int], Counts], part: int) -> dict[int, Counts]:
    """Collapse (bucket, lesson) cells onto the bucket (part 0) or the lesson (part 1)."""
    out: dict[int, Counts] = {}
    for key, counts in cells.items():
        out[key[part]] = out.get(key[part], Counts()) + counts
    return out
