"""Answer sheets for the demo's attempt history, graded by the real grading engine; no Flask.

An attempt at a quiz of n questions is decided by which questions it gets wrong. Each quiz
has a few answer sheets per such set (which wrong option was picked, which wrong text was
typed), graded once with `grading.grade` and kept as the JSON the attempt columns store, so a
million attempts cost a dictionary lookup each and still read exactly like real ones in the
statistics, the review page and the mistake notebook. Questions differ in difficulty, so the
trainers' per-question statistics show easy and hard questions.
"""
import json
import random
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import Question, Quiz
from ..quiz import grading, quizview

VARIANTS = 3  # answer sheets per set of wrong questions: different wrong options and texts
# Passing attempts with 0, 1 or 2 wrong answers (a 5-question quiz: 100, 80, 60), 4:5:2.
PASS_WEIGHTS = (4, 5, 2)


@dataclass(frozen=True)
class Sheet:
    """One graded answer sheet, in the stored shapes (JSON text)."""

    score: int
    passed: bool
    answers: str
    results: str
    wrong: tuple[int, ...]  # question ids answered wrongly


class Sheets:
    """The answer sheets of the quizzes the demo's lessons use, built on demand."""

    def __init__(self, db: Session, quiz_ids: set[int], rng: random.Random):
        self._rng = rng
        self._keys: dict[int, list[grading.QuestionKey]] = {}
        self._difficulty: dict[int, list[float]] = {}
        self._pass_score = dict(db.execute(select(Quiz.id, Quiz.pass_score)
                                           .where(Quiz.id.in_(quiz_ids))).all())
        for question in db.scalars(select(Question).where(Question.quiz_id.in_(quiz_ids),
                                                          Question.retired.is_(False))
                                   .order_by(Question.quiz_id, Question.position, Question.id)):
            self._keys.setdefault(question.quiz_id, []).append(quizview.question_key(question))
            # A few questions are hard (often wrong), most are easy.
            self._difficulty.setdefault(question.quiz_id, []).append(rng.choice((1, 1, 2, 4)))
        self._cache: dict[tuple[int, tuple[int, ...], int], Sheet] = {}

    def passing(self, quiz_id: int) -> Sheet:
        """A passing sheet: most get every answer right or miss one."""
        n = len(self._keys.get(quiz_id, ()))
        most = max(w for w in range(n + 1) if self._score(n, w) >= self._pass(quiz_id))
        choices = list(range(min(most, len(PASS_WEIGHTS) - 1) + 1))
        return self._sheet(quiz_id, self._rng.choices(choices, PASS_WEIGHTS[:len(choices)])[0])

    def can_fail(self, quiz_id: int) -> bool:
        """Whether the quiz can be failed at all (one without questions cannot)."""
        n = len(self._keys.get(quiz_id, ()))
        return self._score(n, n) < self._pass(quiz_id)

    def failing(self, quiz_id: int) -> Sheet:
        """A sheet that fails by one question or two."""
        n = len(self._keys.get(quiz_id, ()))
        fewest = min((w for w in range(n + 1) if self._score(n, w) < self._pass(quiz_id)),
                     default=n)
        return self._sheet(quiz_id, min(n, fewest + (self._rng.random() < 0.3)))

    def _pass(self, quiz_id: int) -> int:
        return self._pass_score.get(quiz_id, 60)

    @staticmethod
    def _score(n: int, wrong: int) -> int:
        return 100 if n == 0 else round(100 * (n - wrong) / n)

    def _sheet(self, quiz_id: int, wrong_count: int) -> Sheet:
        keys = self._keys.get(quiz_id, [])
        positions = _weighted_sample(self._rng, self._difficulty.get(quiz_id, []), wrong_count)
        variant = self._rng.randrange(VARIANTS)
        found = self._cache.get((quiz_id, positions, variant))
        if found is None:
            found = self._cache[(quiz_id, positions, variant)] = _grade(
                keys, positions, variant, self._pass(quiz_id))
        return found


def _weighted_sample(rng: random.Random, weights: list[float], k: int) -> tuple[int, ...]:
    """`k` distinct positions, each drawn in proportion to its weight; sorted."""
    left, picked = list(range(len(weights))), []
    for _ in range(min(k, len(weights))):
        position = rng.choices(left, [weights[i] for i in left])[0]
        left.remove(position)
        picked.append(position)
    return tuple(sorted(picked))


def _grade(keys: list[grading.QuestionKey], wrong: tuple[int, ...], variant: int,
           pass_score: int) -> Sheet:
    """Grade a sheet answering the `wrong` positions wrongly (the `variant`-th way)."""
    answers = {key.id: (_wrong_answer(key, variant) if i in wrong else _right_answer(key))
               for i, key in enumerate(keys)}
    graded = grading.grade(keys, answers, pass_score=pass_score)
    # The results as `attempts.submit` stores them, less the explanation: the review page
    # reads it from the question (200 bytes a line, times a million attempts, otherwise).
    results = [{"question_id": r.question_id, "correct": r.correct, "given": _json(r.given),
                "correct_answer": _json(r.correct_answer)} for r in graded.results]
    stored = {str(r.question_id): _json(r.given) for r in graded.results}
    return Sheet(graded.score, graded.passed, _dumps(stored), _dumps(results),
                 tuple(r.question_id for r in graded.results if not r.correct))


def _right_answer(key: grading.QuestionKey) -> object:
    if key.kind == "fill_blank":
        return key.answer[0]
    return key.answer


def _wrong_answer(key: grading.QuestionKey, variant: int) -> object:
    """A plausible wrong answer: another option, one option too few or many, the opposite,
    or a near miss typed for a blank."""
    if key.kind == "true_false":
        return not key.answer
    if key.kind == "single":
        others = [k for k in key.option_keys if k != key.answer]
        return others[variant % len(others)] if others else key.answer
    if key.kind == "multiple":
        picked = set(key.answer)
        toggled = key.option_keys[-1 - variant % len(key.option_keys)] if key.option_keys else None
        picked ^= {toggled} if toggled else set()
        return tuple(sorted(picked or set(key.option_keys[:1])))
    text = str(key.answer[0])
    misses = (text[:-1], text[::-1], "不清楚")
    return next((m for m in misses[variant:] + misses[:variant]
                 if m.strip() and grading.normalize_text(m) not in
                 {grading.normalize_text(a) for a in key.answer}), "不清楚")


def _json(value: object) -> object:
    return list(value) if isinstance(value, tuple) else value


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
