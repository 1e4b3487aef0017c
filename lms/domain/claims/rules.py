"""The points rules as data: the defaults (also seeded by the migration), listing and an
admin's edits, audited; no Flask."""
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import PointsRule, User
from ...models.claims import APPROVERS, CAP_PERIODS, REQUESTERS
from .. import audit
from ..org import policy

DEFAULT_RULES = (
    {"key": "lead_session", "name": "主讲课堂", "points": 5, "cap": 20,
     "cap_period": "quarter", "requesters": "lecturer", "approver": "branch", "position": 1,
     "description": "党员讲师主讲一次“五大课堂”活动或支部党课，附现场照片。"},
    {"key": "branch_activity", "name": "支部活动", "points": 2, "cap": 8,
     "cap_period": "quarter", "requesters": "any", "approver": "branch", "position": 2,
     "description": "参加主题党日、志愿服务等支部组织的活动，附活动照片。"},
    {"key": "study_visit", "name": "走学参观", "points": 5, "cap": 15,
     "cap_period": "year", "requesters": "any", "approver": "branch", "position": 3,
     "description": "沿5条走学线路到党建品牌单位参观践学，附打卡照片。"},
)


class RuleError(ValueError):
    """An edit that would make a rule unusable; the message says why."""


def seed_defaults(db: Session) -> int:
    """Add the default rules that are missing (by key); how many were added."""
    have = set(db.scalars(select(PointsRule.key)))
    added = [PointsRule(**row, active=True) for row in DEFAULT_RULES if row["key"] not in have]
    db.add_all(added)
    db.flush()
    return len(added)


def all_rules(db: Session) -> list[PointsRule]:
    """Every rule, in their display order."""
    return list(db.scalars(select(PointsRule).order_by(PointsRule.position, PointsRule.id)))


def available_to(db: Session, user: User) -> list[PointsRule]:
    """The rules this user may request points under."""
    return [rule for rule in all_rules(db) if policy.can_claim_points(user, rule)]


def by_key(db: Session, key: str) -> PointsRule | None:
    """The rule with this key, if any."""
    return db.scalar(select(PointsRule).where(PointsRule.key == key))


def update(db: Session, admin: User, rule: PointsRule, *, name: str, points: int, cap: int,
           cap_period: str, requesters: str, approver: str, active: bool,
           ip: str | None = None) -> PointsRule:
    """An admin's edit of a rule; claims already made keep the points they asked for."""
    policy.require_admin(admin)
    name = (name or "").strip()
    if not name or len(name) > 120:
        raise RuleError("名称须为 1 至 120 个字")
    if not 0 < points <= 1000 or not points <= cap <= 100000:
        raise RuleError("分值须为正数，且不超过每期上限")
    if cap_period not in CAP_PERIODS or requesters not in REQUESTERS \
            or approver not in APPROVERS:
        raise RuleError("周期、申报人或审批人取值无效")
    before = {"name": rule.name, "points": rule.points, "cap": rule.cap,
              "cap_period": rule.cap_period, "requesters": rule.requesters,
              "approver": rule.approver, "active": rule.active}
    rule.name, rule.points, rule.cap, rule.cap_period = name, points, cap, cap_period
    rule.requesters, rule.approver, rule.active = requesters, approver, active
    audit.record(db, "points_rule_changed", actor_id=admin.id, target=rule.key, ip=ip,
                 detail={"before": before})
    return rule
