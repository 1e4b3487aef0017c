"""Answer sheets for the demo's attempt history, graded by the real grading engine; no Flask.

An attempt at a quiz of n questions is decided by which questions it gets wrong. Each quiz
has a few answer sheets per such set (which wrong option was picked, which wrong text was
typed), graded once with `grading.grade` and kept as the JSON the attempt columns store, so a
million attempts cost a dictionary lookup each and still read exactly like real ones in the
statistics, the review page and the mistake notebook. Questions differ in difficulty, so the
trainers' per-question statistics show easy and hard questions.
"""
import bisect
import dataclasses
import itertools
import json
import math
import random
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import Question, Quiz
from ..quiz import grading, quizview

VARIANTS = 3  # answer sheets per set of wrong questions: different wrong options and texts
# Passing attempts with 0, 1 or 2 wrong answers (a 5-question quiz: 100, 80, 60), 4:5:2;
# failing ones fail by the fewest wrong answers that fail, or one more (40 or 20), 7:3.
PASS_WEIGHTS = (4, 5, 2)
FAIL_WEIGHTS = (7, 3)


@dataclass(frozen=True)
class Sheet:
    """One graded answer sheet, in the stored shapes (JSON text)."""

    score: int
    passed: bool
    answers: str
    results: str
    wrong: tuple[int, ...]  # question ids answered wrongly
    no: int = -1  # its place in `Sheets.graded`


class Sheets:
    """The answer sheets of the quizzes the demo's lessons use, drawn at random.

    Per quiz, every sheet a passing (or failing) attempt may hand in is graded once, with
    its probability: how many questions are wrong (PASS_WEIGHTS, FAIL_WEIGHTS), which ones
    (harder ones more often) and how (VARIANTS). A draw is one random number and a bisection.
    """

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
        self._tables: dict[tuple[int, bool], tuple[list[float], list[Sheet]]] = {}
        self.graded: list[Sheet] = []  # every sheet drawn from so far, numbered in order

    def passing(self, quiz_id: int) -> Sheet:
        """A passing sheet: most get every answer right or miss one."""
        return self._draw(quiz_id, True)

    def failing(self, quiz_id: int) -> Sheet:
        """A sheet that fails by one question or two (only if `can_fail`)."""
        return self._draw(quiz_id, False)

    def can_fail(self, quiz_id: int) -> bool:
        """Whether the quiz can be failed at all (one without questions cannot)."""
        return bool(self.table(quiz_id, False)[1])

    def _draw(self, quiz_id: int, passed: bool) -> Sheet:
        cumulative, sheets = self.table(quiz_id, passed)
        return sheets[bisect.bisect(cumulative, self._rng.random() * cumulative[-1])]

    def table(self, quiz_id: int, passed: bool) -> tuple[list[float], list[Sheet]]:
        """The sheets of one outcome with their cumulative weights (graded on first use)."""
        found = self._tables.get((quiz_id, passed))
        if found is None:
            found = self._tables[(quiz_id, passed)] = self._build(quiz_id, passed)
        return found

    def _build(self, quiz_id: int, passed: bool) -> tuple[list[float], list[Sheet]]:
        """Every sheet of one outcome with its cumulative weight."""
        keys, hard = self._keys.get(quiz_id, []), self._difficulty.get(quiz_id, [])
        pass_score, n = self._pass_score.get(quiz_id, 60), len(keys)
        counts = [w for w in range(n + 1) if (_score(n, w) >= pass_score) == passed]
        # passing: the fewest wrong answers first; failing: the fewest that fail first
        shares = dict(zip(counts, PASS_WEIGHTS if passed else FAIL_WEIGHTS))
        cumulative, sheets, total = [], [], 0.0
        for wrong_count, share in shares.items():
            subsets = list(itertools.combinations(range(n), wrong_count))
            weights = [math.prod(hard[i] for i in subset) for subset in subsets]
            variants = VARIANTS if wrong_count else 1
            for subset, weight in zip(subsets, weights):
                for variant in range(variants):
                    sheet = _grade(keys, subset, variant, pass_score)
                    if sheet.passed != passed:  # rounding at the pass mark: not this outcome
                        continue
                    total += share * weight / sum(weights) / variants
                    cumulative.append(total)
                    sheets.append(dataclasses.replace(sheet, no=len(self.graded)))
                    self.graded.append(sheets[-1])
        return cumulative, sheets


def _score(n: int, wrong: int) -> int:
    return 100 if n == 0 else round(100 * (n - wrong) / n)


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
