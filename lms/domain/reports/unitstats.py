"""Completed weekly lessons per (lesson, unit), kept exact; no Flask.

`lms_lesson_unit_stats` summarises `lms_completion` for the reports: per lesson and unit,
how many of the *active officers now in the unit* completed it, how many by its due time,
and the sum and count of their best scores and of their first attempts' scores. A bureau
quarter then reads ~650 × 13 summary rows instead of aggregating ~225,000 completions
(docs/PERFORMANCE.md).

It is never stale, because everything a row depends on is maintained here:

- a lesson completed for the first time, or a completed lesson's best score rising:
  `record_completion`, in the transaction that writes the completion;
- an officer's unit, `active` or `is_officer` changing (roster import, role change,
  deactivation), a lesson's due time changing (on-time counts), bulk loads (the demo):
  `rebuild` of the units or lessons concerned, in the same transaction as the change.

Completion rows written through the ORM unit of work instead (`db.add(Completion(...))`,
changing a loaded row's status or best score: tests, one-off scripts) are counted by a
session `after_flush` hook in the same transaction, without the row lock `record_completion`
takes. The app's own writes are Core upserts, which the hook does not see.

`drift()` compares the table with a fresh recompute (tests, and a health check).
"""
from collections.abc import Iterable
from datetime import datetime
from functools import lru_cache

from sqlalchemy import bindparam, case, delete, event, func, insert, inspect, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, attributes

from ...models import Completion, LessonUnitStats, MicroLesson, User
from ..learning import completion

STATS = LessonUnitStats.__table__
COLUMNS = ("lesson_id", "unit_id", "completed", "on_time", "score_sum", "scored",
           "first_score_sum", "first_scored")


def record_completion(db: Session, user_id: int, lesson_id: int, now: datetime,
                      score: int | None) -> None:
    """Count a passed lesson attempt. Call it right before `completion.mark_completed(...,
    "lesson", lesson_id, now, score=score)` in the same transaction.

    The transition is found without a read-then-write race: the completion row is first
    created if missing (INSERT … ON CONFLICT DO NOTHING, so two first attempts cannot both
    see "no row") and then locked FOR UPDATE; whoever holds that lock sees the state the
    following `mark_completed` upsert will change, so exactly one transaction counts the
    first completion and each score rise is counted once, from the value it replaces. On
    SQLite, whose writers are serial, the INSERT takes the database's write lock first.

    The officer row is read FOR SHARE: a roster move or deactivation (an UPDATE of that row
    followed by `rebuild` of its units) waits for this transaction, or this one waits and
    then sees the new unit, so the increment never lands on a unit the officer has left.
    """
    statements = _recording_statements(db.get_bind().dialect.name)
    params = {"p_user_id": user_id, "p_lesson_id": lesson_id}
    completion.ensure_row(db, user_id, "lesson", lesson_id, now)
    before = db.execute(statements["before"], params).one()
    officer = db.execute(statements["officer"], params).one()
    if not (officer.active and officer.is_officer) or officer.unit_id is None:
        return
    if before.status != "completed":  # first completion: what mark_completed will store
        due_at = db.scalar(statements["due_at"], params)
        first = before.first_completed_at or now
        best = _best(before.best_score, score)
        # the first attempt's score: an earlier failed attempt's, else this one's
        first_score = before.first_score if before.first_score is not None else score
        delta = (1, int(due_at is not None and first <= due_at), best or 0,
                 int(best is not None), first_score or 0, int(first_score is not None))
    elif score is not None and (before.best_score is None or score > before.best_score):
        delta = (0, 0, score - (before.best_score or 0), int(before.best_score is None), 0, 0)
    else:
        return
    _add(db, lesson_id, officer.unit_id, delta)


