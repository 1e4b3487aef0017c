"""Quiz grading: parse a client's answers and score them against the server's answer key."""
from __future__ import annotations

import math
import random
import string
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

MAX_TEXT_LENGTH = 500


class AnswerError(ValueError):
    """A client's answer has the wrong shape."""

    def __init__(self, question_id: object, message: str):
        super().__init__(message)
        self.question_id = question_id
        self.message = message


@dataclass(frozen=True)
class QuestionKey:
    """What the server knows about one question."""

    id: int
    kind: str
    option_keys: tuple[str, ...]
    answer: object
    explanation: str = ""


@dataclass(frozen=True)
class QuestionResult:
    """The outcome of one question, ready to show after submission."""

    question_id: int
    correct: bool
    credit: float
    given: object
    correct_answer: object
    explanation: str


@dataclass(frozen=True)
class GradeResult:
    """The outcome of a whole quiz."""

    score: int
    passed: bool
    results: tuple[QuestionResult, ...]


class QuestionKind:
    """One question type: how to read an answer, how much it earns, what to reveal."""

    def parse(self, raw: object, key: QuestionKey) -> object:
        """Return the normalized answer or raise AnswerError."""
        raise NotImplementedError

    def credit(self, given: object, key: QuestionKey, partial_credit: bool) -> float:
        """Return the credit earned, from 0 to 1."""
        raise NotImplementedError

    def public_answer(self, key: QuestionKey) -> object:
        """Return the correct answer in its JSON shape."""
        raise NotImplementedError


def _option(raw: object, key: QuestionKey) -> str:
    if not isinstance(raw, str) or raw not in key.option_keys:
        raise AnswerError(key.id, f"第 {key.id} 题的答案不是该题的选项")
    return raw


class SingleChoice(QuestionKind):
    """One option is right."""

    def parse(self, raw, key):
        return _option(raw, key)

    def credit(self, given, key, partial_credit):
        return 1.0 if given == key.answer else 0.0

    def public_answer(self, key):
        return key.answer


class MultipleChoice(QuestionKind):
    """Several options are right.

    All-or-nothing by default. With partial credit:
    credit = max(0, (right picked - wrong picked) / number of right options),
    so picking every option never beats picking only the right ones.
    """

    def parse(self, raw, key):
        if not isinstance(raw, (list, tuple)):
            raise AnswerError(key.id, f"第 {key.id} 题需要选项列表")
        return tuple(sorted({_option(item, key) for item in raw}))

    def credit(self, given, key, partial_credit):
        picked, right = set(given), set(key.answer)
        if not partial_credit:
            return 1.0 if picked == right else 0.0
        return max(0.0, (len(picked & right) - len(picked - right)) / len(right))

    def public_answer(self, key):
        return list(key.answer)


class TrueFalse(QuestionKind):
    """A statement is true or false."""

    # HTML forms can only send strings.
    _FORM_VALUES = {"true": True, "false": False}

    def parse(self, raw, key):
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.lower() in self._FORM_VALUES:
            return self._FORM_VALUES[raw.lower()]
        raise AnswerError(key.id, f"第 {key.id} 题需要 true 或 false")

    def credit(self, given, key, partial_credit):
        return 1.0 if given is key.answer else 0.0

    def public_answer(self, key):
        return key.answer


class FillBlank(QuestionKind):
    """Free text compared with the accepted answers after normalize_text."""

    def parse(self, raw, key):
        if not isinstance(raw, str):
            raise AnswerError(key.id, f"第 {key.id} 题需要文字答案")
        if len(raw) > MAX_TEXT_LENGTH:
            raise AnswerError(key.id, f"第 {key.id} 题的答案过长")
        # Kept as typed (not normalized) so the officer sees their own words in the review.
        return raw.strip()

    def credit(self, given, key, partial_credit):
        text = normalize_text(given)
        return 1.0 if any(text == normalize_text(a) for a in key.answer) else 0.0

    def public_answer(self, key):
        return key.answer[0]


KINDS: dict[str, QuestionKind] = {
    "single": SingleChoice(),
    "multiple": MultipleChoice(),
    "true_false": TrueFalse(),
    "fill_blank": FillBlank(),
}


def kind_of(key: QuestionKey) -> QuestionKind:
    """Return the registered kind of a question, or raise ValueError."""
    try:
        return KINDS[key.kind]
    except KeyError:
        raise ValueError(f"question {key.id} has unknown kind {key.kind!r}") from None


