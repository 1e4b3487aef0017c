"""Quiz attempts: recording a submission once, grading it, and writing completion, points
and mistakes; no Flask. (The quiz before submission — its public view, option order,
opening an attempt — is `quizview`; reviewing a result and when the key is shown, `review`.)

An attempt is never lost nor counted twice, and that rests on one unique constraint,
(user_id, idempotency_key), not on reading before writing:

- the HTML quiz page and the API's lesson fetch both open an attempt (`quizview.open_quiz`:
  server-side start time, option order); submitting completes that row with
  `UPDATE ... WHERE status='open'` (an API client's own key replaces the page's), and the
  request whose update changed the row is the one that records everything else;
- without an open attempt (an API client that never fetched a quiz without a time limit)
  the submitted attempt is inserted with `ON CONFLICT (user_id, idempotency_key) DO
  NOTHING RETURNING id`, and a duplicate key (no id back) returns the stored result.

An attempt leaving a question unanswered is refused before anything is written.

Attempt, completion, points and mistakes are written in the caller's transaction, which the
caller commits once, in as few round trips as these rules allow (docs/PERFORMANCE.md,
"Attempts in fewer round trips"): the hot statements are Core statements built once and
run on the session's connection (nothing ORM is pending on this path), returning rows.
Every refusal is a `QuizError` (defined in `quizview`, with
`AttemptsExhausted`, and importable from here too).
"""
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import Text, and_, bindparam, or_, select, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ...models import Attempt, Quiz, User
from .. import hotsql
from . import draws, grading, gradingkeys, keylock, outcome
from .quizview import (
    AttemptsExhausted,
    QuizError,
    QuizItem,
    attempt_questions,
    question_key,
    remaining_attempts,
    submitted_count,
)
from .review import ResultLine, answers_shown, result_lines

GRACE = timedelta(seconds=30)  # network and rendering slack on top of a quiz's time limit
MAX_KEY_LENGTH = 80


class InvalidAnswer(QuizError):
    """Answers of the wrong shape, or for questions the quiz does not have."""

    code = "invalid_answer"


class InvalidKey(QuizError):
    """A missing or malformed idempotency key."""

    code = "invalid_idempotency_key"


class TimeLimitExceeded(QuizError):
    """Submitted after the time limit (plus grace) counted from the server's start time."""

    code = "time_limit_exceeded"


class KeyConflict(QuizError):
    """The idempotency key already belongs to another quiz or an unfinished attempt."""

    code = "idempotency_key_reused"


class NotOpened(QuizError):
    """A drawn quiz submitted without the attempt that drew its questions."""

    code = "quiz_not_opened"


class Unanswered(QuizError):
    """The attempt leaves questions unanswered; it counts as nothing."""

    code = "unanswered"

    def __init__(self, question_ids: list[int]):
        super().__init__(f"尚有 {len(question_ids)} 题未作答")
        self.question_ids = question_ids


@dataclass(frozen=True)
class SubmitResult:
    """The stored outcome of an attempt; a replay returns the very same values. The key and
    explanations in `results` are blanked unless `answers_shown` (see `review`)."""

    attempt_id: int
    score: int
    passed: bool
    points_awarded: int
    results: tuple[ResultLine, ...]
    answers_shown: bool
    attempts_left: int | None
    replayed: bool = False