def rebuild(db: Session, unit_ids: Iterable[int] | None = None,
            lesson_ids: Iterable[int] | None = None) -> None:
    """Recompute the rows of these units and/or lessons (everything when both are None)
    from lms_completion: one DELETE and one INSERT … SELECT; no commit.

    Call it after the change that requires it, in the same transaction. Pending ORM changes
    are flushed first. On PostgreSQL the table is locked in EXCLUSIVE mode (readers go on):
    a concurrent `record_completion` increment then either commits before the recount,
    which sees it, or waits and lands on the recounted row, never in between.
    """
    units = None if unit_ids is None else sorted(set(unit_ids) - {None})
    lessons = None if lesson_ids is None else sorted(set(lesson_ids))
    if units == [] or lessons == []:
        return
    db.flush()
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("LOCK TABLE lms_lesson_unit_stats IN EXCLUSIVE MODE"))
    gone = delete(LessonUnitStats)
    if units is not None:
        gone = gone.where(LessonUnitStats.unit_id.in_(units))
    if lessons is not None:
        gone = gone.where(LessonUnitStats.lesson_id.in_(lessons))
    db.execute(gone.execution_options(synchronize_session=False))
    db.execute(insert(LessonUnitStats).from_select(COLUMNS, recount(units, lessons)))


