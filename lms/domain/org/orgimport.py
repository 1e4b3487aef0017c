"""CSV import of the org tree (DESIGN §5), and what every import shares; no Flask.

Each import is two steps: `read_*` parses and validates the whole file against the database
without changing anything, returning a plan and every problem found; `apply_*` carries out a
problem-free plan with bulk statements and leaves the commit to the caller. The roster's
import is in `roster`.
"""
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from ...models import UNIT_KINDS, Unit
from ..csvfile import read_table
from ..problems import Problem
from ..reports import unitstats

UNIT_COLUMNS = ("code", "name", "kind", "parent_code")
UNIT_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")
BATCH = 2000  # rows per bulk statement: bounds memory and paces the progress bar
# Levels below the root: a bureau has about five, a province one more. The materialized path
# (ids of every level) must fit its 255 characters, which a chain of parent_code mistakes
# soon overflowed.
MAX_DEPTH = 20

Progress = Callable[[int], object]


def _no_progress(_n: int) -> None:
    pass


@dataclass
class ImportSummary:
    """What an import did, counted over the rows of the file."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def __str__(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"


# ---------------------------------------------------------------------------- units

@dataclass(frozen=True)
class UnitRow:
    """One valid row of a units file."""

    line: int
    code: str
    name: str
    kind: str
    parent_code: str | None


@dataclass
class UnitPlan:
    """The validated rows of a units file, in file order."""

    rows: list[UnitRow]


def read_units(db: Session, path: Path) -> tuple[UnitPlan, list[Problem]]:
    """Parse and validate a units file (`code,name,kind,parent_code`) against the database."""
    table, problems = read_table(path, UNIT_COLUMNS)
    file = str(path)
    existing = dict(_unit_parents(db))
    rows, linked, first_line = [], [], {}
    for line, (code, name, kind, parent_code) in table:
        row = UnitRow(line, code, name, kind.lower(), parent_code or None)
        messages = []
        if not UNIT_CODE.fullmatch(code):
            messages.append(f"code '{code}' must be 1-32 letters, digits, '_', '-' or '.'"
                            if code else "empty code")
        elif code in first_line:
            messages.append(f"duplicate code '{code}' (first on line {first_line[code]})")
        else:
            first_line[code] = line
            linked.append(row)
        if not name:
            messages.append("empty name")
        elif len(name) > 120:
            messages.append(f"name is longer than 120 characters ({len(name)})")
        if row.kind not in UNIT_KINDS:
            messages.append(f"unknown kind '{kind}' (expected one of {', '.join(UNIT_KINDS)})")
        problems += [Problem(file, line, message) for message in messages]
        if not messages:
            rows.append(row)
    problems += _tree_problems(file, linked, existing)
    return UnitPlan(rows), sorted(problems, key=lambda p: p.line)


def _unit_parents(db: Session) -> list[tuple[str, str | None]]:
    """(code, parent code) of every unit in the database."""
    parent = Unit.__table__.alias("parent")
    return db.execute(select(Unit.code, parent.c.code)
                      .outerjoin(parent, parent.c.id == Unit.parent_id)).all()


def _too_deep(file: str, rows: list[UnitRow], parent_of: dict) -> list[Problem]:
    """Rows that would sit more than MAX_DEPTH levels below the root."""
    depth: dict[str, int] = {}

    def depth_of(code: str) -> int:
        trail = []
        while code not in depth and parent_of.get(code) is not None:
            trail.append(code)
            code = parent_of[code]
        level = depth.get(code, 0)  # known, or a root
        for step in reversed(trail):
            level += 1
            depth[step] = level
        return level
    return [Problem(file, row.line, f"unit '{row.code}' would be {depth_of(row.code)} levels "
                                    f"below the root (at most {MAX_DEPTH}): check parent_code")
            for row in rows if depth_of(row.code) > MAX_DEPTH]


def _tree_problems(file: str, rows: list[UnitRow], existing: dict) -> list[Problem]:
    """Unknown parents, cycles and extra roots in the tree the import would leave behind."""
    problems, unknown = [], set()
    parent_of = {**existing, **{row.code: row.parent_code for row in rows}}
    for row in rows:
        if row.parent_code is not None and row.parent_code not in parent_of:
            problems.append(Problem(file, row.line, f"parent_code '{row.parent_code}' is "
                                                    "neither in this file nor in the database"))
            unknown.add(row.code)
            parent_of[row.code] = None
    line_of = {row.code: row.line for row in rows}
    settled: set[str] = set()
    for row in rows:
        trail, code = [], row.code
        while code is not None and code not in settled and code not in trail:
            trail.append(code)
            code = parent_of[code]
        if code is not None and code in trail:  # walked back onto the trail: a cycle
            cycle = trail[trail.index(code):]
            first = min((c for c in cycle if c in line_of), key=line_of.get)
            start = cycle.index(first)
            shown = cycle[start:] + cycle[:start] + [first]
            problems.append(Problem(file, line_of[first],
                                    "parent_code makes a cycle: " + " → ".join(shown)))
        settled.update(trail)
    if not problems:  # no cycle or unknown parent: every walk ends at a root
        problems += _too_deep(file, rows, parent_of)
    roots = [code for code, parent in parent_of.items() if parent is None and code not in unknown]
    db_roots = [code for code in roots if code not in line_of]
    file_roots = sorted((code for code in roots if code in line_of), key=line_of.get)
    if len(roots) > 1:
        first = (f"'{db_roots[0]}' (in the database)" if db_roots
                 else f"'{file_roots[0]}' (line {line_of[file_roots[0]]})")
        for code in file_roots[0 if db_roots else 1:]:
            problems.append(Problem(file, line_of[code], f"more than one root: '{code}' has no "
                                                         f"parent_code but {first} is the root"))
    return problems


def apply_units(db: Session, plan: UnitPlan, progress: Progress = _no_progress) -> ImportSummary:
    """Upsert the planned units by code and recompute every path and depth; no commit."""
    stored = {r.code: r for r in db.execute(select(Unit.__table__)).all()}
    new_rows = [row for row in plan.rows if row.code not in stored]
    if new_rows:
        # Parents may be new too: insert unlinked, then link everything once ids exist.
        db.execute(insert(Unit), [{"code": r.code, "name": r.name, "kind": r.kind,
                                   "parent_id": None, "path": "", "depth": 0} for r in new_rows])
    summary = ImportSummary(created=len(new_rows))
    id_of = dict(db.execute(select(Unit.code, Unit.id)).all())
    wanted = {code: {"name": r.name, "kind": r.kind, "parent_id": r.parent_id}
              for code, r in stored.items()}
    for row in plan.rows:
        values = {"name": row.name, "kind": row.kind,
                  "parent_id": id_of[row.parent_code] if row.parent_code else None}
        if row.code in stored:
            if values == wanted[row.code]:
                summary.unchanged += 1
            else:
                summary.updated += 1
        wanted[row.code] = values
    # Paths are recomputed for the whole tree, so a moved unit carries its subtree along.
    changes, moved = [], []
    for code, values in _with_paths(wanted, id_of).items():
        old = stored.get(code)
        if old is None or any(getattr(old, key) != value for key, value in values.items()):
            changes.append({"id": id_of[code], **values})
        if old is not None and old.path != values["path"]:
            moved.append(id_of[code])
    for start in range(0, len(changes), BATCH):
        db.execute(update(Unit), changes[start:start + BATCH])
    # A moved unit (a new path) may enter or leave a lesson's audience subtree: who owes
    # what there changes, so its summary rows are recounted (as `units.move` does).
    unitstats.rebuild(db, unit_ids=moved)
    progress(len(plan.rows))
    return summary


def _with_paths(wanted: dict[str, dict], id_of: dict[str, int]) -> dict[str, dict]:
    """`wanted` with each unit's materialized path and depth, computed from its parents."""
    code_of = {unit_id: code for code, unit_id in id_of.items()}
    paths: dict[str, str] = {}
    for code in wanted:
        chain = []
        while code is not None and code not in paths:
            chain.append(code)
            parent_id = wanted[code]["parent_id"]
            code = code_of[parent_id] if parent_id is not None else None
        prefix = paths[code] if code is not None else "/"
        for link in reversed(chain):
            prefix = paths[link] = f"{prefix}{id_of[link]}/"
    return {code: {**values, "path": paths[code], "depth": paths[code].count("/") - 2}
            for code, values in wanted.items()}
