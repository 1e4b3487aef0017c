"""推磨 rotation of classroom inspections between counties; no Flask.

Counties are the depth-1 units (county bureaus and departments). A pair of counties may not
inspect each other twice running: when the latest decided inspection of either county (as
inspector or as applicant) was between the same two, the pair waits for someone else — unless
no other county could inspect, so two-county bureaus are never stuck. docs/CLASSROOMS.md.
"""
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ...models import ClassroomReview, Unit


@dataclass(frozen=True)
class Turn:
    """Whether `inspector` may inspect `applicant` now, and whom the rotation proposes."""

    allowed: bool
    proposed: Unit | None


def _last_pair(db: Session, county_id: int) -> frozenset[int] | None:
    """The two counties of the latest decision that involved this county on either side."""
    row = db.execute(
        select(ClassroomReview.inspector_county_id, ClassroomReview.applicant_county_id)
        .where(or_(ClassroomReview.inspector_county_id == county_id,
                   ClassroomReview.applicant_county_id == county_id))
        .order_by(ClassroomReview.decided_at.desc(), ClassroomReview.id.desc()).limit(1)).first()
    return frozenset(row) if row else None


def _blocked(db: Session, inspector_id: int, applicant_id: int) -> bool:
    pair = frozenset((inspector_id, applicant_id))
    return _last_pair(db, inspector_id) == pair or _last_pair(db, applicant_id) == pair


def _counties(db: Session) -> list[Unit]:
    return list(db.scalars(select(Unit).where(Unit.depth == 1).order_by(Unit.code, Unit.id)))


def propose(db: Session, applicant_id: int) -> Unit | None:
    """The next county in the ring (by code) after the applicant's last inspector, or after
    the applicant itself, that the rotation allows; None when there is no other county."""
    ring = _counties(db)
    last = db.scalar(select(ClassroomReview.inspector_county_id)
                     .where(ClassroomReview.applicant_county_id == applicant_id)
                     .order_by(ClassroomReview.decided_at.desc(), ClassroomReview.id.desc())
                     .limit(1))
    ids = [unit.id for unit in ring]
    anchor = ids.index(last) if last in ids else ids.index(applicant_id) if applicant_id in ids \
        else -1
    ordered = [ring[(anchor + 1 + i) % len(ring)] for i in range(len(ring))]
    candidates = [unit for unit in ordered if unit.id != applicant_id]
    return next((unit for unit in candidates if not _blocked(db, unit.id, applicant_id)),
                candidates[0] if candidates else None)


def turn(db: Session, inspector_id: int, applicant_id: int) -> Turn:
    """Whether the inspector's county may inspect the applicant's county now."""
    if not _blocked(db, inspector_id, applicant_id):
        return Turn(True, None)
    others = [unit for unit in _counties(db)
              if unit.id not in (inspector_id, applicant_id)
              and not _blocked(db, unit.id, applicant_id)]
    if not others:
        return Turn(True, None)  # nobody else could inspect: the rotation cannot apply
    return Turn(False, propose(db, applicant_id))