def recount(unit_ids: list[int] | None = None, lesson_ids: list[int] | None = None):
    """The summary rows computed afresh from lms_completion (a SELECT of COLUMNS)."""
    query = (select(Completion.item_id.label("lesson_id"), User.unit_id.label("unit_id"),
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
             .where(Completion.item_type == "lesson", Completion.status == "completed",
                    User.active.is_(True), User.is_officer.is_(True), User.unit_id.isnot(None))
             .group_by(Completion.item_id, User.unit_id))
    if unit_ids is not None:
        query = query.where(User.unit_id.in_(unit_ids))
    if lesson_ids is not None:
        query = query.where(Completion.item_id.in_(lesson_ids))
    return query


def drift(db: Session) -> dict[tuple[int, int], tuple[tuple, tuple]]:
    """(lesson, unit) → (stored, recomputed) for every row that differs; {} when exact."""
    db.flush()
    stored = {(r[0], r[1]): tuple(r[2:]) for r in db.execute(select(
        *(STATS.c[c] for c in COLUMNS))) if any(r[2:])}
    fresh = {(r[0], r[1]): tuple(int(v) for v in r[2:]) for r in db.execute(recount())}
    zero = (0,) * (len(COLUMNS) - 2)
    return {key: (stored.get(key, zero), fresh.get(key, zero))
            for key in stored.keys() | fresh.keys()
            if stored.get(key, zero) != fresh.get(key, zero)}


def units_of(db: Session, user_ids: Iterable[int]) -> set[int]:
    """The current units of these users (to rebuild before and after moving them)."""
    ids = list(set(user_ids))
    if not ids:
        return set()
    return set(db.scalars(select(User.unit_id).where(User.id.in_(ids),
                                                     User.unit_id.isnot(None))))


def _after_flush(db: Session, _context) -> None:
    """Count ORM-flushed changes of lesson completions (see the module docstring)."""
    changes = []
    for obj in (*db.new, *db.dirty, *db.deleted):
        if not isinstance(obj, Completion):
            continue
        state = inspect(obj)
        old, new = _orm_states(obj, state, obj in db.new, obj in db.deleted)
        if old != new:
            changes.append((old, new))
    if not changes:
        return
    conn = db.connection()
    users = {r.id: r for r in conn.execute(
        select(User.id, User.unit_id, User.active, User.is_officer)
        .where(User.id.in_({s[0] for pair in changes for s in pair if s})))}
    due = dict(conn.execute(select(MicroLesson.id, MicroLesson.due_at).where(
        MicroLesson.id.in_({s[1] for pair in changes for s in pair if s}))).all())
    totals: dict[tuple[int, int], list[int]] = {}
    for pair in changes:
        for sign, s in zip((-1, 1), pair):
            if s is None or s[1] not in due:
                continue
            user = users.get(s[0])
            if user is None or not (user.active and user.is_officer) or user.unit_id is None:
                continue
            first, best, first_score = s[2], s[3], s[4]
            row = (1, int(first is not None and due[s[1]] is not None and first <= due[s[1]]),
                   best or 0, int(best is not None), first_score or 0,
                   int(first_score is not None))
            cell = totals.setdefault((s[1], user.unit_id), [0] * (len(COLUMNS) - 2))
            for i, v in enumerate(row):
                cell[i] += sign * v
    dialect = db.get_bind().dialect.name
    for (lesson_id, unit_id), delta in totals.items():
        if any(delta):
            stmt = (postgresql if dialect == "postgresql" else sqlite).insert(
                LessonUnitStats).values(**dict(zip(COLUMNS, (lesson_id, unit_id, *delta))))
            conn.execute(stmt.on_conflict_do_update(
                index_elements=["lesson_id", "unit_id"],
                set_={c: STATS.c[c] + stmt.excluded[c] for c in COLUMNS[2:]}))


def _orm_states(obj: Completion, state, is_new: bool, is_deleted: bool):
    """(user, lesson, first_completed_at, best_score, first_score) of a completed lesson row
    before and after the flush, None for "not a completed lesson"."""
    def counted(values):
        return values if values[0] == "lesson" and values[1] == "completed" else None

    names = ("item_type", "status", "user_id", "item_id", "first_completed_at", "best_score",
             "first_score")
    now_values, then_values = [], []
    for name in names:
        history = attributes.get_history(obj, name, passive=attributes.PASSIVE_NO_INITIALIZE)
        current = getattr(obj, name) if not is_deleted else None
        previous = (history.deleted[0] if history.deleted
                    else history.unchanged[0] if history.unchanged else current)
        now_values.append(current)
        then_values.append(previous)
    new = None if is_deleted else counted(now_values)
    old = None if is_new else counted(then_values)
    return tuple(old[2:]) if old else None, tuple(new[2:]) if new else None


event.listen(Session, "after_flush", _after_flush)


def _add(db: Session, lesson_id: int, unit_id: int, delta: tuple[int, ...]) -> None:
    """Add `delta` (COLUMNS after the key: completed, on_time, scores) to a row, creating it
    if needed; commutative, so concurrent increments of one row all count."""
    db.execute(_add_statement(db.get_bind().dialect.name),
               {f"p_{name}": value for name, value in zip(COLUMNS, (lesson_id, unit_id, *delta))})


@lru_cache(maxsize=4)
def _add_statement(dialect: str):
    """`_add`'s upsert, built once per dialect (binds: p_<column>)."""
    stmt = (postgresql if dialect == "postgresql" else sqlite).insert(STATS).values(
        {name: bindparam(f"p_{name}", type_=STATS.c[name].type) for name in COLUMNS})
    return stmt.on_conflict_do_update(
        index_elements=["lesson_id", "unit_id"],
        set_={c: STATS.c[c] + stmt.excluded[c] for c in COLUMNS[2:]})


@lru_cache(maxsize=4)
def _recording_statements(dialect: str) -> dict:
    """`record_completion`'s reads, built once per dialect (binds: p_user_id, p_lesson_id)."""
    table = Completion.__table__
    user_id, lesson_id = bindparam("p_user_id"), bindparam("p_lesson_id")
    key = (table.c.user_id == user_id, table.c.item_type == "lesson",
           table.c.item_id == lesson_id)
    return {
        "before": select(table.c.status, table.c.first_completed_at, table.c.best_score,
                         table.c.first_score)
                  .where(*key).with_for_update(),
        "officer": select(User.unit_id, User.active, User.is_officer)
                   .where(User.id == user_id).with_for_update(read=True),
        "due_at": select(MicroLesson.due_at).where(MicroLesson.id == lesson_id),
    }


def _best(current: int | None, new: int | None) -> int | None:
    """The larger of two nullable scores (as completion._best does in SQL)."""
    if current is None:
        return new
    if new is None:
        return current
    return max(current, new)
