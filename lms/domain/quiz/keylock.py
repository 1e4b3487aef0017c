"""The locks that order grading against a change of a key (a regrade); no Flask.

On PostgreSQL a transaction-scoped advisory lock per quiz: every submission holds it shared
while it reads the key and records the attempt, a regrade holds it exclusively. Shared
advisory locks live in memory, so thousands of officers submitting the same weekly quiz do
not contend on (or write to) the quiz row, as a row lock FOR KEY SHARE would. On SQLite
each write transaction begins IMMEDIATE and the two are serial already.
"""
from sqlalchemy import text
from sqlalchemy.orm import Session

NAMESPACE = 0x51A7  # the first key of the two-key advisory lock: "quiz key"
BANK_NAMESPACE = 0x51A8  # "bank key": the keys of a bank's questions, whichever quiz drew them


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


def grading_banks(db: Session, bank_ids) -> None:
    """Hold the keys of these banks' questions steady until this transaction ends (shared);
    a drawn quiz's submission takes it for every bank its rules draw from, in id order."""
    if db.get_bind().dialect.name == "postgresql":
        for bank_id in sorted(set(bank_ids)):
            db.execute(text("SELECT pg_advisory_xact_lock_shared(:ns, :bank)"),
                       {"ns": BANK_NAMESPACE, "bank": bank_id})


def changing_bank(db: Session, bank_id: int) -> None:
    """Wait for the submissions grading against the bank's keys, then keep new ones out
    until this transaction ends (exclusive): a regrade or an import of the bank."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SELECT pg_advisory_xact_lock(:ns, :bank)"),
                   {"ns": BANK_NAMESPACE, "bank": bank_id})
