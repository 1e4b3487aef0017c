"""Points (党建积分): an append-only ledger, paid once per (user, rule, source); no Flask."""
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import PointsEntry


def total(db: Session, user_id: int) -> int:
    """A user's points total."""
    return int(db.scalar(select(func.coalesce(func.sum(PointsEntry.points), 0))
                         .where(PointsEntry.user_id == user_id)))
