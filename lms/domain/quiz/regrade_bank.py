"""Regrading a bank question: its attempts are found by the question they drew, across every
quiz that drew it, then regraded by the rules of `regrade` (docs/REGRADING.md); no Flask.

Concurrency: `apply` locks the bank row FOR UPDATE (regrades and imports of one bank are
serial) and the bank's key lock exclusively (`keylock.changing_bank`); a drawn quiz's
submission holds the key lock of every bank its rules draw from shared
(`keylock.grading_banks`), so it grades wholly before the regrade or after it.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import Text, cast, or_, select
from sqlalchemy.orm import Session

from ...models import Attempt, Question, QuestionBank, Quiz, User
from ..org import policy
from . import keylock
from .regrade import RegradeError, RegradePlan, RegradeResult, confirmed, plan_of, write
from .regrade_state import Outcome, chunks, compute_over

LIKE_MAX = 50  # question ids filtered in SQL by their digits; more are filtered here only


def holding(db: Session, question_ids: Iterable[int]) -> list[tuple[int, int, list]]:
    """(attempt id, quiz id, drawn ids) of the submitted attempts that drew any of these
    questions. The text of the stored draw is filtered in SQL by the ids' digits (a cheap
    superset on both databases, JSON null excluded), then exactly here."""
    wanted = set(question_ids)
    if not wanted:
        return []
    drawn = cast(Attempt.question_ids, Text)
    query = select(Attempt.id, Attempt.quiz_id, Attempt.question_ids).where(
        Attempt.status == "submitted", Attempt.question_ids.isnot(None), drawn != "null")
    if len(wanted) <= LIKE_MAX:  # a longer OR would pass SQLite's expression depth
        query = query.where(or_(*(drawn.like(f"%{qid}%") for qid in sorted(wanted))))
    rows = db.execute(query.order_by(Attempt.id))
    return [(r.id, r.quiz_id, r.question_ids) for r in rows
            if isinstance(r.question_ids, list) and wanted & set(r.question_ids)]


def answered(db: Session, question_ids: Iterable[int]) -> set[int]:
    """Which of these questions a submitted attempt drew (so officers have answered them)."""
    wanted = set(question_ids)
    return {qid for _a, _q, ids in holding(db, wanted) for qid in ids if qid in wanted}


def answered_count(db: Session, question: Question) -> int:
    """Submitted attempts, of any quiz, that drew the question."""
    return len(holding(db, [question.id]))


def compute(db: Session, bank_id: int, new_answers: Mapping[int, object]) -> Outcome:
    """Every submitted attempt that drew a question of ``new_answers`` graded again."""
    found = holding(db, new_answers)
    quizzes = {q.id: q for part in chunks({quiz_id for _a, quiz_id, _i in found})
               for q in db.scalars(select(Quiz).where(Quiz.id.in_(part)))}
    attempts = [a for part in chunks(a for a, _q, _i in found)
                for a in db.scalars(select(Attempt).where(Attempt.id.in_(part)))]
    attempts.sort(key=lambda a: a.id)
    return compute_over(db, None, bank_id, quizzes, attempts, new_answers)


def plan(db: Session, bank_id: int, new_answers: Mapping[int, object]) -> RegradePlan:
    """What changing keys of the bank's questions would change; nothing is written."""
    _check(db, bank_id, new_answers)
    return plan_of(db, compute(db, bank_id, new_answers))


def apply(db: Session, actor: User, bank_id: int, new_answers: Mapping[int, object],
          token: str, now: datetime, rules: Mapping[str, int], ip: str | None = None
          ) -> RegradeResult:
    """Change the keys and regrade every attempt that drew the questions, if the state is
    the one the confirmed preview (``token``) showed; no commit."""
    policy.require_author(actor)
    db.execute(select(QuestionBank.id).where(QuestionBank.id == bank_id).with_for_update())
    keylock.changing_bank(db, bank_id)
    db.expire_all()  # read the keys and attempts as they are now that we hold the locks
    bank = _check(db, bank_id, new_answers)
    outcome = compute(db, bank_id, new_answers)
    current = confirmed(db, outcome, token)
    return write(db, actor, outcome, current, token, now, rules, f"bank:{bank.key}", ip)


def _check(db: Session, bank_id: int, new_answers: Mapping[int, object]) -> QuestionBank:
    bank = db.get(QuestionBank, bank_id)
    if bank is None or not new_answers:
        raise RegradeError("题库不存在或没有要更正的题目")
    owned = set(db.scalars(select(Question.id).where(Question.bank_id == bank_id)))
    if not set(new_answers) <= owned:
        raise RegradeError("题目不属于这个题库")
    return bank
