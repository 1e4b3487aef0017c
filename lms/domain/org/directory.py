"""The org tree and user administration; no Flask."""
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ...models import ROLES, AuditEvent, Unit, User
from .. import audit
from ..reports import unitstats
from . import policy

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
                 limit: int = 50, offset: int = 0) -> tuple[list[User], int]:
    """Users in a subtree matching a police number or name fragment, and the total count."""
    path = unit.path if unit is not None else scope_path
    query = select(User).join(Unit, Unit.id == User.unit_id).where(
        Unit.path.startswith(path, autoescape=True))
    if text:
        text = text.strip()
        query = query.where(or_(User.police_no.contains(text, autoescape=True),
                                User.name.contains(text, autoescape=True)))
    total = db.scalar(select(func.count()).select_from(query.subquery()))
    users = db.scalars(query.order_by(User.police_no).limit(limit).offset(offset)).all()
    return list(users), int(total)


def change_roles(db: Session, actor: User, user: User, roles: set[str], ip: str | None) -> bool:
    """Set a user's roles, audited; False when nothing changed."""
    unknown = roles - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles: {sorted(unknown)}")
    before = user.roles
    for role in ROLES:
        setattr(user, f"is_{role}", role in roles)
    if user.roles == before:
        return False
    if user.id == actor.id and "admin" in before and "admin" not in roles:
        raise ValueError("an admin cannot remove their own admin role")
    user.session_version += 1  # a changed role takes effect on the next sign-in
    if ("officer" in before) != ("officer" in roles):  # counted in the reports or not
        unitstats.rebuild(db, unit_ids=[user.unit_id])
    audit.record(db, "roles_changed", actor_id=actor.id, target=user.police_no,
                 detail={"before": before, "after": user.roles}, ip=ip)
    return True
