"""推磨 rotation of classroom inspections between counties; no Flask.

Counties are the units right below a bureau (`policy.county_of`: county bureaus and
departments), and the rotation turns among the counties of one bureau: under a province,
each bureau organizes its own. No pair of counties inspects each other twice running: a
county's classrooms are not inspected by the same county as last time, and a county does
not inspect the one that has just inspected it (a swap). When every other county is held
back too, a swap is allowed, and with only two counties there is no one to rotate to, so
the rule yields. docs/CLASSROOMS.md.
"""
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import ClassroomReview, Unit
from ..org import policy


@dataclass(frozen=True)
class Turn:
    """Whether a county may inspect another now, and whom the rotation proposes."""

    allowed: bool
    proposed: Unit | None


def last_inspector(db: Session, applicant_id: int) -> int | None:
    """The county that decided the latest inspection of this county's classrooms."""
    return db.scalar(select(ClassroomReview.inspector_county_id)
                     .where(ClassroomReview.applicant_county_id == applicant_id)
                     .order_by(ClassroomReview.decided_at.desc(), ClassroomReview.id.desc())
                     .limit(1))


def _repeat(db: Session, inspector_id: int, applicant_id: int) -> bool:
    return last_inspector(db, applicant_id) == inspector_id


def _blocked(db: Session, inspector_id: int, applicant_id: int) -> bool:
    return (_repeat(db, inspector_id, applicant_id)
            or last_inspector(db, inspector_id) == applicant_id)


def _counties(db: Session, county_id: int) -> list[Unit]:
    """The ring: the counties of this county's bureau (its siblings and itself), by code."""
    parent_id = db.scalar(select(Unit.parent_id).where(Unit.id == county_id))
    return list(db.scalars(select(Unit).where(Unit.parent_id == parent_id, policy.is_county())
                           .order_by(Unit.code, Unit.id)))


def propose(db: Session, applicant_id: int) -> Unit | None:
    """The next county in the ring (by code) after the applicant's last inspector, or after
    the applicant itself, that the rotation allows; None when there is no other county."""
    ring = _counties(db, applicant_id)
    ids = [unit.id for unit in ring]
    last = last_inspector(db, applicant_id)
    anchor = ids.index(last) if last in ids else ids.index(applicant_id) \
        if applicant_id in ids else -1
    ordered = [ring[(anchor + 1 + i) % len(ring)] for i in range(len(ring))]
    candidates = [unit for unit in ordered if unit.id != applicant_id]
    return (next((u for u in candidates if not _blocked(db, u.id, applicant_id)), None)
            or next((u for u in candidates if not _repeat(db, u.id, applicant_id)), None)
            or (candidates[0] if candidates else None))


def turn(db: Session, inspector_id: int, applicant_id: int) -> Turn:
    """Whether the inspector's county may inspect the applicant's county now."""
    if not _blocked(db, inspector_id, applicant_id):
        return Turn(True, None)
    others = [unit for unit in _counties(db, applicant_id)
              if unit.id not in (inspector_id, applicant_id)]
    free = [unit for unit in others if not _blocked(db, unit.id, applicant_id)]
    if free or (others and _repeat(db, inspector_id, applicant_id)):
        return Turn(False, propose(db, applicant_id))
    return Turn(True, None)  # a swap when nobody else is free; with two counties, anyone
