"""Marking one recorded attempt again under corrected keys, for `regrade_state`; no Flask.
Only the corrected questions are re-marked: the others keep the credit recorded with the
attempt (docs/REGRADING.md)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ...models import Attempt
from . import grading


@dataclass
class AttemptChange:
    """A submitted attempt holding a regraded question, graded again."""

    attempt: Attempt
    results: list  # the new results JSON (the regraded questions' lines updated)
    new_score: int
    new_passed: bool
    was_wrong: set[int]  # regraded questions it got wrong under the old keys
    now_wrong: set[int]  # and under the new keys
    changed_questions: set[int]  # whose result (and so maybe the score) changes

    @property
    def changed(self) -> bool:
        """Whether its result for any regraded question changes."""
        return bool(self.changed_questions)


def regrade(attempt: Attempt, keys: Mapping[int, tuple], kinds: Mapping[int, str], quiz
            ) -> AttemptChange | None:
    """The attempt graded again under the new keys (old key, new key by question id), or None
    when it holds none of those questions."""
    results = attempt.results or []
    if not any(line.get("question_id") in keys for line in results):
        return None
    credits, new_results, was_wrong, now_wrong, changed = [], [], set(), set(), set()
    for line in results:
        qid = line.get("question_id")
        if qid not in keys:
            credits.append(_stored_credit(line, kinds.get(qid), quiz))
            new_results.append(line)
            continue
        old_key, new_key = keys[qid]
        kind = grading.kind_of(new_key)
        given = _given(line.get("given"), new_key.kind)
        old = 0.0 if given is None else kind.credit(given, old_key, quiz.partial_credit)
        new = 0.0 if given is None else kind.credit(given, new_key, quiz.partial_credit)
        if not line.get("correct"):
            was_wrong.add(qid)
        if new != 1:
            now_wrong.add(qid)
        if old != new or (qid in was_wrong) != (qid in now_wrong):
            changed.add(qid)
        credits.append(new)
        new_results.append({**line, "correct": new == 1,
                            "correct_answer": _json(kind.public_answer(new_key))})
    if not changed:
        return AttemptChange(attempt, new_results, attempt.score, bool(attempt.passed),
                             was_wrong, now_wrong, changed)
    score = grading._percent(credits)  # the very rounding the attempt was scored with
    return AttemptChange(attempt, new_results, score, score >= quiz.pass_score, was_wrong,
                         now_wrong, changed)


def _stored_credit(line: Mapping, kind: str | None, quiz) -> float:
    """Another question's credit as recorded: right or wrong, or a partial multiple choice
    recomputed from the key stored with the attempt (never from today's key)."""
    if line.get("correct"):
        return 1.0
    given = line.get("given")
    if not quiz.partial_credit or kind != "multiple" or not given:
        return 0.0
    key = grading.QuestionKey(0, "multiple", (), tuple(line.get("correct_answer") or ()))
    return grading.KINDS["multiple"].credit(tuple(given), key, True)


def _given(value: object, kind: str) -> object:
    if value is None:
        return None
    return tuple(value) if kind == "multiple" and isinstance(value, list) else value


def _json(value: object) -> object:
    return list(value) if isinstance(value, tuple) else value
