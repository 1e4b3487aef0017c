"""CSV import of the roster (DESIGN §5): accounts, their units and roles, joining and
leaving; no Flask.

Like every import, `read_roster` validates the whole file and `apply_roster` carries out a
problem-free plan. A changed unit, officer role or active flag takes effect at the import's
moment and is written to the membership history, so past reports stay as they were.
"""
import csv
import os
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from ...models import ROLES, Unit, User
from ..clock import to_utc
from ..csvfile import read_table
from ..problems import Problem
from ..reports import unitstats
from . import membership
from .accounts import new_activation_code, revoke_tokens
from .orgimport import BATCH, ImportSummary, Progress, _no_progress
from .passwords import Passwords

ROSTER_COLUMNS = ("police_no", "name", "unit_code", "roles", "party_member")
OPTIONAL_COLUMNS = ("joined_on", "active")
POLICE_NO = re.compile(r"[A-Za-z0-9]{3,32}")


@dataclass(frozen=True)
class RosterRow:
    """One valid row of a roster file, its unit resolved to an id."""

    line: int
    police_no: str
    name: str
    unit_id: int
    roles: frozenset[str]
    party_member: bool
    joined_on: date | None = None  # only for a new account
    active: bool | None = None  # None: the file does not say (new accounts are active)


@dataclass
class RosterPlan:
    """The validated rows of a roster file, in file order."""

    rows: list[RosterRow]


def count_new_accounts(db: Session, plan: RosterPlan) -> int:
    """How many rows of the plan would create an account."""
    existing = set(db.scalars(select(User.police_no)))
    return sum(1 for row in plan.rows if row.police_no not in existing)


def read_roster(db: Session, path: Path) -> tuple[RosterPlan, list[Problem]]:
    """Parse and validate a roster file (`police_no,name,unit_code,roles,party_member`, then
    optionally `joined_on` and `active` in any order)."""
    table, problems = read_table(path, ROSTER_COLUMNS, OPTIONAL_COLUMNS)
    file = str(path)
    unit_ids = dict(db.execute(select(Unit.code, Unit.id)).all())
    rows, first_line = [], {}
    for line, (police_no, name, unit_code, roles_cell, party, joined, active) in table:
        row_problems = []
        if not POLICE_NO.fullmatch(police_no):
            row_problems.append(f"police_no '{police_no}' must be 3-32 letters or digits"
                                if police_no else "empty police_no")
        elif police_no in first_line:
            row_problems.append(f"duplicate police_no '{police_no}' "
                                f"(first on line {first_line[police_no]})")
        else:
            first_line[police_no] = line
        if not name:
            row_problems.append("empty name")
        elif len(name) > 64:
            row_problems.append(f"name is longer than 64 characters ({len(name)})")
        elif any(unicodedata.category(ch) == "Cc" for ch in name):
            row_problems.append("name contains a control character (a line break or tab?)")
        if unit_code not in unit_ids:
            row_problems.append(f"unknown unit_code '{unit_code}' (import the units first)"
                                if unit_code else "empty unit_code")
        # Chinese input methods type the full-width semicolon as readily as the ASCII one.
        roles = {r.strip().lower() for r in re.split("[;；]", roles_cell) if r.strip()}
        row_problems += [f"unknown role '{r}' (expected one of {', '.join(ROLES)})"
                         for r in sorted(roles - set(ROLES))]
        if party not in ("0", "1"):
            row_problems.append(f"party_member must be 0 or 1 (found '{party}')")
        joined_on = _date(joined)
        if joined and joined_on is None:
            row_problems.append(f"joined_on must be a date YYYY-MM-DD from 1900 to 2999 "
                                f"(found '{joined}')")
        if active not in ("", "0", "1"):
            row_problems.append(f"active must be 0 or 1 (found '{active}')")
        problems += [Problem(file, line, message) for message in row_problems]
        if not row_problems:
            rows.append(RosterRow(line, police_no, name, unit_ids[unit_code],
                                  frozenset(roles or {"officer"}), party == "1", joined_on,
                                  None if active == "" else active == "1"))
    return RosterPlan(rows), sorted(problems, key=lambda p: p.line)


def _date(text: str) -> date | None:
    """A YYYY-MM-DD date from 1900 to 2999, or None when `text` is not one."""
    # years near 1 or 9999 overflow datetime when shifted to UTC or past the newcomer grace
    if not re.fullmatch(r"(19|2\d)\d{2}-\d{2}-\d{2}", text, re.ASCII):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