def submit(db: Session, user: User | int, item: QuizItem, answers_raw: object,
           idempotency_key: object, now: datetime, rules: Mapping[str, int],
           none_open: bool = False, locked_quiz: int | None = None) -> SubmitResult:
    """Grade and record an attempt once per key; the same key again returns the first result.

    `none_open`: the caller read in this transaction that the officer has no open attempt
    at the item (the API's lesson read); then the common case skips the read after the
    lock (`_submit_cached`). `locked_quiz`: the caller's first statement in this
    transaction took this quiz's key lock and the officer's row (`keylock.grading_in`).
    Raises a QuizError for answers, keys, time limits or attempt counts the quiz refuses.
    """
    user_id = user if isinstance(user, int) else user.id
    key = _valid_key(idempotency_key)
    _check_shape(answers_raw)  # a malformed body is refused even as a retry, never replayed
    drawn = draws.is_drawn(item.quiz)
    limited = item.quiz.attempts_allowed is not None
    # Locks first, then every read: a regrade waits for us, or we grade after it; with
    # limited attempts the officer's submissions are counted one at a time; a lesson's
    # summary upkeep needs the officer's row held against a roster move (`keylock`).
    # One order everywhere: the quiz's key lock, the officer's row, the banks' key locks.
    if locked_quiz != item.quiz.id:  # else the caller's first statement took both
        if limited or item.item_type == "lesson":
            keylock.grading_for(db, item.quiz.id, user_id, exclusive=limited)
        else:
            keylock.grading(db, item.quiz.id)
    if drawn:  # and a regrade of a bank question it may have drawn
        keylock.grading_banks(db, draws.bank_ids(db, item.quiz))
    if none_open and not (drawn or limited or item.quiz.time_limit_seconds):
        cached = _submit_cached(db, user_id, item, key, answers_raw, now, rules)
        if cached is not None:
            return cached
    existing, open_one, version = _by_key_or_open(db, user_id, item, key, not drawn)
    if existing is not None and existing.status == "submitted":
        return _replay(db, existing, item, now)
    # Keys are read after the lock (or named by the version read after it), never taken
    # from the cached lesson view: a view read while a regrade held the lock would grade
    # with the key the regrade just replaced. A drawn quiz grades the questions its
    # attempt drew, never any other of the bank.
    if drawn:
        keys = [question_key(q) for q in attempt_questions(db, user_id, item, key)]
        if not keys:
            raise NotOpened("请先打开测验（获取课程内容）再作答")
    else:
        keys = gradingkeys.keys_for(db, item.quiz.id, version)
    try:
        answers = grading.parse_answers(keys, answers_raw)
    except grading.AnswerError as error:
        raise InvalidAnswer(error.message) from None
    if existing is not None and not _same_item(existing, item):
        raise KeyConflict("该幂等键已用于其他测验")
    used = submitted_count(db, user_id, item) if limited else 0  # under the row lock
    if limited and used >= item.quiz.attempts_allowed:
        raise AttemptsExhausted("作答次数已用完")
    opened = existing if existing is not None else _opened(open_one, item, now)
    if opened is not None:
        _check_time(item.quiz, opened.started_at, now)
    missing = [k.id for k in keys if _blank(answers.get(k.id))]
    if missing:  # refused before anything is written: no attempt used, the key stays free
        raise Unanswered(missing)
    graded = grading.grade(keys, answers, pass_score=item.quiz.pass_score,
                           partial_credit=item.quiz.partial_credit)
    stored = _stored(graded, now)
    stored["question_ids"] = ([k.id for k in keys] if item.quiz.draw_rules else None)
    if opened is None:  # inserted by `outcome.record`, with its first write on PostgreSQL
        attempt_id = outcome.Insert(_insert_attempt(db.get_bind().dialect.name),
                                    _insert_params(user_id, item, key, now, stored))
    else:
        stored["idempotency_key"] = key  # an API client names the attempt it completes
        attempt_id = _close(db, opened.id, stored)
        if attempt_id is None and opened is not existing:  # another key took that attempt
            stored.pop("idempotency_key")
            attempt_id = _insert(db, user_id, item, key, opened.started_at, stored)
    recorded = None
    if attempt_id is not None:
        recorded = outcome.record(db, user_id, item, attempt_id, graded, now, rules)
    if recorded is None or recorded.attempt_id is None:  # the key won elsewhere just now
        return _replay(db, _by_key(db, user_id, key), item, now)
    # with limited attempts, `used` was counted under the officer's row lock: this one more
    left = max(0, item.quiz.attempts_allowed - used - 1) if limited else None
    return _submitted(db, user_id, item, graded, stored, recorded, now, left)


def _submitted(db: Session, user_id: int, item: QuizItem, graded: grading.GradeResult,
               stored: dict, recorded: outcome.Recorded, now: datetime,
               left: int | None) -> SubmitResult:
    """The result of a newly recorded attempt, its key shown as the review policy says."""
    shown = answers_shown(db, user_id, item, now, passed_now=graded.passed,
                          passed_before=recorded.passed_before)
    return SubmitResult(recorded.attempt_id, graded.score, graded.passed, recorded.paid,
                        result_lines(db, user_id, item, stored["results"], shown, now), shown,
                        left, replayed=False)


def _submit_cached(db: Session, user_id: int, item: QuizItem, key: str, answers_raw: object,
                   now: datetime, rules: Mapping[str, int]) -> SubmitResult | None:
    """The common submission (a fixed quiz, no attempt limit or timer, no open attempt to
    complete) without reading anything after the lock: graded with the keys this worker
    read last (`gradingkeys.latest`) and inserted by a statement that writes only while
    that version is still the current one in its snapshot, which starts after the lock
    was granted, so a regrade that committed before is seen. None, with nothing written,
    sends the caller down the full path: no cached keys, answers they refuse (refused
    there, by keys current after the lock), a version gone stale, or the key taken (a
    retry, a concurrent copy, another quiz's key: replayed or refused there)."""
    cached = gradingkeys.latest(item.quiz.id)
    if cached is None:
        return None
    version, keys = cached
    try:
        answers = grading.parse_answers(keys, answers_raw)
    except grading.AnswerError:
        return None
    if any(_blank(answers.get(k.id)) for k in keys):
        return None
    graded = grading.grade(keys, answers, pass_score=item.quiz.pass_score,
                           partial_credit=item.quiz.partial_credit)
    stored = _stored(graded, now)
    stored["question_ids"] = None  # a fixed quiz
    insert = outcome.Insert(_insert_attempt(db.get_bind().dialect.name, guarded=True),
                            {**_insert_params(user_id, item, key, now, stored),
                             "p_version": version})
    recorded = outcome.record(db, user_id, item, insert, graded, now, rules)
    if recorded.attempt_id is None:
        return None
    return _submitted(db, user_id, item, graded, stored, recorded, now, None)


