"""The demo history's rows and how they reach the database; no Flask.

`history` decides the rows (tuples in the order of their `*_KINDS`); here they are written a
part at a time: the attempts staged narrow and joined with their graded answer sheets (each
sheet's JSON parsed once), completions, points ledger and mistake notebooks by COPY in
binary format straight into their tables (`bulk.insert_columns`), on PostgreSQL by a thread
while the next part is decided.
"""
import gc
import queue
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from operator import itemgetter

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from . import answers, bulk

ATTEMPT_COLUMNS = ("user_id", "quiz_id", "item_type", "item_id", "idempotency_key", "status",
                   "started_at", "submitted_at", "answers", "results", "score", "passed",
                   "points_awarded")
INT, STAMP, TEXT = bulk.INT, bulk.STAMP, bulk.TEXT
COMPLETION_KINDS = {"user_id": INT, "item_type": TEXT, "item_id": INT, "status": TEXT,
                    "first_completed_at": STAMP, "best_score": INT, "attempts": INT,
                    "time_spent_seconds": INT, "last_activity_at": STAMP, "first_score": INT}
DONE_KINDS = {c: COMPLETION_KINDS[c] for c in (
    "user_id", "item_id", "first_completed_at", "best_score", "attempts", "time_spent_seconds",
    "last_activity_at", "first_score")}
OWED_KINDS = {c: COMPLETION_KINDS[c] for c in (
    "user_id", "item_id", "best_score", "time_spent_seconds", "last_activity_at",
    "first_score")}
POINTS_KINDS = {"user_id": INT, "rule": TEXT, "points": INT, "source_type": TEXT,
                "source_id": INT, "at": STAMP}
LEDGER_KINDS = {"user_id": INT, "source_id": INT, "at": STAMP}
MISTAKE_KINDS = {"user_id": INT, "question_id": INT, "wrong_count": INT,
                 "last_wrong_at": STAMP}

STAGED_ATTEMPT, STAGED_SHEET = "demo_attempt", "demo_sheet"
STAGED_ATTEMPT_KINDS = {"seq": INT, "user_id": INT, "lesson_id": INT, "n": INT,
                        "started_at": STAMP, "submitted_at": STAMP, "sheet": INT, "paid": INT}


def staging(db: Session, sheets: list[answers.Sheet]) -> None:
    """The temporary tables the attempts are staged in (this session only, never logged),
    with every graded answer sheet."""
    pg = db.get_bind().dialect.name == "postgresql"
    json, stamp = ("json", "timestamp") if pg else ("text", "datetime")
    db.execute(text(f"CREATE TEMPORARY TABLE {STAGED_SHEET} (no integer, answers {json}, "
                    f"results {json}, score integer, passed boolean)"))
    db.execute(text(f"CREATE TEMPORARY TABLE {STAGED_ATTEMPT} (seq integer, user_id integer, "
                    f"lesson_id integer, n integer, started_at {stamp}, submitted_at {stamp}, "
                    "sheet integer, paid integer)"))
    bulk.insert(db, STAGED_SHEET, ("no", "answers", "results", "score", "passed"), [
        (s.no, *((bulk.copy_text(s.answers), bulk.copy_text(s.results)) if pg
                 else (s.answers, s.results)),
         s.score, ("t" if s.passed else "f") if pg else s.passed) for s in sheets])
    if pg:
        db.execute(text(f"ANALYZE {STAGED_SHEET}"))


# Ids in the order the attempts were made, given rather than drawn: sorting the joined rows
# (~600 bytes each) to draw them in order cost more than writing them.
ATTEMPTS = text(
    f"INSERT INTO lms_attempt (id, {', '.join(ATTEMPT_COLUMNS)}) "
    "SELECT :first + a.seq, a.user_id, l.quiz_id, 'lesson', a.lesson_id, "
    "'demo-' || a.lesson_id || '-' || a.n, "
    "'submitted', a.started_at, a.submitted_at, s.answers, s.results, s.score, s.passed, "
    f"a.paid FROM {STAGED_ATTEMPT} a JOIN {STAGED_SHEET} s ON s.no = a.sheet "
    "JOIN lms_micro_lesson l ON l.id = a.lesson_id")