def normalize_text(s: str) -> str:
    """Fold a fill-in answer: NFKC, casefolded, no whitespace or punctuation, except that a
    separator between two digits stays ("1/2", "1-2" and "12" are different answers)."""
    folded = unicodedata.normalize("NFKC", s).casefold().strip()
    kept = []
    for index, ch in enumerate(folded):
        if not _is_filler(ch):
            kept.append(ch)
        elif _between_digits(folded, index):
            kept.append(" " if ch.isspace() else ch)
    return "".join(kept)


def _between_digits(text: str, index: int) -> bool:
    """Whether the run of filler characters holding text[index] has a digit on both sides;
    a run like " / " keeps only its punctuation (or one space), so spacing never matters."""
    start = index
    while start > 0 and _is_filler(text[start - 1]):
        start -= 1
    end = index
    while end + 1 < len(text) and _is_filler(text[end + 1]):
        end += 1
    if start == 0 or end == len(text) - 1:
        return False
    if not (text[start - 1].isdigit() and text[end + 1].isdigit()):
        return False
    run = text[start:end + 1]
    marks = [c for c in run if not c.isspace()]
    if marks:  # the punctuation of the run, spaces dropped
        return not text[index].isspace()
    return index == start  # a run of spaces alone counts once


def _is_filler(ch: str) -> bool:
    return ch.isspace() or ch in string.punctuation or unicodedata.category(ch).startswith("P")


def parse_answers(questions: Sequence[QuestionKey], raw: Mapping) -> dict[int, object]:
    """Validate a client's answers (ids as str or int) and normalize them; None means unanswered."""
    if not isinstance(raw, Mapping):
        raise AnswerError(None, "answers 必须是题目编号到答案的映射")
    by_id = {q.id: q for q in questions}
    parsed: dict[int, object] = {}
    for raw_id, value in raw.items():
        question_id = parse_question_id(raw_id)
        if question_id not in by_id:
            raise AnswerError(raw_id, "答案中包含不属于本测验的题目编号")
        if question_id in parsed:
            raise AnswerError(question_id, f"第 {question_id} 题重复作答")
        if value is not None:
            key = by_id[question_id]
            parsed[question_id] = kind_of(key).parse(value, key)
    return parsed


def parse_question_id(raw_id: object) -> int | None:
    """A client's question id, given as an int or a string of digits; None if neither."""
    # bool is an int subclass; True must not mean question 1.
    if isinstance(raw_id, int) and not isinstance(raw_id, bool):
        return raw_id
    if isinstance(raw_id, str) and raw_id.isascii() and raw_id.isdigit():
        return int(raw_id)
    return None


def grade(
    questions: Sequence[QuestionKey],
    answers: Mapping[int, object],
    *,
    pass_score: int = 60,
    partial_credit: bool = False,
) -> GradeResult:
    """Score parsed answers against the key; unanswered questions earn nothing."""
    results = []
    for key in questions:
        kind = kind_of(key)
        given = answers.get(key.id)
        credit = 0.0 if given is None else kind.credit(given, key, partial_credit)
        results.append(QuestionResult(
            question_id=key.id,
            correct=credit == 1,
            credit=credit,
            given=given,
            correct_answer=kind.public_answer(key),
            explanation=key.explanation,
        ))
    score = _percent([r.credit for r in results])
    return GradeResult(score=score, passed=score >= pass_score, results=tuple(results))


def _percent(credits: list[float]) -> int:
    if not credits:
        return 100
    if all(c == 0 or c == 1 for c in credits):  # no partial credit: integers are exact
        right, n = sum(1 for c in credits if c == 1), len(credits)
        return (200 * right + n) // (2 * n)  # floor(100 * right / n + 1/2)
    # Partial credits are small ratios like 1/3; summed as floats, an exact 37.5 becomes
    # 37.4999... and rounds down, so recover the exact fractions first.
    total = sum(Fraction(c).limit_denominator(1000) for c in credits)
    return math.floor(100 * total / len(credits) + Fraction(1, 2))


def option_order(option_keys: Sequence[str], seed: str) -> list[str]:
    """Shuffle option keys deterministically, e.g. per attempt."""
    order = list(option_keys)
    random.Random(seed).shuffle(order)
    return order
