"""Readiness checks: the database answers, its migrations are at head, Redis answers."""
from dataclasses import dataclass
from functools import cache

from alembic.script import ScriptDirectory
from limits.storage import storage_from_string
from sqlalchemy import text

from ..migrate import alembic_config

VERSION_TABLE = "lms_alembic_version"


@dataclass(frozen=True)
class Check:
    """One readiness check's outcome."""

    name: str
    ok: bool
    detail: str = ""


@cache
def migration_heads() -> frozenset[str]:
    """The head revisions of the shipped migrations (read once per process)."""
    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def check_database(engine) -> list[Check]:
    """The database answers, and the LMS's migrations stand at head."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            applied = {row[0] for row in conn.execute(
                text(f"SELECT version_num FROM {VERSION_TABLE}"))}
    except Exception as error:  # any driver error means "not ready"; say which kind
        return [Check("database", False, type(error).__name__)]
    heads = migration_heads()
    if applied != heads:
        return [Check("database", True),
                Check("migrations", False, f"at {sorted(applied)}, head is {sorted(heads)}")]
    return [Check("database", True), Check("migrations", True)]


def check_storage(uri: str) -> list[Check]:
    """The rate-limit storage answers, where it is a shared one (Redis)."""
    if not uri.startswith(("redis://", "rediss://", "redis+")):
        return []
    try:
        ok = storage_from_string(uri).check()
    except Exception as error:  # an unreachable Redis raises from the client
        return [Check("redis", False, type(error).__name__)]
    return [Check("redis", bool(ok), "" if ok else "no answer")]
