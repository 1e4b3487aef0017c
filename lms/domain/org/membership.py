"""Membership history: each user's unit, officer role and active flag over time; no Flask.

Who owes a lesson is decided by the row covering its due time (`policy.owes`), so every
change of a user's unit, officer role or active flag goes through `record`, which closes the
open row at the moment of the change and opens one with the new state. Rows are never
edited afterwards: a report of a period whose lessons are past due reads the same rows
forever. Callers rebuild the reports' summary for the units returned (`unitstats.rebuild`).
"""
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from ...models import Membership, User

STATE = ("unit_id", "is_officer", "active")
BATCH = 2000  # ids per IN list (SQLite bounds the number of bound values)


def joining(joined_at: datetime, grace: timedelta) -> dict:
    """The User columns of a newly joined account: when it joined and when it starts owing."""
    return {"joined_at": joined_at, "owes_from": joined_at + grace}


def start(db: Session, user_ids: Iterable[int]) -> None:
    """Open the first row of these new accounts, from their joining time; no commit."""
    ids = sorted(set(user_ids))
    for start_at in range(0, len(ids), BATCH):
        # copied by the database: the rows never come through Python (300,000 at a province)
        db.execute(insert(Membership).from_select(
            ("user_id", "unit_id", "is_officer", "active", "valid_from"),
            select(User.id, User.unit_id, User.is_officer, User.active, User.joined_at)
            .where(User.id.in_(ids[start_at:start_at + BATCH])).order_by(User.id)))


def record(db: Session, user_ids: Iterable[int], at: datetime) -> set[int]:
    """After these users' unit, officer role or active flag changed (flushed or not): close
    each open row that no longer matches at `at` and open one with the current state.

    Returns the units whose membership changed (old and new), for the summary rebuild."""
    ids = sorted(set(user_ids))
    if not ids:
        return set()
    db.flush()
    current = {r.id: r for r in db.execute(
        select(User.id, User.unit_id, User.is_officer, User.active).where(User.id.in_(ids)))}
    open_rows = {r.user_id: r for r in db.execute(
        select(Membership.id, Membership.user_id, Membership.unit_id, Membership.is_officer,
               Membership.active).where(Membership.user_id.in_(ids),
                                        Membership.valid_to.is_(None)))}
    closed, opened, units = [], [], set()
    for user_id, now in current.items():
        before = open_rows.get(user_id)
        state = tuple(getattr(now, name) for name in STATE)
        if before is not None and tuple(getattr(before, name) for name in STATE) == state:
            continue
        if before is not None:
            closed.append(before.id)
            units.add(before.unit_id)
        opened.append({"user_id": user_id, **dict(zip(STATE, state)), "valid_from": at})
        units.add(now.unit_id)
    if closed:
        db.execute(update(Membership).where(Membership.id.in_(closed)).values(valid_to=at)
                   .execution_options(synchronize_session=False))
    if opened:
        db.execute(insert(Membership), opened)
    return units


def history(db: Session, user_id: int) -> list[Membership]:
    """A user's rows, oldest first (for the admin page and tests)."""
    return list(db.scalars(select(Membership).where(Membership.user_id == user_id)
                           .order_by(Membership.valid_from, Membership.id)))
