"""The locks that order grading against a change of a key (a regrade); no Flask.

On PostgreSQL a transaction-scoped advisory lock per quiz: every submission holds it shared
while it reads the key and records the attempt, a regrade holds it exclusively. Shared
advisory locks live in memory, so thousands of officers submitting the same weekly quiz do
not contend on (or write to) the quiz row, as a row lock FOR KEY SHARE would. On SQLite
each write transaction begins IMMEDIATE and the two are serial already.
"""
from sqlalchemy import bindparam, func, literal_column, select, text
from sqlalchemy.orm import Session

from ...models import User
from .. import hotsql

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


def grading_for(db: Session, quiz_id: int, user_id: int, exclusive: bool) -> None:
    """`grading`, then the officer's row locked, in one round trip: FOR SHARE (a roster
    move of the officer waits for this submission, which counts the reports' summary
    under the unit it reads afterwards), or FOR NO KEY UPDATE when `exclusive` (a quiz
    with limited attempts: the officer's submissions are counted one at a time). A
    caller whose first statement took both already (`grading_in`, the API's submission
    read) skips this.

    The advisory lock is a one-time filter of the row's scan, so it is granted before the
    row lock is asked for: the same order as a regrade (advisory lock, then rows), and
    every statement after this one reads a snapshot taken after both locks. A drawn
    quiz's bank locks (`grading_banks`) come after both, on every path. Nothing that holds
    a key lock exclusively waits for an officer's row (regrades, imports and syncs only
    key-share it, by foreign key), so neither order can close a cycle."""
    if db.get_bind().dialect.name == "postgresql":
        hotsql.execute(db, _GRADING_FOR[exclusive], {
            "p_ns": NAMESPACE, "p_quiz": quiz_id, "p_user_id": user_id}).all()


def grading_in(statement, quiz_id, officer):
    """`statement` (PostgreSQL) taking, as `grading_for(..., exclusive=True)` does, the key
    lock of the quiz `quiz_id` (an SQL scalar; none when it is NULL) and then the row of
    `officer` (a `User` alias in it) FOR NO KEY UPDATE: a submission's first statement
    holds both, so the officer's submissions are counted one at a time and a roster move
    waits. The locks and their order are `grading_for`'s. Every later statement reads a
    snapshot taken after both; this one's was taken before them, so a caller reads again
    if the officer's row changed meanwhile (`lessonview.read_for_token`)."""
    # short SQL: the statement it joins stays under psycopg's 4 KB for caching a query
    grant = select(func.count(func.pg_advisory_xact_lock_shared(
        literal_column(str(NAMESPACE)), quiz_id)).label("n"))
    return (statement.where(grant.scalar_subquery() >= literal_column("0"))
            .with_for_update(of=officer, key_share=True))


def _grading_for(exclusive: bool):
    users = User.__table__
    lock = select(func.pg_advisory_xact_lock_shared(bindparam("p_ns"), bindparam("p_quiz")))
    return (select(users.c.id)
            .where(users.c.id == bindparam("p_user_id"), lock.scalar_subquery().is_not(None))
            .with_for_update(read=not exclusive, key_share=exclusive))


_GRADING_FOR = {exclusive: _grading_for(exclusive) for exclusive in (False, True)}
