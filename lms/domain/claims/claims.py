"""Requesting points for an activity, and the secretary's decision; no Flask.

A request reserves its points on the (officer, rule, period) counter with one conditional
UPDATE (`used + points <= cap`): on PostgreSQL concurrent requests queue on that row's lock
and each re-checks the condition against the committed count; on SQLite every write
transaction begins IMMEDIATE and so runs alone. A return or a correction releases the
reservation. Approval writes the points into the one append-only ledger; a correction is a
new reversing line, never an update or a delete.
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ...models import PointsClaim, PointsQuota, PointsRule, User
from .. import audit
from ..learning import points
from ..org import policy
from . import evidence

SOURCE_TYPE = "points_claim"  # the ledger's source type for approved claims
CORRECTION_RULE = "correction"  # the ledger's rule for a reversing line
NOTE_MAX = 500
REASON_MAX = 300


class ClaimError(ValueError):
    """A request or decision refused; the message says why, for the person acting."""


@dataclass(frozen=True)
class Settings:
    """Where evidence goes and what it may be (from LMS_EVIDENCE_* in the config)."""

    folder: Path
    max_bytes: int
    max_pixels: int
    window_days: int  # how far back an activity may be claimed


def period_key(rule: PointsRule, day: date) -> str:
    """The cap's period of an activity on `day`: `2026Q4` or `2026`."""
    if rule.cap_period == "year":
        return str(day.year)
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def submit(db: Session, user: User, rule: PointsRule | None, occurred_on: date | None,
           note: str, image: bytes, settings: Settings, today: date, now: datetime,
           ip: str | None = None) -> PointsClaim:
    """Request `rule`'s points for an activity on `occurred_on` (local date) with a note and
    an image; the points are reserved against the cap until the secretary decides."""
    if rule is None or not policy.can_claim_points(user, rule):
        raise ClaimError("您不能申报这一项积分")
    if occurred_on is None or occurred_on > today \
            or occurred_on < today - timedelta(days=settings.window_days):
        raise ClaimError(f"活动日期须在最近 {settings.window_days} 天内，且不晚于今天")
    note = (note or "").strip()
    if not note:
        raise ClaimError("请简要说明活动内容")
    if len(note) > NOTE_MAX:
        raise ClaimError(f"说明不能超过 {NOTE_MAX} 个字")
    try:
        info = evidence.check_image(image, settings.max_bytes, settings.max_pixels)
    except evidence.EvidenceError as exc:
        raise ClaimError(str(exc)) from None
    period = period_key(rule, occurred_on)
    if not _reserve(db, user.id, rule, period, rule.points):
        raise ClaimError(f"“{rule.name}”本期积分已达上限（{rule.cap} 分，含待审批的申报）")
    approver = policy.claim_approver_unit(db, user.unit, rule.approver)
    name = evidence.save(settings.folder, image, info)
    try:
        claim = PointsClaim(
            user_id=user.id, rule_id=rule.id, unit_id=user.unit_id,
            approver_unit_id=approver.id, occurred_on=occurred_on, period_key=period,
            points=rule.points, note=note, evidence_name=name, evidence_type=info.mimetype,
            evidence_bytes=info.size, evidence_width=info.width,
            evidence_height=info.height, status="requested", reason="", requested_at=now)
        db.add(claim)
        db.flush()
        audit.record(db, "points_requested", actor_id=user.id, target=f"claim:{claim.id}",
                     ip=ip, detail={"rule": rule.key, "points": rule.points,
                                    "period": period, "bytes": info.size})
    except Exception:
        evidence.remove(settings.folder, name)
        raise
    return claim


def approve(db: Session, user: User, claim: PointsClaim | None, now: datetime,
            ip: str | None = None) -> PointsClaim:
    """The secretary approves: the claim's points enter the ledger, once."""
    claim = _decidable(user, claim)
    if not _move(db, claim, "requested", "approved", user, now):
        raise ClaimError("这条申报已经处理过了")
    points.award(db, claim.user_id, claim.rule.key, SOURCE_TYPE, claim.id, claim.points, at=now)
    audit.record(db, "points_approved", actor_id=user.id, target=f"claim:{claim.id}", ip=ip,
                 detail={"rule": claim.rule.key, "points": claim.points,
                         "user": claim.user_id})
    return claim


def return_claim(db: Session, user: User, claim: PointsClaim | None, reason: str,
                 now: datetime, ip: str | None = None) -> PointsClaim:
    """The secretary returns a request with a reason; its reservation is released."""
    claim = _decidable(user, claim)
    reason = _reason(reason, "请写明退回原因")
    if not _move(db, claim, "requested", "returned", user, now, reason):
        raise ClaimError("这条申报已经处理过了")
    _release(db, claim)
    audit.record(db, "points_returned", actor_id=user.id, target=f"claim:{claim.id}", ip=ip,
                 detail={"rule": claim.rule.key, "reason": reason})
    return claim


