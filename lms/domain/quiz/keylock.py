"""The lock that orders grading against a change of a quiz's key (a regrade); no Flask.

On PostgreSQL a transaction-scoped advisory lock per quiz: every submission holds it shared
while it reads the key and records the attempt, a regrade holds it exclusively. Shared
advisory locks live in memory, so thousands of officers submitting the same weekly quiz do
not contend on (or write to) the quiz row, as a row lock FOR KEY SHARE would. On SQLite
each write transaction begins IMMEDIATE and the two are serial already.
"""
from sqlalchemy import text
from sqlalchemy.orm import Session

NAMESPACE = 0x51A7  # the first key of the two-key advisory lock: "quiz key"


def grading(db: Session, quiz_id: int) -> None:
    """Hold the quiz's key steady until this transaction ends (shared)."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SELECT pg_advisory_xact_lock_shared(:ns, :quiz)"),
                   {"ns": NAMESPACE, "quiz": quiz_id})


def changing(db: Session, quiz_id: int) -> None:
    """Wait for the submissions grading against the quiz's key, then keep new ones out until
    this transaction ends (exclusive)."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SELECT pg_advisory_xact_lock(:ns, :quiz)"),
                   {"ns": NAMESPACE, "quiz": quiz_id})
