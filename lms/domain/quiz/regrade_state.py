"""A regrade computed, nothing written: every attempt holding a regraded question marked
again under the new keys (`regrade_marking`), and each officer's record for each item
recomputed from their attempts; no Flask. `regrade` turns it into a preview,
`regrade_effects` writes it."""
from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, or_, select, tuple_
from sqlalchemy.orm import Session

from ...models import (
    Attempt,
    Completion,
    Courseware,
    MicroLesson,
    PointsEntry,
    Question,
    Quiz,
    Unit,
    User,
)
from . import grading
from . import regrade_marking as marking
from .quizview import question_key
from .regrade_marking import AttemptChange

CHUNK = 500  # ids per IN list (SQLite's bound parameters)
QUIZ_RULES = {"lesson": ("lesson_on_time", "lesson_late", "lesson_perfect"),
              "courseware": ("courseware_quiz",)}
REGRADE_RULE_PREFIX = "regrade:"


@dataclass(frozen=True)
class OfficerChange:
    """One officer's record for one item, before and after the regrade."""

    user_id: int
    name: str
    police_no: str
    unit_name: str
    item_type: str
    item_id: int
    item_title: str
    attempts: int  # their attempts whose result changes
    old_best: int | None
    new_best: int | None
    old_first: int | None
    new_first: int | None
    was_passed: bool
    now_passed: bool

    @property
    def pass_change(self) -> str | None:
        """"pass_to_fail", "fail_to_pass" or None."""
        if self.was_passed == self.now_passed:
            return None
        return "fail_to_pass" if self.now_passed else "pass_to_fail"


@dataclass
class Record:
    """An officer's completion of one item: (status, first_completed_at, best, first)."""

    status: str
    first_completed_at: datetime | None
    best_score: int | None
    first_score: int | None
    first_attempt_score: int | None  # for the perfect-first-attempt bonus


@dataclass
class Group:
    """One officer and item touched by the regrade."""

    user_id: int
    item_type: str
    item_id: int
    old: Record
    new: Record
    net_paid: int = 0  # quiz points already in the ledger for this item, adjustments included
    changed_attempts: int = 0


@dataclass
class Outcome:
    """Everything a regrade would change; `token` digests what a preview shows."""

    quiz_id: int | None  # the fixed quiz regraded, or None for bank questions
    old_answers: dict[int, object]  # question id → stored key
    new_answers: dict[int, object]  # question id → new key
    answered: int
    affected: int
    attempts: list[AttemptChange]
    groups: list[Group]
    officers: list[OfficerChange]
    due_at: dict[int, datetime | None] = field(default_factory=dict)  # lesson id → due
    titles: dict[tuple[str, int], str] = field(default_factory=dict)
    links: dict[tuple[str, int], str] = field(default_factory=dict)  # where officers see it
    token: str = ""
    bank_id: int | None = None  # the bank of the regraded questions, when they are a bank's


def compute(db: Session, quiz: Quiz, new_answers: Mapping[int, object]) -> Outcome:
    """Grade every submitted attempt of ``quiz`` holding a question of ``new_answers``
    (question id → key in the stored shape) again under the new keys."""
    attempts = db.scalars(select(Attempt).where(Attempt.quiz_id == quiz.id,
                                                Attempt.status == "submitted")
                          .order_by(Attempt.id))
    return compute_over(db, quiz.id, None, {quiz.id: quiz}, attempts, new_answers)


