"""What a roster file would change, shown to the admin before it is applied; no Flask.

`preview` compares a validated plan (`roster.read_roster`) with the accounts as they are,
by the same rules as `roster.apply_roster`; `RosterPreview.digest` fingerprints the result,
so a confirmation can be refused when the database moved on since the admin looked.
"""
import hashlib
import json
from dataclasses import asdict, dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import ROLES, Unit, User
from .roster import RosterPlan


@dataclass(frozen=True)
class Change:
    """One account in the preview: its file line, and what it was and becomes."""

    line: int
    police_no: str
    name: str
    before: str = ""
    after: str = ""


@dataclass
class RosterPreview:
    """The changes a roster file would make, by kind (an account may be in several)."""

    new: list[Change] = field(default_factory=list)  # after: unit name
    moved: list[Change] = field(default_factory=list)  # before/after: unit names
    deactivated: list[Change] = field(default_factory=list)
    reactivated: list[Change] = field(default_factory=list)
    roles: list[Change] = field(default_factory=list)  # before/after: roles joined by ";"
    details: list[Change] = field(default_factory=list)  # name or party membership only
    unchanged: int = 0

    @property
    def changes_anything(self) -> bool:
        """Whether applying the file would write anything."""
        return any((self.new, self.moved, self.deactivated, self.reactivated, self.roles,
                    self.details))

    def digest(self) -> str:
        """SHA-256 of the whole preview: equal digests, equal changes."""
        text = json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()


def _roles(roles) -> str:
    """Role names in ROLES order, joined by ';'."""
    return ";".join(role for role in ROLES if role in roles)


def preview(db: Session, plan: RosterPlan) -> RosterPreview:
    """What `apply_roster` would do with this plan now; changes nothing."""
    units = {r.id: f"{r.name}（{r.code}）" for r in db.execute(select(Unit.id, Unit.name,
                                                                     Unit.code))}
    stored = {u.police_no: u for u in db.execute(select(
        User.police_no, User.name, User.unit_id, User.party_member, User.active,
        *(getattr(User, f"is_{role}") for role in ROLES)))}
    result = RosterPreview()
    for row in plan.rows:
        old = stored.get(row.police_no)
        if old is None:
            result.new.append(Change(row.line, row.police_no, row.name,
                                     after=units[row.unit_id]))
            continue
        change = Change(row.line, row.police_no, row.name)
        touched = False
        if old.unit_id != row.unit_id:
            result.moved.append(_with(change, units[old.unit_id], units[row.unit_id]))
            touched = True
        before = _roles({role for role in ROLES if getattr(old, f"is_{role}")})
        after = _roles(row.roles)
        if before != after:
            result.roles.append(_with(change, before, after))
            touched = True
        if row.active is False and old.active:
            result.deactivated.append(change)
            touched = True
        elif row.active is True and not old.active:
            result.reactivated.append(change)
            touched = True
        if old.name != row.name or old.party_member != row.party_member:
            result.details.append(_with(change, old.name, row.name))
        elif not touched:
            result.unchanged += 1
    return result


def _with(change: Change, before: str, after: str) -> Change:
    """`change` carrying what was and what will be."""
    return Change(change.line, change.police_no, change.name, before, after)
