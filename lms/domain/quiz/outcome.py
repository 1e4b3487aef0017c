"""What a newly recorded attempt changes besides itself: the completion row (best and first
score), the reports' summary, points and the mistake notebook; no Flask. Called by
`attempts.submit` in its transaction, once per attempt (the request that recorded it)."""
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ...models import Attempt, Completion
from ..learning import completion, points
from ..reports import unitstats
from . import grading, mistakes
from .quizview import QuizItem, submitted_count


def record(db: Session, user_id: int, item: QuizItem, attempt_id: int,
            graded: grading.GradeResult, now: datetime, rules: Mapping[str, int]) -> int:
    """Completion, points and mistakes of a newly recorded attempt; returns points paid."""
    kind, item_id = item.item_type, item.item_id
    if kind == "lesson":  # a lesson is read on its quiz page; courseware on its own page
        completion.add_reading_time(db, user_id, kind, item_id, now)
    if graded.passed:
        if kind == "lesson":  # the reports' per-(lesson, unit) summary, same transaction
            unitstats.record_completion(db, user_id, item_id, now, graded.score)
        completion.mark_completed(db, user_id, kind, item_id, now, score=graded.score,
                                  attempted=True)
    else:
        completion.record_attempt(db, user_id, kind, item_id, now, graded.score)
    paid = _pay(db, user_id, item, graded, now, rules) if graded.passed else 0
    mistakes.record_wrong(db, user_id, [r.question_id for r in graded.results if not r.correct],
                          now, source=(kind, item_id))
    if paid:
        db.execute(update(Attempt).where(Attempt.id == attempt_id)
                   .values(points_awarded=paid).execution_options(synchronize_session=False))
    return paid


def _pay(db: Session, user_id: int, item: QuizItem, graded: grading.GradeResult,
         now: datetime, rules: Mapping[str, int]) -> int:
    """Points for a pass. On time or late follows the *first* completion, which never
    changes, so every later pass names the same rule and the ledger's key refuses it."""
    def pay(rule: str) -> int:
        amount = int(rules.get(rule) or 0)
        paid = amount and points.award(db, user_id, rule, item.item_type, item.item_id,
                                       amount, at=now)
        return amount if paid else 0

    if item.item_type != "lesson":
        return pay(f"{item.item_type}_quiz")
    # The first completion is never later than now: before the due time it is on time
    # whatever it was, so the row is only read after the due time.
    on_time = item.due_at is None or now <= item.due_at
    if not on_time:
        first = db.scalar(select(Completion.first_completed_at).where(
            Completion.user_id == user_id, Completion.item_type == "lesson",
            Completion.item_id == item.item_id))
        on_time = (first or now) <= item.due_at
    paid = pay("lesson_on_time" if on_time else "lesson_late")
    # The perfect-score bonus is for knowing the answers, not for a retake after the result
    # page showed them: only a perfect first attempt earns it.
    if graded.score == 100 and submitted_count(db, user_id, item) == 1:
        paid += pay("lesson_perfect")
    return paid