def compute_over(db: Session, quiz_id: int | None, bank_id: int | None,
                 quizzes: Mapping[int, Quiz], attempts: Iterable[Attempt],
                 new_answers: Mapping[int, object]) -> Outcome:
    """Grade ``attempts`` (submitted, of ``quizzes``, in id order) holding a question of
    ``new_answers`` again; each attempt under its own quiz's pass mark and partial credit.
    A fixed quiz's regrade names its quiz, a bank question's its bank."""
    questions = {q.id: q for q in db.scalars(select(Question).where(
        Question.id.in_(list(new_answers))))}
    keys = {}
    for qid, answer in new_answers.items():
        old = question_key(questions[qid])
        new = grading.QuestionKey(qid, old.kind, old.option_keys,
                                  tuple(answer) if isinstance(answer, list) else answer,
                                  old.explanation)
        keys[qid] = (old, new)
    holding = [a for a in attempts
               if any(line.get("question_id") in keys for line in a.results or ())]
    kinds: dict[int, str] = {}
    for part in chunks({line.get("question_id") for a in holding for line in a.results or ()
                        if isinstance(line.get("question_id"), int)}):
        kinds.update(db.execute(select(Question.id, Question.kind)
                                .where(Question.id.in_(part))).all())
    changes = []
    for attempt in holding:
        change = marking.regrade(attempt, keys, kinds, quizzes[attempt.quiz_id])
        if change is not None:
            changes.append(change)
    outcome = Outcome(quiz_id, {qid: questions[qid].answer for qid in new_answers},
                      dict(new_answers), len(changes), sum(c.changed for c in changes),
                      changes, [], [], bank_id=bank_id)
    _group(db, outcome)
    marks = sorted({(a.quiz_id, quizzes[a.quiz_id].pass_score,
                     bool(quizzes[a.quiz_id].partial_credit)) for a in holding})
    outcome.token = _token(outcome, marks)
    return outcome


def chunks(values: Iterable, size: int = CHUNK):
    """Sorted values in lists of at most `size`."""
    ordered = sorted(set(values))
    for start in range(0, len(ordered), size):
        yield ordered[start:start + size]


# --- officers' records --------------------------------------------------------------------

def _group(db: Session, outcome: Outcome) -> None:
    """Recompute the record of each (officer, item) with a changed attempt."""
    changed = [c for c in outcome.attempts if c.changed]
    if not changed:
        return
    new_score = {c.attempt.id: (c.new_score, c.new_passed) for c in changed}
    keys = {(c.attempt.user_id, c.attempt.item_type, c.attempt.item_id) for c in changed}
    items = {(t, i) for _, t, i in keys}
    users = {u for u, _, _ in keys}
    history: dict[tuple, list] = defaultdict(list)
    completions: dict[tuple, Completion] = {}
    paid: dict[tuple, int] = {}
    for part in chunks(users):
        for row in db.execute(select(Attempt.id, Attempt.user_id, Attempt.item_type,
                                     Attempt.item_id, Attempt.submitted_at, Attempt.score,
                                     Attempt.passed)
                              .where(Attempt.user_id.in_(part), Attempt.status == "submitted",
                                     tuple_(Attempt.item_type, Attempt.item_id).in_(items))):
            history[(row.user_id, row.item_type, row.item_id)].append(row)
        for row in db.scalars(select(Completion).where(
                Completion.user_id.in_(part),
                tuple_(Completion.item_type, Completion.item_id).in_(items))):
            completions[(row.user_id, row.item_type, row.item_id)] = row
        rules = [r for names in QUIZ_RULES.values() for r in names]
        for user_id, kind, item_id, total in db.execute(
                select(PointsEntry.user_id, PointsEntry.source_type, PointsEntry.source_id,
                       func.sum(PointsEntry.points))
                .where(PointsEntry.user_id.in_(part),
                       tuple_(PointsEntry.source_type, PointsEntry.source_id).in_(items),
                       or_(PointsEntry.rule.in_(rules),
                           PointsEntry.rule.startswith(REGRADE_RULE_PREFIX)))
                .group_by(PointsEntry.user_id, PointsEntry.source_type, PointsEntry.source_id)):
            paid[(user_id, kind, item_id)] = int(total or 0)
    for key in sorted(keys):
        rows = sorted(history[key], key=lambda r: (r.submitted_at, r.id))
        group = _records(key, rows, new_score, completions.get(key))
        group.net_paid = paid.get(key, 0)
        group.changed_attempts = sum(1 for r in rows if r.id in new_score)
        outcome.groups.append(group)
    _describe(db, outcome, items)