def _blank(answer: object) -> bool:
    """An answer that says nothing: none, an empty text, an empty selection."""
    return answer is None or answer == "" or answer == ()


def _stored(graded: grading.GradeResult, now: datetime) -> dict:
    """The attempt's graded columns, in the JSON shapes the API answers with."""
    return {
        "submitted_at": now, "score": graded.score, "passed": graded.passed,
        "answers": {str(r.question_id): _json(r.given) for r in graded.results
                    if r.given is not None},
        "results": [{"question_id": r.question_id, "correct": r.correct,
                     "given": _json(r.given), "correct_answer": _json(r.correct_answer),
                     "explanation": r.explanation} for r in graded.results],
    }


def _check_shape(raw: object) -> None:
    """Answers as the contract shapes them, whatever the quiz: a mapping of question id to a
    key, a list of keys, a boolean, text or null (unanswered)."""
    if not isinstance(raw, Mapping):
        raise InvalidAnswer("answers 必须是题目编号到答案的映射")
    for value in raw.values():
        if not (value is None or isinstance(value, (str, bool)) or (
                isinstance(value, list) and all(isinstance(item, str) for item in value))):
            raise InvalidAnswer("答案只能是选项、选项列表、是非或文字")


def _valid_key(raw: object) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidKey("需要 idempotency_key（字符串）")
    if len(raw) > MAX_KEY_LENGTH:
        raise InvalidKey(f"idempotency_key 最长 {MAX_KEY_LENGTH} 个字符")
    return raw


def _by_key(db: Session, user_id: int, key: str):
    """The user's attempt with this key (the columns `_replay` needs), or None."""
    return db.execute(_ATTEMPT.where(_ATTEMPT_TABLE.c.user_id == bindparam("p_user_id"),
                                     _ATTEMPT_TABLE.c.idempotency_key == bindparam("p_key")),
                      {"p_user_id": user_id, "p_key": key}).first()


def _by_key_or_open(db: Session, user_id: int, item: QuizItem, key: str, with_version: bool):
    """In one read: the user's attempt with this key, else their latest open attempt at the
    item (what `_opened` completes when no attempt has the key), and with `with_version`
    the version of the quiz's keys (`gradingkeys`, None on SQLite): (existing, open, version)."""
    dialect = db.get_bind().dialect.name
    versioned = with_version and dialect == "postgresql"
    row = hotsql.execute(db, _lookup(versioned), {
        "p_user_id": user_id, "p_key": key, "p_item_type": item.item_type,
        "p_item_id": item.item_id, "p_quiz_id": item.quiz.id}).first()
    version = row.version if versioned and row is not None else None
    if row is None or row.id is None:
        return None, None, version
    if row.idempotency_key == key:
        return row, None, version
    return None, row, version


_ATTEMPT_TABLE = Attempt.__table__
_ATTEMPT_COLUMNS = tuple(_ATTEMPT_TABLE.c[name] for name in (
    "id", "user_id", "item_type", "item_id", "idempotency_key", "status", "started_at",
    "score", "passed", "points_awarded", "results", "question_ids"))
_ATTEMPT = select(*_ATTEMPT_COLUMNS)


@lru_cache(maxsize=2)
def _lookup(versioned: bool):
    """`_by_key_or_open`'s statement, built once; with the keys' version on PostgreSQL
    (one row even when the user has no such attempt)."""
    t = _ATTEMPT_TABLE
    key = bindparam("p_key", type_=t.c.idempotency_key.type)
    found = (_ATTEMPT.where(
        t.c.user_id == bindparam("p_user_id"),
        or_(t.c.idempotency_key == key,
            and_(t.c.item_type == bindparam("p_item_type"),
                 t.c.item_id == bindparam("p_item_id"),
                 t.c.quiz_id == bindparam("p_quiz_id"), t.c.status == "open")))
        .order_by((t.c.idempotency_key == key).desc(), t.c.started_at.desc()).limit(1))
    if not versioned:
        return found
    base = select(gradingkeys.version_sql(bindparam("p_quiz_id")).label("version")).subquery()
    found = found.lateral("found")
    return select(base.c.version, *found.c).select_from(base.outerjoin(found, true()))


