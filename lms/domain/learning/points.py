"""Points (党建积分): an append-only ledger, paid once per (user, rule, source); no Flask.

Paying is a single INSERT ... ON CONFLICT DO NOTHING against the ledger's unique key, so a
retried or concurrent request can never pay the same rule for the same source twice.
"""
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy import bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ...models import PointsEntry, utcnow

KEY = ("user_id", "rule", "source_type", "source_id")


@dataclass(frozen=True)
class PointsLine:
    """One line of a user's points history."""

    at: datetime
    rule: str
    points: int
    source_type: str
    source_id: int


def total(db: Session, user_id: int) -> int:
    """A user's points total."""
    return int(db.scalar(select(func.coalesce(func.sum(PointsEntry.points), 0))
                         .where(PointsEntry.user_id == user_id)))


def award(db: Session, user_id: int, rule: str, source_type: str, source_id: int, points: int,
          at: datetime | None = None) -> bool:
    """Pay `points` under `rule` for a source unless already paid; True when this call paid."""
    return db.execute(_award(db.get_bind().dialect.name),
                      {"p_user_id": user_id, "p_rule": rule, "p_points": points,
                       "p_source_type": source_type, "p_source_id": source_id,
                       "p_at": at or utcnow()}).scalar() is not None


@lru_cache(maxsize=4)
def _award(dialect: str):
    """`award`'s INSERT … ON CONFLICT DO NOTHING RETURNING id, built once per dialect."""
    table = PointsEntry.__table__
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(table)
    return (insert.values({name: bindparam(f"p_{name}", type_=table.c[name].type)
                           for name in ("user_id", "rule", "points", "source_type",
                                        "source_id", "at")})
            .on_conflict_do_nothing(index_elements=KEY)
            .returning(table.c.id))


def history(db: Session, user_id: int, limit: int = 100) -> list[PointsLine]:
    """A user's ledger lines, newest first."""
    rows = db.execute(
        select(PointsEntry.at, PointsEntry.rule, PointsEntry.points, PointsEntry.source_type,
               PointsEntry.source_id)
        .where(PointsEntry.user_id == user_id)
        .order_by(PointsEntry.at.desc(), PointsEntry.id.desc()).limit(limit))
    return [PointsLine(*row) for row in rows]