def _records(key: tuple, rows: list, new_score: Mapping[int, tuple], row: Completion | None
             ) -> Group:
    """An officer's record for an item before and after, from their attempts in order."""
    old_scores = [(r.score, bool(r.passed), r) for r in rows]
    new_scores = [(*new_score.get(r.id, (r.score, bool(r.passed))), r) for r in rows]
    old = Record(row.status if row else "in_progress", row.first_completed_at if row else None,
                 row.best_score if row else None, row.first_score if row else None,
                 rows[0].score)
    new = Record(old.status, old.first_completed_at, old.best_score, old.first_score,
                 new_scores[0][0])
    if rows[0].id in new_score:  # the first attempt's score is the first score
        new.first_score = new_scores[0][0]
    old_best, new_best = max(s for s, _, _ in old_scores), max(s for s, _, _ in new_scores)
    if new_best != old_best or old.best_score is None:
        new.best_score = new_best
    old_pass = next((r for _, p, r in old_scores if p), None)
    new_pass = next((r for _, p, r in new_scores if p), None)
    # A completion no attempt explains (read before the quiz existed) is left as it is.
    if old_pass is None and old.status == "completed":
        return Group(*key, old, new)
    if new_pass is None:
        new.status, new.first_completed_at = "in_progress", None
    elif old_pass is None or old_pass.id != new_pass.id:  # completed by another attempt
        new.status, new.first_completed_at = "completed", new_pass.submitted_at
    return Group(*key, old, new)


def _describe(db: Session, outcome: Outcome, items: set[tuple[str, int]]) -> None:
    """Names, units and item titles for the preview."""
    lesson_ids = [i for t, i in items if t == "lesson"]
    for lesson in db.scalars(select(MicroLesson).where(MicroLesson.id.in_(lesson_ids))):
        outcome.due_at[lesson.id] = lesson.due_at
        outcome.titles[("lesson", lesson.id)] = f"第{lesson.issue_no}期 {lesson.title}" \
            if not lesson.title.startswith(f"第{lesson.issue_no}期") else lesson.title
        outcome.links[("lesson", lesson.id)] = f"/lessons/{lesson.id}"
    courseware_ids = [i for t, i in items if t == "courseware"]
    for cid, title, slug in db.execute(select(Courseware.id, Courseware.title, Courseware.slug)
                                       .where(Courseware.id.in_(courseware_ids))):
        outcome.titles[("courseware", cid)] = title
        outcome.links[("courseware", cid)] = f"/courseware/{slug}"
    people = {}
    for part in chunks(g.user_id for g in outcome.groups):
        for uid, name, police_no, unit in db.execute(
                select(User.id, User.name, User.police_no, Unit.name)
                .join(Unit, Unit.id == User.unit_id).where(User.id.in_(part))):
            people[uid] = (name, police_no, unit)
    for g in outcome.groups:
        name, police_no, unit = people.get(g.user_id, ("", "", ""))
        outcome.officers.append(OfficerChange(
            g.user_id, name, police_no, unit, g.item_type, g.item_id,
            outcome.titles.get((g.item_type, g.item_id), ""), g.changed_attempts,
            g.old.best_score, g.new.best_score, g.old.first_score, g.new.first_score,
            g.old.status == "completed", g.new.status == "completed"))


def _token(outcome: Outcome, marks: list) -> str:
    """A digest of the preview: the keys, the pass marks, the changed attempts and every
    officer row."""
    body = [outcome.quiz_id, outcome.bank_id, sorted(outcome.old_answers.items()),
            sorted(outcome.new_answers.items()), marks,
            [(c.attempt.id, c.attempt.score, c.new_score, c.new_passed)
             for c in outcome.attempts if c.changed],
            [(g.user_id, g.item_type, g.item_id, vars(g.old), vars(g.new), g.net_paid)
             for g in outcome.groups]]
    text = json.dumps(body, default=str, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