def _same_item(attempt: Attempt, item: QuizItem) -> bool:
    return (attempt.item_type, attempt.item_id) == (item.item_type, item.item_id)


def _replay(db: Session, attempt: Attempt | None, item: QuizItem, now: datetime
            ) -> SubmitResult:
    if attempt is None or attempt.status != "submitted" or not _same_item(attempt, item):
        raise KeyConflict("该幂等键已用于其他测验")
    shown = answers_shown(db, attempt.user_id, item, now)
    return SubmitResult(attempt.id, attempt.score, attempt.passed, attempt.points_awarded,
                        result_lines(db, attempt.user_id, item, attempt.results, shown, now,
                                     drawn=attempt.question_ids is not None), shown,
                        remaining_attempts(db, attempt.user_id, item), replayed=True)


def _opened(attempt: Attempt | None, item: QuizItem, now: datetime) -> Attempt | None:
    """The attempt an API submission completes: the user's open one (`attempt`, read by
    `_by_key_or_open`), which `quizview.open_quiz` started when the quiz was fetched (its own
    start time and option order). A time-limited quiz needs one that can still be
    submitted; fetching the quiz again opens a fresh one."""
    limit = item.quiz.time_limit_seconds
    if limit is None:
        return attempt
    if attempt is None:
        raise TimeLimitExceeded("限时测验：请先获取课程内容再作答")
    if now > attempt.started_at + timedelta(seconds=limit) + GRACE:
        raise TimeLimitExceeded("已超过答题时限，本次作答未计入；请重新获取课程内容再作答")
    return attempt


def _check_time(quiz: Quiz, started_at: datetime, now: datetime) -> None:
    if quiz.time_limit_seconds is None:
        return
    if now > started_at + timedelta(seconds=quiz.time_limit_seconds) + GRACE:
        raise TimeLimitExceeded("已超过答题时限，本次作答未计入")


def _insert(db: Session, user_id: int, item: QuizItem, key: str, started_at: datetime,
            stored: dict) -> int | None:
    """Insert the submitted attempt; None when the key is already taken. Only the
    (user, key) constraint is absorbed: any other violation still raises."""
    return hotsql.execute(db, _insert_attempt(db.get_bind().dialect.name),
                          _insert_params(user_id, item, key, started_at, stored)).scalar()


def _insert_params(user_id: int, item: QuizItem, key: str, started_at: datetime,
                   stored: dict) -> dict:
    """The binds of `_insert_attempt`."""
    return {"p_user_id": user_id, "p_quiz_id": item.quiz.id, "p_item_type": item.item_type,
            "p_item_id": item.item_id, "p_idempotency_key": key, "p_status": "submitted",
            "p_started_at": started_at, "p_points_awarded": 0,
            **{f"p_{name}": value for name, value in stored.items()}}


_INSERTED = ("user_id", "quiz_id", "item_type", "item_id", "idempotency_key", "status",
             "started_at", "points_awarded", "submitted_at", "score", "passed", "answers",
             "results", "question_ids")


@lru_cache(maxsize=4)
def _insert_attempt(dialect: str, guarded: bool = False):
    """`_insert`'s statement, built once per dialect (binds: p_<column>); RETURNING id, no
    row when the (user, key) constraint refused it. `guarded` (PostgreSQL): and no row
    unless the version of the quiz's keys is still p_version (`gradingkeys.version_sql`)."""
    table = Attempt.__table__
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(table)
    binds = {name: bindparam(f"p_{name}", type_=table.c[name].type) for name in _INSERTED}
    if guarded:
        row = select(*binds.values()).where(
            gradingkeys.version_sql(binds["quiz_id"]) == bindparam("p_version", type_=Text))
        insert = insert.from_select(_INSERTED, row)
    else:
        insert = insert.values(binds)
    return (insert.on_conflict_do_nothing(index_elements=("user_id", "idempotency_key"))
            .returning(table.c.id))


def _close(db: Session, attempt_id: int, stored: dict) -> int | None:
    """Complete an open attempt; its id only for the request whose update changed the row."""
    return hotsql.execute(db, _close_statement(), {"p_id": attempt_id, **{
        f"p_{name}": value for name, value in stored.items()}}).scalar()


@lru_cache(maxsize=1)
def _close_statement():
    """`_close`'s UPDATE … RETURNING id, built once (binds: p_id, p_<column>)."""
    t = _ATTEMPT_TABLE
    names = ("submitted_at", "score", "passed", "answers", "results", "question_ids",
             "idempotency_key")
    return (update(t).where(t.c.id == bindparam("p_id"), t.c.status == "open")
            .values(status="submitted",
                    **{name: bindparam(f"p_{name}", type_=t.c[name].type) for name in names})
            .returning(t.c.id))


def _json(value: object) -> object:
    return list(value) if isinstance(value, tuple) else value
