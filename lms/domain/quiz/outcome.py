"""What a newly recorded attempt changes besides itself: the completion row (best and first
score, reading time), the reports' summary, points and the mistake notebook; no Flask.
Called by `attempts.submit` in its transaction, once per attempt (the request that
recorded it), after `keylock` locked the officer's row for a lesson (`grading_for`, or the
API's first statement: `grading_in`)."""
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy import (
    DateTime,
    Integer,
    String,
    bindparam,
    exists,
    func,
    literal,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ...models import Attempt, PointsEntry
from .. import hotsql
from ..learning import completion, points, studyminutes
from ..reports import unitstats
from . import grading, mistakes, review
from .quizview import QuizItem


@dataclass(frozen=True)
class Insert:
    """An attempt to insert, not yet written: an INSERT … ON CONFLICT (user, key) DO NOTHING
    RETURNING id and its binds. `record` writes it first, on PostgreSQL together with the
    completion row's claim (one round trip); no id back means the key was taken."""

    statement: object
    params: dict


@dataclass(frozen=True)
class Recorded:
    """The attempt's id (None: an `Insert` the key constraint refused; nothing else was
    written), points paid, and `passed_before`: whether the officer had passed the item's
    quiz before, read with a failed attempt's completion (None after a pass)."""

    attempt_id: int | None
    paid: int = 0
    passed_before: bool | None = None


def record(db: Session, user_id: int, item: QuizItem, attempt: "int | Insert",
           graded: grading.GradeResult, now: datetime, rules: Mapping[str, int]) -> Recorded:
    """Completion, points and mistakes of a newly recorded attempt (its id), or of one still
    to insert (`Insert`), which is written first."""
    kind, item_id = item.item_type, item.item_id
    lesson = kind == "lesson"  # a lesson is read on its quiz page; courseware on its own page
    wrong = [r.question_id for r in graded.results if not r.correct]
    postgres = db.get_bind().dialect.name == "postgresql"
    if isinstance(attempt, Insert) and not (postgres and lesson and graded.passed):
        attempt = hotsql.execute(db, attempt.statement, attempt.params).scalar()
        if attempt is None:
            return Recorded(None)
    if not graded.passed:
        passed_before = completion.record_attempt(db, user_id, kind, item_id, now,
                                                  graded.score, close_visit=lesson,
                                                  returning=_PASSED_BEFORE).passed_before
        mistakes.record_wrong(db, user_id, wrong, now, source=(kind, item_id))
        return Recorded(attempt, 0, passed_before)
    if lesson:  # the reports' per-(lesson, unit) summary, same transaction
        counted = unitstats.record_completion(db, user_id, item_id, now, graded.score,
                                              deferred=postgres, inserting=attempt)
        if counted.before is None:  # the key was taken: nothing written
            return Recorded(None)
        attempt = counted.attempt_id or attempt
    else:  # courseware: only the study-minutes summary, found under the row's lock
        before = completion.lock_row(db, user_id, kind, item_id, now)
        counted = unitstats.Counted(before, minutes=studyminutes.first_completion(
            user_id, kind, item_id, before, now))
    first_before = counted.before.first_completed_at if lesson else None
    rule, amount, bonus = _rules(item, graded, now, rules, first_before)
    if postgres:  # the rest in one round trip (`_passing_statement`)
        return Recorded(attempt, _write_pass(db, user_id, item, attempt, graded, now, counted,
                                             wrong, rule, amount, bonus))
    completion.write_completed(db, user_id, kind, item_id, now, score=graded.score,
                               attempted=True)
    if counted.minutes and not lesson:  # a lesson's was written by record_completion
        db.execute(studyminutes.add_statement(db.get_bind().dialect.name), counted.minutes)
    paid = 0
    if amount or bonus:
        paid = sum(db.execute(_pay_statement(db.get_bind().dialect.name, bool(bonus)),
                              _pay_params(user_id, item, now, rule, amount, bonus)).scalars())
    mistakes.record_wrong(db, user_id, wrong, now, source=(kind, item_id))
    if paid:
        db.execute(_POINTS_AWARDED, {"p_id": attempt, "p_paid": paid})
    return Recorded(attempt, paid)


def _write_pass(db: Session, user_id: int, item: QuizItem, attempt_id: int,
                graded: grading.GradeResult, now: datetime, counted, wrong: list[int],
                rule: str, amount: int, bonus: int) -> int:
    """PostgreSQL: the completion upsert, the summary increment (if any), the mistakes (if
    any), the points and the attempt's `points_awarded`, as one statement; returns points
    paid. Each part is the very statement its module writes on its own; the completion row
    is locked already (`record_completion`, `completion.lock_row`), so their order inside
    the statement does not matter: they touch different rows, and the summary increment is
    commutative."""
    kind, item_id = item.item_type, item.item_id
    params = {**completion.mark_completed_params(user_id, kind, item_id, now,
                                                 score=graded.score, attempted=True),
              **_pay_params(user_id, item, now, rule, amount, bonus), "p_id": attempt_id}
    if counted.increment:
        params.update(counted.increment)
    if counted.minutes:
        params.update(counted.minutes)
    if wrong:
        params.update(mistakes.wrong_params(user_id, wrong, now, source=(kind, item_id)))
    statement = _passing_statement(bool(counted.increment), bool(counted.minutes), bool(wrong),
                                   bool(bonus))
    return int(hotsql.execute(db, statement, params).scalar())


@lru_cache(maxsize=16)
def _passing_statement(with_increment: bool, with_minutes: bool, with_wrong: bool,
                       with_bonus: bool):
    """`_write_pass`'s statement, built once per shape: data-modifying CTEs, the points
    paid summed by the outer SELECT."""
    attempts = Attempt.__table__
    parts = [completion.mark_completed_statement("postgresql").cte("completed")]
    if with_increment:
        parts.append(unitstats.add_statement("postgresql").cte("counted"))
    if with_minutes:
        parts.append(studyminutes.add_statement("postgresql").cte("minutes"))
    if with_wrong:
        parts.append(mistakes.wrong_statement().cte("wrong"))
    paid = _pay_statement("postgresql", with_bonus).cte("paid")
    total = select(func.sum(paid.c.points)).scalar_subquery()
    parts.append(update(attempts)
                 .where(attempts.c.id == bindparam("p_id"), exists(select(paid.c.points)))
                 .values(points_awarded=total).cte("awarded"))
    return select(func.coalesce(total, 0)).add_cte(*parts)


def _rules(item: QuizItem, graded: grading.GradeResult, now: datetime,
           rules: Mapping[str, int], first_before: datetime | None) -> tuple[str, int, int]:
    """The points rule a pass is paid under, its amount, and the perfect-score bonus to
    offer (0: none). On time or late follows the *first* completion, which never changes
    (`first_before`, else this one), so every later pass names the same rule and the
    ledger's key refuses it."""
    if item.item_type != "lesson":
        rule, bonus = f"{item.item_type}_quiz", 0
    else:
        on_time = item.due_at is None or (first_before or now) <= item.due_at
        rule = "lesson_on_time" if on_time else "lesson_late"
        # The perfect-score bonus is for knowing the answers, not for a retake after the
        # result page showed them: only a perfect first attempt earns it (counted by the
        # ledger statement, after this attempt was stored).
        bonus = int(rules.get("lesson_perfect") or 0) if graded.score == 100 else 0
    return rule, int(rules.get(rule) or 0), bonus


def _pay_params(user_id: int, item: QuizItem, now: datetime, rule: str, amount: int,
                bonus: int) -> dict:
    return {"p_user_id": user_id, "p_source_type": item.item_type,
            "p_source_id": item.item_id, "p_at": now, "p_rule": rule, "p_points": amount,
            "p_bonus": bonus}


@lru_cache(maxsize=4)
def _pay_statement(dialect: str, with_bonus: bool):
    """The ledger insert of a pass, built once per dialect and shape: the rule's line when its
    amount is positive, and with `with_bonus` the perfect-score line when this is the
    officer's only submitted attempt at the item."""
    ledger, attempts = PointsEntry.__table__, Attempt.__table__
    user = bindparam("p_user_id", type_=Integer)
    source_type, source_id = (bindparam("p_source_type", type_=String(16)),
                              bindparam("p_source_id", type_=Integer))
    at = bindparam("p_at", type_=DateTime)
    amount, bonus = bindparam("p_points", type_=Integer), bindparam("p_bonus", type_=Integer)
    lines = select(user, bindparam("p_rule", type_=String(32)), amount, source_type,
                   source_id, at).where(amount > 0)
    if with_bonus:
        submitted = (select(func.count()).select_from(attempts)
                     .where(attempts.c.user_id == user, attempts.c.item_type == source_type,
                            attempts.c.item_id == source_id, attempts.c.status == "submitted")
                     .scalar_subquery())
        lines = union_all(lines, select(user, literal("lesson_perfect", String(32)), bonus,
                                        source_type, source_id, at)
                          .where(bonus > 0, submitted == 1))
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(ledger)
    return (insert.from_select(("user_id", "rule", "points", "source_type", "source_id", "at"),
                               lines)
            .on_conflict_do_nothing(index_elements=points.KEY)
            .returning(ledger.c.points))


_PASSED_BEFORE = (exists().where(*review.passed_where(
    bindparam("p_user_id"), bindparam("p_item_type"), bindparam("p_item_id")))
    .label("passed_before"),)

_POINTS_AWARDED = (update(Attempt.__table__)
                   .where(Attempt.__table__.c.id == bindparam("p_id"))
                   .values(points_awarded=bindparam("p_paid", type_=Integer)))
