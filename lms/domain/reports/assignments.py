"""Assignments as set-based SQL, the ground of the completion reports and the 通报; no Flask.

An assignment is an (officer, lesson) pair: a published lesson, released by `now`, due in
the period (or the one lesson asked for), and an active officer in the lesson's audience
(no audience rows = everyone). Facts are aggregated per unit first and then rolled up by
path prefix into the buckets asked for, so a total always equals the sum of its rows.

Completed counts come from lms_lesson_unit_stats (per lesson and unit, see `unitstats`), not
from the completions themselves; officer lists (`reports.officers_of`, `reports.pending`)
still read lms_completion, one officer at a time.

Indexes relied on: lms_unit.path (text_pattern_ops) and parent_id, lms_user.unit_id,
lms_micro_lesson.due_at, the summary's primary key (lesson_id, unit_id), lms_completion's
unique (user_id, item_type, item_id) for officer lists, lms_lesson_audience's primary key.
"""
from dataclasses import astuple, dataclass
from datetime import datetime

from sqlalchemy import and_, case, exists, func, or_, select, true
from sqlalchemy.orm import Session, aliased

from ...models import LessonAudience, LessonUnitStats, MicroLesson, Unit, User
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
    return MicroLesson.status == "published", MicroLesson.publish_at <= now


def active_officer() -> tuple:
    """SQL conditions: the user is an active officer."""
    return User.active.is_(True), User.is_officer.is_(True)


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


def assigned_units(lesson_ids: list[int], path: str | None = None,
                   unit_id: int | None = None):
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


def is_whole_tree(path: str) -> bool:
    """`path` is a root of the org tree (the bureau, `/1/`) or the everything-scope `/`."""
    return path == "/" or path.count("/") == 2


def _in_subtree(column, path: str):
    """`column` (a unit id) lies in the subtree at `path`; no condition for the whole bureau.

    Only a pre-filter: the facts are joined to `assigned_units`, which limits units by path.
    """
    if is_whole_tree(path):
        return true()
    return column.in_(select(Unit.id).where(Unit.path.startswith(path, autoescape=True)))


def _facts_per_unit_and_lesson(lesson_ids: list[int], path: str, now: datetime):
    """Assigned and completed (officer, lesson) pairs per (unit, lesson) of the subtree.

    Completed, on-time and scores come from lms_lesson_unit_stats, the per-(lesson, unit)
    summary of the completions of active officers kept exact by `unitstats`: a bureau
    quarter reads ~650 × 13 rows instead of aggregating ~225,000 completions.
    """
    eligible = assigned_units(lesson_ids, path=path)
    officers = (select(User.unit_id, func.count().label("n"))
                .where(*active_officer(), _in_subtree(User.unit_id, path))
                .group_by(User.unit_id).subquery("officers"))
    done = (select(LessonUnitStats.unit_id, LessonUnitStats.lesson_id,
                   LessonUnitStats.completed, LessonUnitStats.on_time,
                   LessonUnitStats.score_sum, LessonUnitStats.scored,
                   LessonUnitStats.first_score_sum, LessonUnitStats.first_scored)
            .where(LessonUnitStats.lesson_id.in_(lesson_ids),
                   _in_subtree(LessonUnitStats.unit_id, path))
            .subquery("done"))
    past = eligible.c.due_at < now
    completed = func.coalesce(done.c.completed, 0)
    return (select(eligible.c.unit_id, eligible.c.lesson_id,
                   officers.c.n.label("assigned"), completed.label("completed"),
                   func.coalesce(done.c.on_time, 0).label("on_time"),
                   case((past, officers.c.n - completed), else_=0).label("overdue"),
                   func.coalesce(done.c.score_sum, 0).label("score_sum"),
                   func.coalesce(done.c.scored, 0).label("scored"),
                   func.coalesce(done.c.first_score_sum, 0).label("first_score_sum"),
                   func.coalesce(done.c.first_scored, 0).label("first_scored"))
            .join(officers, officers.c.unit_id == eligible.c.unit_id)
            .outerjoin(done, and_(done.c.unit_id == eligible.c.unit_id,
                                  done.c.lesson_id == eligible.c.lesson_id))
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