@contextmanager
def writer(db: Session, first: int, points: dict[str, int]):
    """A function that writes a `Part` (`write`). On PostgreSQL the caller packs its rows
    for COPY and a thread sends them while the caller decides and packs the next (the
    session is the thread's until the block ends; at most one part waits): the thread
    then holds the interpreter only briefly, and the server's writing overlaps all of the
    Python. On SQLite, whose connection stays in its thread, it is written at once."""
    if db.get_bind().dialect.name != "postgresql":
        yield lambda part: write(db, part, first, points)
        return
    parts: queue.Queue = queue.Queue(maxsize=1)
    failed: list[BaseException] = []
    # The thread writes through the transaction's connection: a session may need the
    # caller's context (Flask's) to find it.
    connection = db.connection()

    def run() -> None:
        while (part := parts.get()) is not None:
            if not failed:
                try:
                    _send(connection, part, first)
                except BaseException as error:  # handed to the caller's thread
                    failed.append(error)

    def hand_over(part: Part) -> None:
        if failed:
            raise failed[0]
        parts.put([bulk.pack(*load) for load in loads(part, points)])

    thread = threading.Thread(target=run, name="demo-history-writer", daemon=True)
    thread.start()
    try:
        yield hand_over
    finally:
        parts.put(None)
        thread.join()
    if failed:
        raise failed[0]


@dataclass
class Part:
    """Rows decided and not yet written (tuples in the order of their `*_KINDS`)."""

    attempts: list[tuple] = field(default_factory=list)
    done: list[tuple] = field(default_factory=list)
    owed: list[tuple] = field(default_factory=list)
    ledger: dict[str, list[tuple]] = field(default_factory=dict)  # rule → lines
    mistakes: list[tuple] = field(default_factory=list)


def write(db: Session | Connection, part: Part, first: int, points: dict[str, int]) -> None:
    """A part: the attempts staged and joined with their graded sheets, so each sheet's JSON
    travels and is parsed once; the rest as they are (`bulk`: COPY)."""
    _send(db, loads(part, points), first)


def loads(part: Part, points: dict[str, int]) -> list[tuple[str, dict, dict]]:
    """A part's rows as `bulk.insert_columns` takes them, (table, kinds, columns), in the
    order they are written: the staged attempts first."""
    out = [(STAGED_ATTEMPT, STAGED_ATTEMPT_KINDS, by_column(STAGED_ATTEMPT_KINDS, part.attempts))]
    lesson = {"item_type": bulk.Fixed("lesson")}
    if part.done:
        out.append(("lms_completion", COMPLETION_KINDS, {
            **lesson, "status": bulk.Fixed("completed"), **by_column(DONE_KINDS, part.done)}))
    if part.owed:
        out.append(("lms_completion", COMPLETION_KINDS, {
            **lesson, "status": bulk.Fixed("in_progress"),
            "first_completed_at": bulk.Fixed(None), "attempts": bulk.Fixed(1),
            **by_column(OWED_KINDS, part.owed)}))
    for rule, lines in part.ledger.items():
        if lines:
            out.append(("lms_points_ledger", POINTS_KINDS, {
                "rule": bulk.Fixed(rule), "points": bulk.Fixed(points[rule]),
                "source_type": bulk.Fixed("lesson"), **by_column(LEDGER_KINDS, lines)}))
    if part.mistakes:
        out.append(("lms_mistake", {**MISTAKE_KINDS, "correct_streak": INT}, {
            **by_column(MISTAKE_KINDS, part.mistakes), "correct_streak": bulk.Fixed(0)}))
    return out


def _send(db: Session | Connection, rows: list, first: int) -> None:
    """Write `loads` (or the same packed, `bulk.Packed`): the staged attempts, joined into
    lms_attempt, then the other tables' rows."""
    pg = bulk.dialect(db) == "postgresql"
    staged, *rest = rows
    _insert(db, staged)
    if pg:  # plans from the staged rows' real sizes
        db.execute(text(f"ANALYZE {STAGED_ATTEMPT}"))
    db.execute(ATTEMPTS, {"first": first})
    db.execute(text(f"{'TRUNCATE' if pg else 'DELETE FROM'} {STAGED_ATTEMPT}"))
    for load in rest:
        _insert(db, load)


def _insert(db: Session | Connection, load) -> None:
    if isinstance(load, bulk.Packed):
        bulk.copy_packed(db, load)
    else:
        bulk.insert_columns(db, *load)


def by_column(kinds: dict[str, str], rows: list[tuple]) -> dict[str, list]:
    """Rows (tuples in `kinds`' order) as columns."""
    return {column: list(map(itemgetter(i), rows)) for i, column in enumerate(kinds)}


@contextmanager
def no_cycle_collection():
    """The cycle collector off while millions of row tuples are alive: nothing here makes
    cycles, and each of its full passes would walk all of them (it cost more than deciding
    the rows)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
