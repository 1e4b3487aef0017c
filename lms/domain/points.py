"""Points (党建积分): an append-only ledger, paid once per (user, rule, source); no Flask.

Paying is a single INSERT ... ON CONFLICT DO NOTHING against the ledger's unique key, so a
retried or concurrent request can never pay the same rule for the same source twice.
"""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..models import PointsEntry, utcnow

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
    dialect = db.get_bind().dialect.name
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(PointsEntry)
    stmt = (insert.values(user_id=user_id, rule=rule, points=points, source_type=source_type,
                          source_id=source_id, at=at or utcnow())
            .on_conflict_do_nothing(index_elements=KEY)
            .returning(PointsEntry.id))
    return db.execute(stmt).scalar() is not None


def history(db: Session, user_id: int, limit: int = 100) -> list[PointsLine]:
    """A user's ledger lines, newest first."""
    rows = db.execute(
        select(PointsEntry.at, PointsEntry.rule, PointsEntry.points, PointsEntry.source_type,
               PointsEntry.source_id)
        .where(PointsEntry.user_id == user_id)
        .order_by(PointsEntry.at.desc(), PointsEntry.id.desc()).limit(limit))
    return [PointsLine(*row) for row in rows]