_ROLE_COLUMNS = tuple(f"is_{role}" for role in ROLES)


def apply_roster(db: Session, plan: RosterPlan, passwords: Passwords,
                 progress: Progress = _no_progress,
                 activation_ttl: timedelta = timedelta(days=30), *,
                 now: datetime, grace: timedelta = timedelta(days=7),
                 tz: str = "Asia/Shanghai") -> tuple[ImportSummary, list[tuple[str, str, str]]]:
    """Upsert accounts by police_no; new ones get a one-time activation code; no commit.

    A new account joined on its `joined_on` (local midnight in `tz`), else `now`; for an
    existing one, a changed unit, officer role or active flag takes effect at `now`. An
    account set inactive is signed out everywhere and its tokens revoked.

    Returns the summary and (police_no, name, code) for each new account: the codes exist
    nowhere else, only their keyed hashes are stored.
    """
    columns = (User.id, User.police_no, User.name, User.unit_id, User.party_member,
               User.active, User.session_version, *(getattr(User, c) for c in _ROLE_COLUMNS))
    # One SELECT of every account: cheaper than an IN list of 30,000 numbers, and a roster
    # normally covers most of the force anyway.
    stored = {r.police_no: r for r in db.execute(select(*columns)).all()}
    summary, codes, new, changed = ImportSummary(), [], [], []
    history: set[int] = set()  # accounts whose unit, officer role or active flag changes
    left: list[int] = []
    expires = now + activation_ttl
    for row in plan.rows:
        values = {"name": row.name, "unit_id": row.unit_id, "party_member": row.party_member,
                  **{f"is_{role}": role in row.roles for role in ROLES}}
        old = stored.get(row.police_no)
        if old is None:
            code = new_activation_code()
            codes.append((row.police_no, row.name, code))
            joined = to_utc(datetime.combine(row.joined_on, datetime.min.time()), tz) \
                if row.joined_on else now
            new.append({"police_no": row.police_no, **values,
                        "active": row.active is not False,
                        **membership.joining(joined, grace),
                        "activation_hash": passwords.hash_code(code),
                        "activation_expires_at": expires})
            continue
        if row.active is not None:
            values["active"] = row.active
        if not any(getattr(old, key) != value for key, value in values.items()):
            summary.unchanged += 1
            continue
        roles_changed = any(getattr(old, c) != values[c] for c in _ROLE_COLUMNS)
        leaving = old.active and values.get("active") is False
        if any(getattr(old, key) != values.get(key, getattr(old, key))
               for key in membership.STATE):
            history.add(old.id)
        if leaving:
            left.append(old.id)
        # As in directory.change_roles: a changed role takes effect on the next sign-in;
        # a leaver's sessions end at once (as in accounts.deactivate).
        changed.append({"id": old.id, **values,
                        "session_version": old.session_version + (roles_changed or leaving)})
    summary.created, summary.updated = len(new), len(changed)
    progress(summary.unchanged)
    for start in range(0, len(new), BATCH):
        db.execute(insert(User), new[start:start + BATCH])
        progress(len(new[start:start + BATCH]))
    for start in range(0, len(changed), BATCH):
        db.execute(update(User), changed[start:start + BATCH])
        progress(len(changed[start:start + BATCH]))
    for user_id in left:
        revoke_tokens(db, user_id)
    if new:
        created = {row["police_no"] for row in new}
        membership.start(db, [uid for no, uid in db.execute(select(User.police_no, User.id))
                              if no in created])
    units = membership.record(db, history, now)
    # a newcomer owes the lessons due after their grace period: their unit's assigned counts
    unitstats.rebuild(db, unit_ids=units | {row["unit_id"] for row in new})
    return summary, codes


def write_codes(path: Path, codes: list[tuple[str, str, str]]) -> None:
    """Write `police_no,name,activation_code` as UTF-8 with BOM (Excel, WPS), mode 0600."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an existing file keeps its mode through O_CREAT
    with open(fd, "w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(("police_no", "name", "activation_code"))
        writer.writerows((no, _inert(name), code) for no, name, code in codes)


def _inert(cell: str) -> str:
    """A cell that a spreadsheet will not run as a formula."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell
