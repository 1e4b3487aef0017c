"""Assigned and completed weekly lessons per (lesson, unit), kept exact; no Flask.

`lms_lesson_unit_stats` summarises `lms_membership` and `lms_completion` for the reports:
per lesson and unit, how many officers owe it *for that unit* (`policy.owes`: membership
at its due time; released or not, the reports filter by `now`), how many of them completed
it, how many by its due time, and the sum and count of their best scores and of their
first attempts' scores. A bureau quarter then reads ~650 × 13 summary rows instead of
joining ~30,000 memberships with each lesson and aggregating ~225,000 completions
(docs/PERFORMANCE.md).

It is never stale, because everything a row depends on is maintained here:

- a lesson completed for the first time, or a completed lesson's best score rising:
  `record_completion`, in the transaction that writes the completion (who owes it does not
  change);
- an officer joining or their membership changing (roster import, role change,
  deactivation: the history rows `org.membership.start` and `record` write), a unit moving,
  a lesson created or its due time or audience changing (sync, studio), bulk loads (the
  demo): `rebuild` of the units or lessons concerned, in the same transaction.

Completion, user, membership or lesson rows written any other way (`db.add(...)` in tests
or one-off scripts) are not seen: call `rebuild` for their lessons or units. No session
hook does it behind the caller's back — the plugin must not change its host's session
class.

`drift()` compares the table with a fresh recompute (tests, and a health check).

The study-minutes summary (`learning.studyminutes`, the study hours' counts per officer and
month) rides along: `record_completion` counts a first completion in it too, `rebuild()`
rebuilds it with everything else and `rebuild(officer_ids=…)` for completions written past
the domain, and `drift()` reports its differences under ("minutes", …) keys.
"""
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy import and_, bindparam, case, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ...models import Completion, LessonUnitStats, Membership, MicroLesson, User
from .. import summaryrows
from ..learning import completion, studyminutes
from ..org import policy

STATS = LessonUnitStats.__table__
COLUMNS = ("lesson_id", "unit_id", "completed", "on_time", "score_sum", "scored",
           "first_score_sum", "first_scored", "assigned")
COUNTED = COLUMNS[:-1]  # what a completion increments: `assigned` follows who owes


@dataclass(frozen=True)
class Counted:
    """What `record_completion` found: the completion row as it was before (status,
    first_completed_at, best_score, first_score) and, when deferred, the summary increment
    still to write (binds of `add_statement`; None: nothing to count) and the study-minutes
    one (binds of `studyminutes.add_statement`; None: not a first completion)."""

    before: object
    increment: dict | None = None
    attempt_id: int | None = None
    minutes: dict | None = None


