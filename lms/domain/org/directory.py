"""The org tree and user administration; no Flask."""
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ...models import ROLES, AuditEvent, Unit, User
from .. import audit, clock
from ..reports import unitstats
from . import accounts, membership, policy

UNIT_CODE_MAX = 64


def all_units(db: Session) -> list[Unit]:
    """Every unit of the org tree, in tree order."""
    return list(db.scalars(select(Unit).order_by(Unit.path)))


def unit_by_code(db: Session, code: str) -> Unit | None:
    """The unit with this code, if any (a malformed code is simply none)."""
    if len(code) > UNIT_CODE_MAX or "\x00" in code:  # PostgreSQL rejects NUL in text
        return None
    return db.scalar(select(Unit).where(Unit.code == code))


def audit_events(db: Session, action: str = "", limit: int = 200) -> list[AuditEvent]:
    """The latest audit events, newest first, of one action if given."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(db.scalars(query))


def subtree(db: Session, root: Unit) -> list[Unit]:
    """`root` and every unit below it, in tree order."""
    return list(db.scalars(select(Unit).where(Unit.path.startswith(root.path, autoescape=True))
                           .order_by(Unit.path)))


def children(db: Session, unit: Unit) -> list[Unit]:
    """The direct children of `unit`, by code."""
    return list(db.scalars(select(Unit).where(Unit.parent_id == unit.id).order_by(Unit.code)))


def crumbs(db: Session, user: User, unit: Unit) -> list[Unit]:
    """The unit's ancestors inside the user's scope, top first, ending with the unit."""
    ids = [int(part) for part in unit.path.strip("/").split("/") if part]
    ancestors = db.scalars(select(Unit).where(Unit.id.in_(ids)).order_by(Unit.depth))
    return [u for u in ancestors if policy.unit_in_scope(user, u)]


def officer_counts(db: Session, root_path: str) -> dict[int, int]:
    """Active officers per unit (not rolled up) within a subtree."""
    rows = db.execute(
        select(User.unit_id, func.count()).join(Unit, Unit.id == User.unit_id)
        .where(Unit.path.startswith(root_path, autoescape=True), User.active, User.is_officer)
        .group_by(User.unit_id))
    return dict(rows.all())


def search_users(db: Session, scope_path: str, text: str = "", unit: Unit | None = None,
                 limit: int = 50, offset: int = 0, role: str | None = None
                 ) -> tuple[list[User], int]:
    """Users in a subtree (of a role, if given) matching a police number or name fragment,
    and the total count."""
    path = unit.path if unit is not None else scope_path
    query = select(User).join(Unit, Unit.id == User.unit_id).where(
        Unit.path.startswith(path, autoescape=True))
    if role in ROLES:
        query = query.where(getattr(User, f"is_{role}").is_(True))
    if text:
        text = text.strip()
        query = query.where(or_(User.police_no.contains(text, autoescape=True),
                                User.name.contains(text, autoescape=True)))
    total = db.scalar(select(func.count()).select_from(query.subquery()))
    users = db.scalars(query.order_by(User.police_no).limit(limit).offset(offset)).all()
    return list(users), int(total)


def change_roles(db: Session, actor: User, user: User, roles: set[str], ip: str | None,
                 now: datetime | None = None) -> bool:
    """Set a user's roles, audited; False when nothing changed. PermissionDenied unless the
    actor is an admin; ValueError (nothing changed) for an unknown role or an admin removing
    their own admin role."""
    policy.require_admin(actor)
    unknown = roles - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles: {sorted(unknown)}")
    before = user.roles
    if user.id == actor.id and "admin" in before and "admin" not in roles:
        raise ValueError("an admin cannot remove their own admin role")
    for role in ROLES:
        setattr(user, f"is_{role}", role in roles)
    if user.roles == before:
        return False
    user.session_version += 1  # a changed role takes effect on the next sign-in
    if ("officer" in before) != ("officer" in roles):  # owes lessons from now on, or not
        units = membership.record(db, [user.id], now or clock.utcnow())
        unitstats.rebuild(db, unit_ids=units)
    audit.record(db, "roles_changed", actor_id=actor.id, target=user.police_no,
                 detail={"before": before, "after": user.roles}, ip=ip)
    return True


def deactivate(db: Session, actor: User | None, users: list[User], reason: str,
               ip: str | None, now: datetime, via: str = "web") -> list[User]:
    """Officers who left: sign-in, sessions and tokens end at once, and they owe no lesson
    due after `now` (their past stays in past reports). Audited with the reason; an actor
    (None: an operator at the CLI) must be an admin. Returns those that were active."""
    if actor is not None:
        policy.require_admin(actor)
    if actor is not None and any(user.id == actor.id for user in users):
        raise ValueError("an admin cannot deactivate their own account")
    done = [user for user in users if user.active]
    for user in done:
        accounts.deactivate(db, user, now)
        audit.record(db, "user_deactivated", actor_id=actor.id if actor else None,
                     target=user.police_no, detail={"reason": reason, "via": via}, ip=ip)
    return done
