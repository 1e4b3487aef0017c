"""An admin's changes to one account: move it to another unit, reactivate it, reissue its
activation code; audited, no Flask. (Roles and deactivation are in `directory`.)"""
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from ...models import Unit, User
from .. import audit
from ..reports import unitstats
from . import membership, policy
from .accounts import new_activation_code
from .passwords import Passwords


def move_user(db: Session, actor: User, user: User, unit: Unit, ip: str | None,
              now: datetime) -> bool:
    """Move a user to `unit` from `now` on (a move in the membership history: lessons due
    before stay with the old unit); False when they are there already."""
    policy.require_admin(actor)
    if user.unit_id == unit.id:
        return False
    before = user.unit
    user.unit_id = unit.id
    units = membership.record(db, [user.id], now)
    unitstats.rebuild(db, unit_ids=units)
    db.refresh(user)  # the unit relationship still names the old unit
    audit.record(db, "user_moved", actor_id=actor.id, target=user.police_no, ip=ip,
                 detail={"from": before.code, "to": unit.code})
    return True


def reactivate(db: Session, actor: User, user: User, reason: str, ip: str | None,
               now: datetime) -> bool:
    """Let a deactivated user sign in again; from `now` they owe lessons again (nothing due
    while they were away); False when the account is active."""
    policy.require_admin(actor)
    if user.active:
        return False
    user.active = True
    units = membership.record(db, [user.id], now)
    unitstats.rebuild(db, unit_ids=units)
    audit.record(db, "user_reactivated", actor_id=actor.id, target=user.police_no, ip=ip,
                 detail={"reason": reason})
    return True


def reissue_code(db: Session, actor: User, user: User, passwords: Passwords, ttl: timedelta,
                 ip: str | None, now: datetime) -> str:
    """A new one-time activation code for an active account that has no password yet (its
    old code stops working); ValueError for any other account. Only the hash is stored."""
    policy.require_admin(actor)
    if not user.active or user.password_hash is not None:
        raise ValueError("only an active account awaiting activation gets a code")
    code = new_activation_code()
    user.activation_hash = passwords.hash_code(code)
    user.activation_expires_at = now + ttl
    audit.record(db, "activation_code_reissued", actor_id=actor.id, target=user.police_no,
                 ip=ip)
    return code