def record_completion(db: Session, user_id: int, lesson_id: int, now: datetime,
                      score: int | None, deferred: bool = False, inserting=None) -> Counted:
    """Count a passed lesson attempt. Call it right before `completion.write_completed(...,
    "lesson", lesson_id, now, score=score)` in the same transaction, with the officer's
    row already locked FOR SHARE or FOR NO KEY UPDATE by an earlier statement of it
    (`keylock.grading_for`, `keylock.grading_in`). It also closes the open reading visit.
    `deferred`: the increment is returned instead of written, for the caller to write with
    `add_statement` in the same transaction (after this, while the row lock is held).
    `inserting` (PostgreSQL): the passed attempt still to insert (`outcome.Insert`), written
    in the same statement as the claim; when its key was taken nothing is written and
    `before` is None, else its id is `attempt_id`. A first completion also counts in the
    study-minutes summary (`studyminutes`), owed or not; deferred like the increment.

    The transition is found without a read-then-write race: one upsert creates the
    completion row if missing (so two first attempts cannot both see "no row") or else
    locks it (`completion.claim_row`), and returns it as it stands under that lock: whoever
    holds the lock sees the state the following `mark_completed` upsert will change, so
    exactly one transaction counts the first completion and each score rise is counted
    once, from the value it replaces. On SQLite, whose writers are serial, the INSERT takes
    the database's write lock first.

    The officer's row lock makes a roster move or deactivation (an UPDATE of that row
    followed by `rebuild` of its units) wait for this transaction, or this one wait and
    then read the new history: the lock was granted before this upsert's snapshot, which
    reads the unit the lesson is owed for (`policy.owes`) and its due time in the same
    round trip, so the increment never lands on a unit the officer has left. Only a lesson
    the officer owes counts, for the unit it is owed for.
    """
    dialect = db.get_bind().dialect.name
    owed = _owed_columns(dialect)
    first = inserting if hasattr(inserting, "statement") else None
    if dialect == "postgresql":
        before = completion.claim_row(db, user_id, "lesson", lesson_id, now, returning=owed,
                                      first=first)
        if before is None:
            return Counted(None)
        unit_id, due_at = before.owed_unit, before.due_at
        attempt_id = before.inserted_id if first is not None else None
    else:  # SQLAlchemy renders SQLite's RETURNING unqualified, which these subqueries
        # cannot be; SQLite's writers are serial, so a second read sees the same
        assert first is None, "SQLite: insert the attempt first"
        attempt_id = None
        before = completion.claim_row(db, user_id, "lesson", lesson_id, now)
        unit_id, due_at = db.execute(select(*owed), {"p_user_id": user_id,
                                                     "p_item_id": lesson_id}).one()
    minutes = studyminutes.first_completion(user_id, "lesson", lesson_id, before, now)
    if minutes is not None and not deferred:
        db.execute(studyminutes.add_statement(dialect), minutes)
    kept = minutes if deferred else None
    if unit_id is None:
        return Counted(before, None, attempt_id, kept)
    if before.status != "completed":  # first completion: what mark_completed will store
        first = before.first_completed_at or now
        best = _best(before.best_score, score)
        # the first attempt's score: an earlier failed attempt's, else this one's
        first_score = before.first_score if before.first_score is not None else score
        delta = (1, int(due_at is not None and first <= due_at), best or 0,
                 int(best is not None), first_score or 0, int(first_score is not None))
    elif score is not None and (before.best_score is None or score > before.best_score):
        delta = (0, 0, score - (before.best_score or 0), int(before.best_score is None), 0, 0)
    else:
        return Counted(before, None, attempt_id, kept)
    increment = _increment(lesson_id, unit_id, delta)
    if deferred:
        return Counted(before, increment, attempt_id, kept)
    db.execute(add_statement(dialect), increment)
    return Counted(before, None, attempt_id)


# The tables `rebuild` reads; a caller that bulk-loaded them analyses these first.
REBUILD_READS = ("lms_completion", "lms_membership", "lms_user", "lms_micro_lesson",
                 "lms_unit", "lms_lesson_audience")


def rebuild(db: Session, unit_ids: Iterable[int] | None = None,
            lesson_ids: Iterable[int] | None = None,
            officer_ids: Iterable[int] | None = None) -> None:
    """Recompute the rows of these units and/or lessons from lms_completion: one DELETE
    and one INSERT … SELECT; no commit. `officer_ids`: officers whose completions were
    written past `record_completion`/`completion.complete` — their study-minutes rows
    (`studyminutes`) instead. Everything, both summaries, when all three are None.

    Call it after the change that requires it, in the same transaction
    (`summaryrows.replace`: pending ORM changes flushed, the table locked against a
    concurrent `record_completion` increment landing in between).
    """
    everything = unit_ids is None and lesson_ids is None and officer_ids is None
    if everything or officer_ids is not None:
        studyminutes.rebuild(db, officer_ids)
        if not everything and unit_ids is None and lesson_ids is None:
            return
    units = None if unit_ids is None else sorted(set(unit_ids) - {None})
    lessons = None if lesson_ids is None else sorted(set(lesson_ids))
    if units == [] or lessons == []:
        return
    conditions = (() if units is None else (LessonUnitStats.unit_id.in_(units),)) + (
        () if lessons is None else (LessonUnitStats.lesson_id.in_(lessons),))
    summaryrows.replace(db, LessonUnitStats.__table__, conditions, COLUMNS,
                        recount(units, lessons))