def reverse(db: Session, user: User, claim: PointsClaim | None, reason: str, now: datetime,
            ip: str | None = None) -> PointsClaim:
    """Correct an approval made in error: a new ledger line takes the points back."""
    claim = _decidable(user, claim)
    reason = _reason(reason, "请写明更正原因")
    if not _move(db, claim, "approved", "reversed", user, now, reason):
        raise ClaimError("只有已批准的申报可以更正")
    points.award(db, claim.user_id, CORRECTION_RULE, SOURCE_TYPE, claim.id, -claim.points,
                 at=now)
    _release(db, claim)
    audit.record(db, "points_reversed", actor_id=user.id, target=f"claim:{claim.id}", ip=ip,
                 detail={"rule": claim.rule.key, "points": -claim.points, "reason": reason})
    return claim


def mine(db: Session, user: User, limit: int = 50) -> list[PointsClaim]:
    """The user's own claims, newest first."""
    return list(db.scalars(select(PointsClaim).where(PointsClaim.user_id == user.id)
                           .order_by(PointsClaim.requested_at.desc(), PointsClaim.id.desc())
                           .limit(limit)))


def to_review(db: Session, user: User, limit: int = 100) -> tuple[list, list]:
    """(waiting, decided): the claims this secretary approves, oldest waiting first, and
    the latest decided ones."""
    if not (user.active and user.is_supervisor):
        return [], []
    base = select(PointsClaim).where(PointsClaim.approver_unit_id == user.unit_id,
                                     PointsClaim.user_id != user.id)
    waiting = db.scalars(base.where(PointsClaim.status == "requested")
                         .order_by(PointsClaim.requested_at, PointsClaim.id).limit(limit))
    decided = db.scalars(base.where(PointsClaim.status != "requested")
                         .order_by(PointsClaim.decided_at.desc(), PointsClaim.id.desc())
                         .limit(limit))
    return list(waiting), list(decided)


def evidence_of(user: User, claim: PointsClaim | None, folder: Path) -> tuple[Path, str]:
    """(path, mimetype) of the claim's image, for its requester and approvers only."""
    if claim is None or not policy.can_see_evidence(user, claim):
        raise policy.PermissionDenied
    return evidence.path_of(folder, claim.evidence_name), claim.evidence_type


# --- helpers -------------------------------------------------------------------------------

def _decidable(user: User, claim: PointsClaim | None) -> PointsClaim:
    if claim is None or not policy.can_decide_claim(user, claim):
        raise policy.PermissionDenied
    return claim


def _reason(text: str, missing: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ClaimError(missing)
    if len(text) > REASON_MAX:
        raise ClaimError(f"原因不能超过 {REASON_MAX} 个字")
    return text


def _move(db: Session, claim: PointsClaim, old: str, new: str, user: User, now: datetime,
          reason: str | None = None) -> bool:
    """Conditional on the current status: of two decisions at once, exactly one wins."""
    values = {"status": new, "decided_by_id": user.id, "decided_at": now}
    if reason is not None:
        values["reason"] = reason
    done = db.execute(update(PointsClaim)
                      .where(PointsClaim.id == claim.id, PointsClaim.status == old)
                      .values(**values).execution_options(synchronize_session=False))
    if done.rowcount != 1:
        return False
    db.refresh(claim)
    return True


def _reserve(db: Session, user_id: int, rule: PointsRule, period: str, amount: int) -> bool:
    """Add `amount` to the counter unless that passes the rule's cap; True when added."""
    dialect = db.get_bind().dialect.name
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(PointsQuota)
    db.execute(insert.values(user_id=user_id, rule_id=rule.id, period_key=period, used=0)
               .on_conflict_do_nothing(index_elements=("user_id", "rule_id", "period_key")))
    done = db.execute(
        update(PointsQuota)
        .where(PointsQuota.user_id == user_id, PointsQuota.rule_id == rule.id,
               PointsQuota.period_key == period, PointsQuota.used + amount <= rule.cap)
        .values(used=PointsQuota.used + amount).execution_options(synchronize_session=False))
    return done.rowcount == 1


def _release(db: Session, claim: PointsClaim) -> None:
    db.execute(update(PointsQuota)
               .where(PointsQuota.user_id == claim.user_id,
                      PointsQuota.rule_id == claim.rule_id,
                      PointsQuota.period_key == claim.period_key)
               .values(used=PointsQuota.used - claim.points)
               .execution_options(synchronize_session=False))
