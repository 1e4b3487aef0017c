"""Acceptance checklists per classroom type: items and weights as data; no Flask.

An admin edits a type's checklist as text, one item per line: the weight, a space, the item
(`30 组织生活记录完整`). The whole text is checked first (`LINE: message`), then applied: items
kept by their text keep their scores, dropped ones are retired so past scores keep their text.
"""
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import ChecklistItem, ClassroomType, User
from .. import audit
from ..org import policy

LINE = re.compile(r"^\s*(\d{1,3})\s+(\S.*?)\s*$")
ITEM_MAX, ITEMS_MAX, WEIGHT_MAX = 200, 30, 100


class ChecklistProblems(ValueError):
    """The checklist text has problems; nothing was changed."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Entry:
    """One parsed line: weight and text."""

    weight: int
    text: str


def checklist(db: Session, type_id: int) -> list[ChecklistItem]:
    """The type's current checklist items in order."""
    return list(db.scalars(select(ChecklistItem).where(
        ChecklistItem.type_id == type_id, ChecklistItem.retired.is_(False))
        .order_by(ChecklistItem.position, ChecklistItem.id)))


def as_text(db: Session, kind: ClassroomType) -> str:
    """The checklist in the editable one-line-per-item form."""
    return "\n".join(f"{item.weight} {item.text}" for item in checklist(db, kind.id))


def parse(text: str) -> list[Entry]:
    """The entries of a checklist text; ChecklistProblems lists every bad line."""
    entries, problems, seen = [], [], set()
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        match = LINE.match(line)
        if match is None:
            problems.append(f"第 {number} 行：每行写权重和检查项，如“30 组织生活记录完整”")
            continue
        weight, item = int(match.group(1)), " ".join(match.group(2).split())
        if not 1 <= weight <= WEIGHT_MAX:
            problems.append(f"第 {number} 行：权重须在 1 到 {WEIGHT_MAX} 之间")
        elif len(item) > ITEM_MAX:
            problems.append(f"第 {number} 行：检查项不能超过 {ITEM_MAX} 个字")
        elif item in seen:
            problems.append(f"第 {number} 行：检查项重复")
        else:
            seen.add(item)
            entries.append(Entry(weight, item))
    if not problems and len(entries) > ITEMS_MAX:
        problems.append(f"第 1 行：检查项不能超过 {ITEMS_MAX} 项")
    if problems:
        raise ChecklistProblems(problems)
    return entries


def replace(db: Session, user: User, kind: ClassroomType, text: str,
            ip: str | None = None) -> list[ChecklistItem]:
    """Replace the type's checklist with `text` (admins only; audited)."""
    policy.require_admin(user)
    entries = parse(text)
    current = {item.text: item for item in checklist(db, kind.id)}
    wanted = {entry.text for entry in entries}
    for item in current.values():
        if item.text not in wanted:
            item.retired = True
    for position, entry in enumerate(entries):
        item = current.get(entry.text)
        if item is None:
            item = ChecklistItem(type_id=kind.id, text=entry.text, weight=entry.weight)
            db.add(item)
        item.weight, item.position = entry.weight, position
    db.flush()
    audit.record(db, "checklist_changed", actor_id=user.id, target=f"classroom_type:{kind.key}",
                 ip=ip, detail={"items": [[e.weight, e.text] for e in entries]})
    return checklist(db, kind.id)