def recount(unit_ids: list[int] | None = None, lesson_ids: list[int] | None = None):
    """The summary rows computed afresh (a SELECT of COLUMNS): per (lesson, unit) owed
    (`policy.owed_per_unit`, released or not), how many officers owe it and each
    completion of it by one of them. The completions are counted per (lesson, unit) with
    the officer half of `policy.owes` (`policy.officer_owes`) and LEFT JOINed to the owed
    pairs, which hold its audience half: a pair either reaches the unit for all its
    officers or for none, so the join keeps exactly the completions `owes` counts (at a
    province, 13 M completions: no audience test and no unit row per completion)."""
    query = (select(Completion.item_id.label("lesson_id"), Membership.unit_id.label("unit_id"),
                    func.count().label("completed"),
                    func.count(case((Completion.first_completed_at <= MicroLesson.due_at, 1)))
                    .label("on_time"),
                    func.coalesce(func.sum(Completion.best_score), 0).label("score_sum"),
                    func.count(Completion.best_score).label("scored"),
                    func.coalesce(func.sum(Completion.first_score), 0).label("first_score_sum"),
                    func.count(Completion.first_score).label("first_scored"))
             .select_from(Completion)
             .join(User, User.id == Completion.user_id)
             .join(MicroLesson, MicroLesson.id == Completion.item_id)
             .join(Membership, Membership.user_id == Completion.user_id)
             .where(Completion.item_type == "lesson", Completion.status == "completed",
                    *policy.officer_owes())
             .group_by(Completion.item_id, Membership.unit_id))
    if unit_ids is not None:
        query = query.where(Membership.unit_id.in_(unit_ids))
    if lesson_ids is not None:
        query = query.where(Completion.item_id.in_(lesson_ids))
    done = query.subquery("done")
    owed = policy.owed_per_unit(lesson_ids, unit_ids=unit_ids)
    return (select(owed.c.lesson_id, owed.c.unit_id,
                   *(func.coalesce(done.c[c], 0).label(c) for c in COUNTED[2:]),
                   owed.c.n.label("assigned"))
            .select_from(owed)
            .outerjoin(done, and_(done.c.lesson_id == owed.c.lesson_id,
                                  done.c.unit_id == owed.c.unit_id)))


def drift(db: Session) -> dict[tuple, tuple]:
    """(lesson, unit) → (stored, recomputed) for every row that differs, and the
    study-minutes summary's differences under ("minutes", *its key); {} when exact."""
    db.flush()
    stored = {(r[0], r[1]): tuple(r[2:]) for r in db.execute(select(
        *(STATS.c[c] for c in COLUMNS))) if any(r[2:])}
    fresh = {(r[0], r[1]): tuple(int(v) for v in r[2:]) for r in db.execute(recount())}
    zero = (0,) * (len(COLUMNS) - 2)
    found = {key: (stored.get(key, zero), fresh.get(key, zero))
             for key in stored.keys() | fresh.keys()
             if stored.get(key, zero) != fresh.get(key, zero)}
    found.update({("minutes", *key): counts
                  for key, counts in studyminutes.drift(db).items()})
    return found


def _increment(lesson_id: int, unit_id: int, delta: tuple[int, ...]) -> dict:
    """The binds of `add_statement`: `delta` (COUNTED after the key: completed, on_time,
    scores) for the (lesson, unit) row."""
    return {f"p_{name}": value for name, value in zip(COUNTED, (lesson_id, unit_id, *delta))}


@lru_cache(maxsize=4)
def add_statement(dialect: str):
    """Add an increment (`_increment`) to a row, creating it if needed; commutative, so
    concurrent increments of one row all count. Built once per dialect."""
    stmt = (postgresql if dialect == "postgresql" else sqlite).insert(STATS).values(
        {name: bindparam(f"p_{name}", type_=STATS.c[name].type) for name in COUNTED})
    return stmt.on_conflict_do_update(
        index_elements=["lesson_id", "unit_id"],
        set_={c: STATS.c[c] + stmt.excluded[c] for c in COUNTED[2:]})


@lru_cache(maxsize=4)
def _owed_columns(dialect: str) -> tuple:
    """`record_completion`'s reads, built once per dialect (binds: p_user_id, p_item_id):
    the unit the lesson is owed for and its due time, as scalars its completion upsert
    reads back."""
    user_id, lesson_id = bindparam("p_user_id"), bindparam("p_item_id")
    owed_unit = (select(Membership.unit_id)
                 .join(User, User.id == Membership.user_id)
                 .join(policy.MemberUnit, policy.MemberUnit.id == Membership.unit_id)
                 .join(MicroLesson, MicroLesson.id == lesson_id)
                 .where(Membership.user_id == user_id, *policy.owes()).limit(1))
    due_at = select(MicroLesson.due_at).where(MicroLesson.id == lesson_id)
    return (owed_unit.scalar_subquery().label("owed_unit"),
            due_at.scalar_subquery().label("due_at"))


def _best(current: int | None, new: int | None) -> int | None:
    """The larger of two nullable scores (as completion._best does in SQL)."""
    if current is None:
        return new
    if new is None:
        return current
    return max(current, new)
