"""A roster import in two steps, as the admin pages run it: check and preview, then apply
exactly what was previewed, audited; no Flask."""
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from .. import audit
from ..problems import Problem
from . import policy
from .orgimport import ImportSummary
from .passwords import Passwords
from .roster import RosterPlan, apply_roster, read_roster
from .rosterpreview import RosterPreview, preview


class RosterRefused(ValueError):
    """The file has problems; nothing was changed."""

    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


class StalePreview(ValueError):
    """The accounts or units changed since the preview: it no longer says what would happen."""


def check(db: Session, actor, path: Path) -> tuple[RosterPlan, RosterPreview]:
    """Validate the whole file (RosterRefused listing every problem) and preview it."""
    policy.require_admin(actor)
    plan, problems = read_roster(db, path)
    if problems:
        raise RosterRefused(problems)
    return plan, preview(db, plan)


def apply_previewed(db: Session, actor, path: Path, digest: str, passwords: Passwords, *,
                    filename: str, sha256: str, ip: str | None, now: datetime,
                    activation_ttl: timedelta, grace: timedelta, tz: str
                    ) -> tuple[ImportSummary, list[tuple[str, str, str]], RosterPreview]:
    """Apply the file if it still previews to `digest` (else StalePreview), audited with the
    file's SHA-256; no commit, so the caller's transaction holds the whole import."""
    plan, seen = check(db, actor, path)
    if seen.digest() != digest:
        raise StalePreview
    summary, codes = apply_roster(db, plan, passwords, activation_ttl=activation_ttl, now=now,
                                  grace=grace, tz=tz)
    audit.record(db, "roster_imported", actor_id=actor.id, target=filename[:255], ip=ip,
                 detail={"summary": str(summary), "via": "web", "sha256": sha256,
                         "new": len(seen.new), "moved": len(seen.moved),
                         "deactivated": len(seen.deactivated),
                         "reactivated": len(seen.reactivated), "roles": len(seen.roles)})
    return summary, codes, seen
