"""Completion: one row per (user, item), written only through this module; no Flask.

Concurrent requests for the same officer and item must never create two rows or lose an
update, so every write is a single INSERT ... ON CONFLICT DO UPDATE.
"""
from datetime import datetime
from functools import lru_cache

from sqlalchemy import bindparam, case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ...models import Completion

KEY = ("user_id", "item_type", "item_id")


def _insert(db: Session):
    dialect = db.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(Completion)


def record_open(db: Session, user_id: int, item_type: str, item_id: int, now: datetime) -> None:
    """The officer opened the item: remember when, for the server-side reading timer."""
    stmt = _insert(db).values(user_id=user_id, item_type=item_type, item_id=item_id,
                              status="in_progress", opened_at=now, last_activity_at=now)
    db.execute(stmt.on_conflict_do_update(
        index_elements=KEY, set_={"opened_at": now, "last_activity_at": now}))


def ensure_row(db: Session, user_id: int, item_type: str, item_id: int,
               now: datetime) -> None:
    """Create the (user, item) row as in progress if it does not exist yet; never changes one.

    For callers that must lock the row before an upsert changes it (the summary upkeep).
    """
    db.execute(_ensure_row(db.get_bind().dialect.name), {
        "p_user_id": user_id, "p_item_type": item_type, "p_item_id": item_id, "p_now": now})


@lru_cache(maxsize=4)
def _ensure_row(dialect: str):
    """`ensure_row`'s insert, built once per dialect (binds: p_*)."""
    table = Completion.__table__
    return (postgresql if dialect == "postgresql" else sqlite).insert(table).values(
        user_id=bindparam("p_user_id", type_=table.c.user_id.type),
        item_type=bindparam("p_item_type", type_=table.c.item_type.type),
        item_id=bindparam("p_item_id", type_=table.c.item_id.type), status="in_progress",
        attempts=0, time_spent_seconds=0,
        last_activity_at=bindparam("p_now", type_=table.c.last_activity_at.type),
    ).on_conflict_do_nothing(index_elements=KEY)


def add_reading_time(db: Session, user_id: int, item_type: str, item_id: int, now: datetime,
                     cap_seconds: int = 3600) -> int:
    """Add the time since the item was opened (capped) and return the row's total seconds."""
    table = Completion.__table__
    row = db.execute(_LOCK_READING, {"p_user_id": user_id, "p_item_type": item_type,
                                     "p_item_id": item_id}).first()
    if row is None or row.opened_at is None:
        return row.time_spent_seconds if row else 0
    elapsed = max(0, min(int((now - row.opened_at).total_seconds()), cap_seconds))
    total = row.time_spent_seconds + elapsed
    # the same visit is never counted twice
    db.execute(update(table).where(table.c.id == row.id)
               .values(time_spent_seconds=total, opened_at=None, last_activity_at=now))
    return total


_LOCK_READING = (select(Completion.__table__.c.id, Completion.__table__.c.opened_at,
                        Completion.__table__.c.time_spent_seconds)
                 .where(Completion.__table__.c.user_id == bindparam("p_user_id"),
                        Completion.__table__.c.item_type == bindparam("p_item_type"),
                        Completion.__table__.c.item_id == bindparam("p_item_id"))
                 .with_for_update())


def mark_completed(db: Session, user_id: int, item_type: str, item_id: int, now: datetime,
                   score: int | None = None, attempted: bool = False) -> None:
    """Complete the item (first completion time kept), raise the best score, count attempts;
    an attempt's score becomes the first score when the row has none yet."""
    db.execute(_mark_completed(db.get_bind().dialect.name),
               {"p_user_id": user_id, "p_item_type": item_type, "p_item_id": item_id,
                "p_now": now, "p_score": score, "p_attempts": 1 if attempted else 0,
                "p_first": score if attempted else None})


@lru_cache(maxsize=4)
def _mark_completed(dialect: str):
    """`mark_completed`'s upsert, built once per dialect (binds: p_*)."""
    table = Completion.__table__
    now = bindparam("p_now", type_=table.c.last_activity_at.type)
    stmt = (postgresql if dialect == "postgresql" else sqlite).insert(table).values(
        user_id=bindparam("p_user_id", type_=table.c.user_id.type),
        item_type=bindparam("p_item_type", type_=table.c.item_type.type),
        item_id=bindparam("p_item_id", type_=table.c.item_id.type), status="completed",
        first_completed_at=now, best_score=bindparam("p_score", type_=table.c.best_score.type),
        first_score=bindparam("p_first", type_=table.c.first_score.type),
        attempts=bindparam("p_attempts", type_=table.c.attempts.type), last_activity_at=now)
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
                   score: int) -> None:
    """A graded attempt that did not complete the item: count it and keep the best score."""
    table = Completion.__table__
    stmt = _insert(db).values(
        user_id=user_id, item_type=item_type, item_id=item_id, status="in_progress",
        best_score=score, first_score=score, attempts=1, last_activity_at=now)
    stmt = stmt.on_conflict_do_update(index_elements=KEY, set_={
        "best_score": _best(table.c.best_score, stmt.excluded.best_score),
        "first_score": func.coalesce(table.c.first_score, stmt.excluded.first_score),
        "attempts": table.c.attempts + 1,
        "last_activity_at": now,
    })
    db.execute(stmt)


def _best(current, new):
    """The larger of two nullable scores."""
    return case((current.is_(None), new), (new.is_(None), current),
                (new > current, new), else_=current)


def get(db: Session, user_id: int, item_type: str, item_id: int) -> Completion | None:
    """The completion row, if any."""
    return db.scalar(select(Completion).where(
        Completion.user_id == user_id, Completion.item_type == item_type,
        Completion.item_id == item_id))
