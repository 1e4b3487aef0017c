"""Completion: one row per (user, item), written only through these upserts; no Flask.

Concurrent requests for the same officer and item must never create two rows or lose an
update, so every write is a single INSERT ... ON CONFLICT DO UPDATE.
"""
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..models import Completion

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


def add_reading_time(db: Session, user_id: int, item_type: str, item_id: int, now: datetime,
                     cap_seconds: int = 3600) -> int:
    """Add the time since the item was opened (capped) and return the row's total seconds."""
    row = db.scalar(select(Completion).where(
        Completion.user_id == user_id, Completion.item_type == item_type,
        Completion.item_id == item_id).with_for_update())
    if row is None or row.opened_at is None:
        return row.time_spent_seconds if row else 0
    elapsed = max(0, min(int((now - row.opened_at).total_seconds()), cap_seconds))
    row.time_spent_seconds += elapsed
    row.opened_at = None  # the same visit is never counted twice
    row.last_activity_at = now
    db.flush()
    return row.time_spent_seconds


def mark_completed(db: Session, user_id: int, item_type: str, item_id: int, now: datetime,
                   score: int | None = None, attempted: bool = False) -> None:
    """Complete the item (first completion time kept), raise the best score, count attempts."""
    table = Completion.__table__
    stmt = _insert(db).values(
        user_id=user_id, item_type=item_type, item_id=item_id, status="completed",
        first_completed_at=now, best_score=score, attempts=1 if attempted else 0,
        last_activity_at=now)
    excluded = stmt.excluded
    stmt = stmt.on_conflict_do_update(index_elements=KEY, set_={
        "status": "completed",
        "first_completed_at": func.coalesce(table.c.first_completed_at, excluded.first_completed_at),
        "best_score": _best(table.c.best_score, excluded.best_score),
        "attempts": table.c.attempts + (1 if attempted else 0),
        "last_activity_at": now,
    })
    db.execute(stmt)


def record_attempt(db: Session, user_id: int, item_type: str, item_id: int, now: datetime,
                   score: int) -> None:
    """A graded attempt that did not complete the item: count it and keep the best score."""
    table = Completion.__table__
    stmt = _insert(db).values(
        user_id=user_id, item_type=item_type, item_id=item_id, status="in_progress",
        best_score=score, attempts=1, last_activity_at=now)
    stmt = stmt.on_conflict_do_update(index_elements=KEY, set_={
        "best_score": _best(table.c.best_score, stmt.excluded.best_score),
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
