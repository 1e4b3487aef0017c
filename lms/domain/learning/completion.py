"""Completion: one row per (user, item), written only through this module; no Flask.

Concurrent requests for the same officer and item must never create two rows or lose an
update, so every write is a single INSERT ... ON CONFLICT DO UPDATE.
"""
from datetime import datetime
from functools import lru_cache

from sqlalchemy import (
    Integer,
    bindparam,
    case,
    cast,
    exists,
    extract,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ...models import Completion
from .. import hotsql
from . import studyminutes

KEY = ("user_id", "item_type", "item_id")
READING_CAP_SECONDS = 3600  # one visit counts at most an hour of reading


def _insert(db: Session):
    dialect = db.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(Completion)


def record_open(db: Session, user_id: int, item_type: str, item_id: int, now: datetime) -> None:
    """The officer opened the item: remember when, for the server-side reading timer."""
    stmt = _insert(db).values(user_id=user_id, item_type=item_type, item_id=item_id,
                              status="in_progress", opened_at=now, last_activity_at=now)
    db.execute(stmt.on_conflict_do_update(
        index_elements=KEY, set_={"opened_at": now, "last_activity_at": now}))


def add_reading_time(db: Session, user_id: int, item_type: str, item_id: int,
                     now: datetime) -> int:
    """Add the time since the item was opened (capped) and return the row's total seconds."""
    params = {"p_user_id": user_id, "p_item_type": item_type, "p_item_id": item_id,
              "p_now": now}
    total = db.scalar(_add_reading(db.get_bind().dialect.name), params)
    if total is None:  # no row, or no open visit (a concurrent close took it): add nothing
        row = get(db, user_id, item_type, item_id)
        return row.time_spent_seconds if row else 0
    return total


@lru_cache(maxsize=4)
def _add_reading(dialect: str):
    """`add_reading_time`'s one UPDATE: the open visit closed as an attempt closes it, so a
    visit is never counted twice (the row lock makes a concurrent close find none open)."""
    table = Completion.__table__
    return (update(table)
            .where(table.c.user_id == bindparam("p_user_id"),
                   table.c.item_type == bindparam("p_item_type"),
                   table.c.item_id == bindparam("p_item_id"),
                   table.c.opened_at.is_not(None))
            .values(_closing_visit(dialect))
            .returning(table.c.time_spent_seconds))


def mark_completed(db: Session, user_id: int, item_type: str, item_id: int, now: datetime,
                   score: int | None = None, attempted: bool = False) -> bool:
    """Complete the item (first completion time kept), raise the best score, count attempts;
    an attempt's score becomes the first score when the row has none yet. A first
    completion, found under the row's lock (`lock_row`), also counts in the study-minutes
    summary (`studyminutes`); True if this was one."""
    increment = studyminutes.first_completion(user_id, item_type, item_id,
                                              lock_row(db, user_id, item_type, item_id, now),
                                              now)
    write_completed(db, user_id, item_type, item_id, now, score, attempted)
    if increment is not None:
        db.execute(studyminutes.add_statement(db.get_bind().dialect.name), increment)
    return increment is not None


def write_completed(db: Session, user_id: int, item_type: str, item_id: int, now: datetime,
                    score: int | None = None, attempted: bool = False) -> None:
    """`mark_completed`'s upsert alone, for a caller that counted the first completion in
    the study-minutes summary itself (`unitstats.record_completion`, the attempt path)."""
    db.execute(mark_completed_statement(db.get_bind().dialect.name),
               mark_completed_params(user_id, item_type, item_id, now, score, attempted))


def lock_row(db: Session, user_id: int, item_type: str, item_id: int, now: datetime):
    """Create the (user, item) row as in progress if it is missing, else lock it, changing
    nothing; returns its status and first_completed_at as they stand under the lock (held
    until the transaction ends), so exactly one transaction sees the first completion."""
    return db.connection().execute(_lock_row(db.get_bind().dialect.name), {
        "p_user_id": user_id, "p_item_type": item_type, "p_item_id": item_id,
        "p_now": now}).one()


@lru_cache(maxsize=4)
def _lock_row(dialect: str):
    """`lock_row`'s upsert, built once per dialect (binds: p_*)."""
    table = Completion.__table__
    stmt = _key_insert(dialect).values(status="in_progress", attempts=0, time_spent_seconds=0,
                                       last_activity_at=_NOW)
    return (stmt.on_conflict_do_update(index_elements=KEY, set_={"status": table.c.status})
            .returning(table.c.status, table.c.first_completed_at))


def mark_completed_params(user_id: int, item_type: str, item_id: int, now: datetime,
                          score: int | None = None, attempted: bool = False) -> dict:
    """The binds of `mark_completed_statement` (for a caller that writes it as part of a
    larger statement)."""
    return {"p_user_id": user_id, "p_item_type": item_type, "p_item_id": item_id,
            "p_now": now, "p_score": score, "p_attempts": 1 if attempted else 0,
            "p_first": score if attempted else None}


@lru_cache(maxsize=4)
def mark_completed_statement(dialect: str):
    """`mark_completed`'s upsert, built once per dialect (binds: p_*)."""
    table = Completion.__table__
    now = bindparam("p_now", type_=table.c.last_activity_at.type)
    stmt = (postgresql if dialect == "postgresql" else sqlite).insert(table).values(
        user_id=bindparam("p_user_id", type_=table.c.user_id.type),
        item_type=bindparam("p_item_type", type_=table.c.item_type.type),
        item_id=bindparam("p_item_id", type_=table.c.item_id.type), status="completed",
        first_completed_at=now, best_score=bindparam("p_score", type_=table.c.best_score.type),
        first_score=bindparam("p_first", type_=table.c.first_score.type),
        attempts=bindparam("p_attempts", type_=table.c.attempts.type), time_spent_seconds=0,
        last_activity_at=now)  # every column: no Python default applies inside a CTE
    excluded = stmt.excluded
    return stmt.on_conflict_do_update(index_elements=KEY, set_={
        "status": "completed",
        "first_completed_at": func.coalesce(table.c.first_completed_at,
                                            excluded.first_completed_at),
        "best_score": _best(table.c.best_score, excluded.best_score),
        "first_score": func.coalesce(table.c.first_score, excluded.first_score),
        "attempts": table.c.attempts + excluded.attempts,
        "last_activity_at": excluded.last_activity_at,
    })


def record_attempt(db: Session, user_id: int, item_type: str, item_id: int, now: datetime,
                   score: int, close_visit: bool = False, returning=()):
    """A graded attempt that did not complete the item: count it and keep the best score.

    `close_visit`: also add the open visit's reading time (as `add_reading_time` does), in
    the same statement. `returning`: SQL scalars to read back (binds p_user_id,
    p_item_type, p_item_id available); their row is returned, else None."""
    result = hotsql.execute(
        db, _record_attempt(db.get_bind().dialect.name, close_visit, returning),
        {"p_user_id": user_id, "p_item_type": item_type, "p_item_id": item_id, "p_now": now,
         "p_score": score})
    return result.one() if returning else None


@lru_cache(maxsize=8)
def _record_attempt(dialect: str, close_visit: bool, returning: tuple):
    """`record_attempt`'s upsert, built once per dialect and shape (binds: p_*)."""
    table = Completion.__table__
    stmt = _key_insert(dialect).values(
        status="in_progress", best_score=bindparam("p_score", type_=table.c.best_score.type),
        first_score=bindparam("p_score", type_=table.c.first_score.type), attempts=1,
        time_spent_seconds=0, last_activity_at=_NOW)
    again = {"best_score": _best(table.c.best_score, stmt.excluded.best_score),
             "first_score": func.coalesce(table.c.first_score, stmt.excluded.first_score),
             "attempts": table.c.attempts + 1, "last_activity_at": stmt.excluded.last_activity_at}
    if close_visit:
        again.update(_closing_visit(dialect))
    stmt = stmt.on_conflict_do_update(index_elements=KEY, set_=again)
    return stmt.returning(*returning) if returning else stmt


def claim_row(db: Session, user_id: int, item_type: str, item_id: int, now: datetime,
              returning=(), first=None):
    """Create the (user, item) row as in progress if it is missing, else lock it and close
    the open visit (its reading time added, capped, as `add_reading_time` does); one
    statement. Returns the row's status, first_completed_at, best_score and first_score —
    untouched here, so as they were before, read under the row lock from its latest
    version — and the SQL scalars of `returning` (binds p_user_id, p_item_id).

    For callers that must see the row before an upsert changes it (the summary upkeep):
    the lock is held until the transaction ends.

    `first` (PostgreSQL): an INSERT … RETURNING id (with `.statement` and `.params`, e.g.
    the attempt that completes the item) written first in the same statement; the row is
    claimed only when that returned an id (`inserted_id` in the result), else nothing is
    claimed and None is returned."""
    params = {"p_user_id": user_id, "p_item_type": item_type, "p_item_id": item_id,
              "p_now": now}
    statement = _claim_row(db.get_bind().dialect.name, returning,
                           None if first is None else first.statement)
    if first is None:
        return hotsql.execute(db, statement, params).one()
    return hotsql.execute(db, statement, {**first.params, **params}).first()


@lru_cache(maxsize=8)
def _claim_row(dialect: str, returning: tuple, first=None):
    """`claim_row`'s upsert, built once per dialect and shape (binds: p_*)."""
    table = Completion.__table__
    if first is None:
        stmt = _key_insert(dialect).values(status="in_progress", attempts=0,
                                           time_spent_seconds=0, last_activity_at=_NOW)
    else:
        written = first.cte("written")
        row = select(bindparam("p_user_id", type_=table.c.user_id.type),
                     bindparam("p_item_type", type_=table.c.item_type.type),
                     bindparam("p_item_id", type_=table.c.item_id.type),
                     literal("in_progress", table.c.status.type), literal(0), literal(0),
                     _NOW).where(exists(select(written.c.id)))
        stmt = (postgresql.insert(table).from_select(
            ("user_id", "item_type", "item_id", "status", "attempts", "time_spent_seconds",
             "last_activity_at"), row).add_cte(written))
        returning = (*returning, select(written.c.id).scalar_subquery().label("inserted_id"))
    return (stmt.on_conflict_do_update(index_elements=KEY, set_=_closing_visit(dialect))
            .returning(table.c.status, table.c.first_completed_at, table.c.best_score,
                       table.c.first_score, *returning))


_NOW = bindparam("p_now", type_=Completion.__table__.c.last_activity_at.type)


def _key_insert(dialect: str):
    """An INSERT of the (user, item) key from binds p_user_id, p_item_type, p_item_id."""
    table = Completion.__table__
    return (postgresql if dialect == "postgresql" else sqlite).insert(table).values(
        user_id=bindparam("p_user_id", type_=table.c.user_id.type),
        item_type=bindparam("p_item_type", type_=table.c.item_type.type),
        item_id=bindparam("p_item_id", type_=table.c.item_id.type))


def _closing_visit(dialect: str) -> dict:
    """The values that close the open visit: its reading time (capped) banked, once."""
    table = Completion.__table__
    opened = table.c.opened_at
    if dialect == "postgresql":
        elapsed = cast(func.floor(extract("epoch", _NOW - opened)), Integer)
        clamp = func.least(func.greatest(elapsed, 0), READING_CAP_SECONDS)
    else:  # julianday: days as a float; whole milliseconds, then whole seconds (truncated)
        elapsed = cast(func.round((func.julianday(_NOW) - func.julianday(opened)) * 86400000),
                       Integer) // 1000
        clamp = func.min(func.max(elapsed, 0), READING_CAP_SECONDS)
    return {"time_spent_seconds": table.c.time_spent_seconds + case((opened.is_(None), 0),
                                                                    else_=clamp),
            "opened_at": None, "last_activity_at": _NOW}


def _best(current, new):
    """The larger of two nullable scores."""
    return case((current.is_(None), new), (new.is_(None), current),
                (new > current, new), else_=current)


def get(db: Session, user_id: int, item_type: str, item_id: int) -> Completion | None:
    """The completion row, if any."""
    return db.scalar(select(Completion).where(
        Completion.user_id == user_id, Completion.item_type == item_type,
        Completion.item_id == item_id))
