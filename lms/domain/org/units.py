"""Editing the org tree by hand: add, rename and move units, audited; no Flask.

A move rewrites the materialized path of the whole subtree in one UPDATE. Memberships point
at unit ids, so an officer's history is untouched by a move; but a lesson's audience is a
subtree (`policy.lesson_reaches`), so the summary rows of the moved units are rebuilt in the
same transaction (docs/ADMIN-ROSTER.md says what a move does to lessons addressed to a
subtree).
"""
from sqlalchemy import func, insert, literal, select, update
from sqlalchemy.orm import Session

from ...models import UNIT_KINDS, Unit, User
from .. import audit
from ..reports import unitstats
from . import policy
from .orgimport import MAX_DEPTH, UNIT_CODE

PATH_MAX = 255  # lms_unit.path


class UnitRefused(ValueError):
    """The change was refused; `reason` says why (a key the pages translate)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _check_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise UnitRefused("empty_name")
    if len(name) > 120:
        raise UnitRefused("long_name")
    return name


def _take_turn(db: Session, *read: Unit) -> None:
    """Wait for any other add or move (they take turns on the root's row), then re-read
    `read` as committed. Two crossing moves (A under B, B under A) each checked the other's
    old path, touched different rows and both committed a cycle cut off from the root; a
    unit added under one being moved got the old path."""
    db.execute(select(Unit.id).where(Unit.parent_id.is_(None)).with_for_update())
    for unit in read:
        db.refresh(unit)


def add_unit(db: Session, actor: User, code: str, name: str, kind: str, parent: Unit | None,
             ip: str | None) -> Unit:
    """A new unit under `parent` (the tree has one root, so a parent is required)."""
    policy.require_admin(actor)
    code, name = code.strip(), _check_name(name)
    if not UNIT_CODE.fullmatch(code):
        raise UnitRefused("bad_code")
    if kind not in UNIT_KINDS:
        raise UnitRefused("bad_kind")
    if parent is None:
        raise UnitRefused("no_parent")
    _take_turn(db, parent)
    if parent.depth + 1 > MAX_DEPTH:
        raise UnitRefused("too_deep")
    if db.scalar(select(Unit.id).where(Unit.code == code)) is not None:
        raise UnitRefused("code_taken")
    unit_id = db.execute(insert(Unit).values(code=code, name=name, kind=kind,
                                             parent_id=parent.id, path="",
                                             depth=parent.depth + 1)).inserted_primary_key[0]
    path = f"{parent.path}{unit_id}/"
    if len(path) > PATH_MAX:
        raise UnitRefused("too_deep")
    db.execute(update(Unit).where(Unit.id == unit_id).values(path=path))
    audit.record(db, "unit_added", actor_id=actor.id, target=code, ip=ip,
                 detail={"name": name, "kind": kind, "parent": parent.code})
    return db.get(Unit, unit_id)


def rename_unit(db: Session, actor: User, unit: Unit, name: str, ip: str | None) -> bool:
    """Give a unit a new name; False when it already has it."""
    policy.require_admin(actor)
    name = _check_name(name)
    if name == unit.name:
        return False
    audit.record(db, "unit_renamed", actor_id=actor.id, target=unit.code, ip=ip,
                 detail={"before": unit.name, "after": name})
    unit.name = name
    return True


def move_unit(db: Session, actor: User, unit: Unit, parent: Unit, ip: str | None) -> int:
    """Put `unit` and its subtree under `parent`; returns how many units moved (0: it is
    there already). Refused for the root and for a parent inside the unit's own subtree."""
    policy.require_admin(actor)
    _take_turn(db, unit, parent)
    if unit.parent_id is None:
        raise UnitRefused("root")
    if parent.path.startswith(unit.path):
        raise UnitRefused("own_subtree")
    if unit.parent_id == parent.id:
        return 0
    old_path, new_path = unit.path, f"{parent.path}{unit.id}/"
    shift = parent.depth + 1 - unit.depth
    in_subtree = Unit.path.startswith(old_path, autoescape=True)
    deepest, longest = db.execute(select(func.max(Unit.depth), func.max(func.length(Unit.path)))
                                  .where(in_subtree)).one()
    if deepest + shift > MAX_DEPTH or longest - len(old_path) + len(new_path) > PATH_MAX:
        raise UnitRefused("too_deep")
    moved = list(db.scalars(select(Unit.id).where(in_subtree)))
    old_parent = db.get(Unit, unit.parent_id)
    db.execute(update(Unit).where(Unit.id == unit.id).values(parent_id=parent.id)
               .execution_options(synchronize_session=False))
    # One set-based UPDATE: the new prefix, then the rest of each path after the old one.
    db.execute(update(Unit).where(in_subtree)
               .values(path=literal(new_path) + func.substr(Unit.path, len(old_path) + 1),
                       depth=Unit.depth + shift)
               .execution_options(synchronize_session=False))
    db.expire_all()  # the ORM's copies of the moved units hold their old paths
    # Membership rows keep their unit ids; whether a lesson addressed to a subtree reaches
    # these units may change, so their summary rows are recounted now.
    unitstats.rebuild(db, unit_ids=moved)
    audit.record(db, "unit_moved", actor_id=actor.id, target=unit.code, ip=ip,
                 detail={"from": old_parent.code, "to": parent.code, "units": len(moved)})
    return len(moved)
