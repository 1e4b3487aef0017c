"""Quizzes drawn from the question banks: "draw N from tag T [in bank B]"; no Flask.

A drawn quiz (`Quiz.draw_rules` set) has no questions of its own. Each attempt draws its
questions once, when it is opened, seeded by the attempt's idempotency key: the same
attempt always shows and grades the same questions (`Attempt.question_ids`), a retake opens
a new attempt and so draws again. Only drawn questions are graded, so a result never holds
the key of a question the officer was not given. See docs/BANKS.md.
"""
from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import Attempt, Question, QuestionBank, Quiz

MAX_DRAW = 100  # questions one rule may draw


@dataclass(frozen=True)
class DrawRule:
    """Draw `count` questions tagged `tag`, from bank `bank` (a key) or from every bank."""

    tag: str
    count: int
    bank: str | None = None

    def as_json(self) -> dict:
        """The rule as `Quiz.draw_rules` stores it."""
        return {"tag": self.tag, "count": self.count, "bank": self.bank}


def rules_of(quiz: Quiz | None) -> tuple[DrawRule, ...]:
    """A quiz's draw rules; () for a quiz of fixed questions."""
    return tuple(DrawRule(r["tag"], int(r["count"]), r.get("bank"))
                 for r in (quiz.draw_rules or ())) if quiz is not None else ()


def is_drawn(quiz: Quiz | None) -> bool:
    """True when the quiz draws its questions from the banks."""
    return bool(quiz is not None and quiz.draw_rules)


def candidates(db: Session, rule: DrawRule) -> list[Question]:
    """The live bank questions a rule may draw, in a fixed order (bank, key)."""
    query = (select(Question).join(QuestionBank, QuestionBank.id == Question.bank_id)
             .where(Question.retired.is_(False)).order_by(QuestionBank.key, Question.key))
    if rule.bank is not None:
        query = query.where(QuestionBank.key == rule.bank)
    # Tags are a short JSON list per question and banks hold hundreds, not millions, of
    # questions: filtering here keeps one query for both databases.
    return [q for q in db.scalars(query) if rule.tag in (q.tags or ())]


def draw(db: Session, rules: Sequence[DrawRule], seed: str) -> list[Question]:
    """The questions an attempt seeded by `seed` gets: the same seed, the same draw. A
    question never comes twice; a rule short of questions gives what there is."""
    drawn: list[Question] = []
    taken: set[int] = set()
    for index, rule in enumerate(rules):
        pool = [q for q in candidates(db, rule) if q.id not in taken]
        picked = random.Random(f"{seed}:{index}").sample(pool, min(rule.count, len(pool)))
        drawn.extend(picked)
        taken.update(q.id for q in picked)
    return drawn


def questions_by_ids(db: Session, ids: Sequence[int]) -> list[Question]:
    """Questions in the order of `ids` (an attempt's draw), retired ones included: what was
    drawn stays what the attempt is graded on."""
    found = {q.id: q for q in db.scalars(select(Question).where(Question.id.in_(list(ids))))}
    return [found[i] for i in ids if i in found]


def attempt_draw(db: Session, user_id: int, item_type: str, item_id: int, quiz_id: int,
                 idempotency_key: object) -> list[Question]:
    """The draw of the user's attempt with this key at the item, else of their open one."""
    where = (Attempt.user_id == user_id, Attempt.item_type == item_type,
             Attempt.item_id == item_id, Attempt.quiz_id == quiz_id)
    ids = None
    if isinstance(idempotency_key, str):
        ids = db.scalar(select(Attempt.question_ids).where(
            *where, Attempt.idempotency_key == idempotency_key))
    if ids is None:
        ids = db.scalar(select(Attempt.question_ids).where(*where, Attempt.status == "open")
                        .order_by(Attempt.started_at.desc()).limit(1))
    return questions_by_ids(db, ids or ())


def unknown_banks(db: Session, rules) -> list[str]:
    """The bank keys named by draw rules (anything with `.bank`) that no bank has."""
    named = sorted({r.bank for r in rules if r.bank is not None})
    if not named:
        return []
    known = set(db.scalars(select(QuestionBank.key).where(QuestionBank.key.in_(named))))
    return [key for key in named if key not in known]


def bank_ids(db: Session, quiz: Quiz) -> list[int]:
    """The ids of the banks a drawn quiz's rules draw from (every bank for a rule naming
    none), read as plain columns so no question is loaded before its key lock is held."""
    named = {r.bank for r in rules_of(quiz)}
    query = select(QuestionBank.id)
    if None not in named:
        query = query.where(QuestionBank.key.in_(sorted(named)))
    return sorted(db.scalars(query))


def draws_from(quiz: Quiz, bank_key: str) -> bool:
    """Whether a quiz's rules may draw questions of the bank ``bank_key``."""
    return any(r.bank is None or r.bank == bank_key for r in rules_of(quiz))
