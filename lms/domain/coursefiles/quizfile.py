"""A quiz in a course file (docs/CONTENT.md): read a quiz mapping into a checked QuizSpec,
or write one back as the mapping the format uses; no Flask.

The course files' front matter and sidecars, and the studio's quiz editor, all go through
`read_quiz`, so a quiz obeys the same rules wherever it is written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import yamlmarks as ym
from .specs import DrawRuleSpec, QuestionSpec, QuizSpec
from .yamlmarks import MarkedMap, Report

KINDS = ("single", "multiple", "true_false", "fill_blank")
CHOICE_KINDS = ("single", "multiple")
BLANK = "____"
REVIEW_POLICIES = ("after_pass", "after_due", "immediately")
QUIZ_FIELDS = (set(), {"questions", "draw", "pass_score", "attempts_allowed", "shuffle",
                      "partial_credit", "time_limit_seconds", "review"})
DRAW_FIELDS = ({"tag", "count"}, {"bank"})
MAX_DRAW = 100  # questions one draw rule may take
QUESTION_FIELDS = ({"id", "kind", "stem", "answer"}, {"options", "explanation", "tags"})


# Upper bounds: the columns are 32-bit integers on PostgreSQL (a larger value failed the
# whole sync with a database error), and no quiz needs more than a day or 100 attempts.
MAX_ATTEMPTS = 100
MAX_TIME_LIMIT = 24 * 3600


def read_quiz(m: MarkedMap, rep: Report) -> tuple[bool, QuizSpec | None]:
    """(ok, QuizSpec) from a quiz mapping, each problem reported at its line."""
    before = rep.count
    ym.check_fields(m, *QUIZ_FIELDS, rep, "quiz")
    quiz = QuizSpec(pass_score=ym.integer(m, "pass_score", rep, 0, 100, default=60),
                    attempts_allowed=ym.integer(m, "attempts_allowed", rep, 1, MAX_ATTEMPTS,
                                                nullable=True),
                    shuffle=ym.boolean(m, "shuffle", rep, default=True),
                    partial_credit=ym.boolean(m, "partial_credit", rep, default=False),
                    time_limit_seconds=ym.integer(m, "time_limit_seconds", rep, 1,
                                                  MAX_TIME_LIMIT, nullable=True),
                    questions=_questions(m, rep),
                    review=ym.choice(m, "review", REVIEW_POLICIES, rep) or "after_pass",
                    draw=_draw_rules(m, rep))
    if "questions" in m and "draw" in m:
        rep.add(m.line_of("draw"), "a quiz takes either questions or draw rules, not both")
    elif "questions" not in m and "draw" not in m:
        rep.add(m.line, "quiz: missing field 'questions' (or 'draw' to draw from the banks)")
    return (True, quiz) if rep.count == before else (False, None)


def _draw_rules(m: MarkedMap, rep: Report) -> tuple[DrawRuleSpec, ...]:
    """``draw: [{tag: ..., count: N, bank: key}]``: questions drawn from the banks."""
    items = m.get("draw")
    if "draw" not in m:
        return ()
    if not (isinstance(items, list) and items):
        rep.add(m.line_of("draw"), "draw must be a non-empty list of {tag, count, bank}")
        return ()
    rules = []
    for index, item in enumerate(items):
        r = ym.as_mapping(item, items.line_of(index), rep, f"draw rule {index + 1}")
        if r is None:
            continue
        before = rep.count
        ym.check_fields(r, *DRAW_FIELDS, rep, f"draw rule {index + 1}")
        rule = DrawRuleSpec(ym.text(r, "tag", rep, ym.TEXT_MAX),
                            ym.integer(r, "count", rep, 1, MAX_DRAW),
                            ym.key(r, "bank", rep) if r.get("bank") is not None else None)
        if rep.count == before:
            rules.append(rule)
    return tuple(rules)


def _questions(m: MarkedMap, rep: Report) -> tuple[QuestionSpec, ...]:
    """The checked questions of a quiz; ids must not repeat."""
    items = m.get("questions")
    if "questions" in m and not (isinstance(items, list) and items):
        rep.add(m.line_of("questions"), "questions must be a non-empty list")
    if not isinstance(items, list):
        return ()
    specs, seen = [], {}
    for index, item in enumerate(items):
        q = ym.as_mapping(item, items.line_of(index), rep, f"question {index + 1}")
        if q is None:
            continue
        qid = q.get("id")
        if isinstance(qid, (str, int)) and qid in seen:
            rep.add(q.line_of("id"), f"duplicate question id '{qid}' (first at line "
                    f"{seen[qid]})")
        elif isinstance(qid, (str, int)):
            seen[qid] = q.line_of("id")
        spec = _question(q, index + 1, rep)
        if spec is not None:
            specs.append(spec)
    return tuple(specs)


def _question(q: MarkedMap, position: int, rep: Report) -> QuestionSpec | None:
    """One checked question, or None after reporting what is wrong."""
    before = rep.count
    label = f"question {q.get('id', position)}"
    ym.check_fields(q, *QUESTION_FIELDS, rep, label)
    qid, kind = ym.key(q, "id", rep), ym.choice(q, "kind", KINDS, rep)
    stem = ym.text(q, "stem", rep)
    options = _kind_options(q, kind, label, rep)
    if kind == "fill_blank" and stem is not None and BLANK not in stem:
        rep.add(q.line_of("stem"), f"a fill_blank stem must mark the blank with {BLANK}")
    answer = None
    if kind is not None and "answer" in q and options is not None:
        answer = _ANSWER_READERS[kind](q, tuple(k for k, _ in options), rep)
    tags = ym.text_list(q, "tags", rep) if q.get("tags") else ()
    explanation = ym.text(q, "explanation", rep, required=False) or ""
    if rep.count != before:
        return None
    return QuestionSpec(qid, kind, stem, options, answer, explanation, tags, position)


def _kind_options(q: MarkedMap, kind: str | None, label: str, rep: Report
                  ) -> tuple[tuple[str, str], ...] | None:
    """Options where the kind needs them, () where it takes none; None if broken."""
    if kind not in CHOICE_KINDS:
        if kind is not None and "options" in q:
            rep.add(q.line_of("options"), f"a {kind} question takes no options")
        return ()
    if "options" not in q:
        rep.add(q.line, f"{label}: missing field 'options'")
        return None
    return _options(q, rep)


def _options(q: MarkedMap, rep: Report) -> tuple[tuple[str, str], ...] | None:
    """Options keyed A, B, C, ... in that order, each with text."""
    value, line = q["options"], q.line_of("options")
    if not isinstance(value, MarkedMap) or len(value) < 2:
        rep.add(line, "options must map at least two keys to texts, e.g. {A: ..., B: ...}")
        return None
    expected = [chr(ord("A") + i) for i in range(len(value))]
    if list(value) != expected:
        rep.add(line, f"option keys must be {', '.join(expected)} in this order, not "
                f"{', '.join(str(k) for k in value)}")
        return None
    texts = [ym.text_value(value[k], value.raw.get(k), value.line_of(k), rep, f"option {k}")
             for k in expected]
    return None if None in texts else tuple(zip(expected, texts))


def _single_answer(q: MarkedMap, keys: tuple[str, ...], rep: Report) -> str | None:
    """One option key."""
    answer = q["answer"]
    if not (isinstance(answer, str) and answer in keys):
        rep.add(q.line_of("answer"), f"answer {answer!r} is not one of the options "
                f"{', '.join(keys)}")
        return None
    return answer


def _multiple_answer(q: MarkedMap, keys: tuple[str, ...], rep: Report
                     ) -> tuple[str, ...] | None:
    """Two or more distinct option keys, sorted."""
    answer, line = q["answer"], q.line_of("answer")
    if not isinstance(answer, list):
        rep.add(line, f"a multiple answer must be a list of option keys like [A, C], "
                f"not {answer!r}")
        return None
    strays = [a for a in answer if not (isinstance(a, str) and a in keys)]
    if strays:
        rep.add(line, f"answer {', '.join(map(repr, strays))} not among the options "
                f"{', '.join(keys)}")
    elif len(set(answer)) != len(answer):
        rep.add(line, "answer lists the same key twice")
    elif len(answer) < 2:
        rep.add(line, "a multiple question needs two or more correct keys "
                "(use kind: single for one)")
    return tuple(sorted(set(answer))) if not strays else None


def _true_false_answer(q: MarkedMap, keys: tuple[str, ...], rep: Report) -> bool | None:
    """true or false."""
    answer = q["answer"]
    if not isinstance(answer, bool):
        rep.add(q.line_of("answer"), f"a true_false answer must be true or false, "
                f"not {answer!r}")
        return None
    return answer


def _fill_blank_answer(q: MarkedMap, keys: tuple[str, ...], rep: Report
                       ) -> tuple[str, ...] | None:
    """One accepted text or a list of them."""
    return ym.text_list(q, "answer", rep)


# Question kinds as a small registry, like grading.KINDS: one answer reader per kind.
_ANSWER_READERS: dict[str, Callable[[MarkedMap, tuple[str, ...], Report], Any]] = {
    "single": _single_answer,
    "multiple": _multiple_answer,
    "true_false": _true_false_answer,
    "fill_blank": _fill_blank_answer,
}


# --- writing ------------------------------------------------------------------------------

def quiz_mapping(quiz: QuizSpec) -> dict:
    """A quiz as the plain mapping the file format uses."""
    data = {"pass_score": quiz.pass_score, "attempts_allowed": quiz.attempts_allowed,
            "shuffle": quiz.shuffle, "partial_credit": quiz.partial_credit,
            "time_limit_seconds": quiz.time_limit_seconds, "review": quiz.review}
    if quiz.draw:
        data["draw"] = [{"tag": r.tag, "count": r.count, **({"bank": r.bank} if r.bank else {})}
                        for r in quiz.draw]
    else:
        data["questions"] = [question_data(q) for q in quiz.questions]
    return data


def read_questions(m: MarkedMap, rep: Report) -> tuple[QuestionSpec, ...]:
    """The checked ``questions`` list of a mapping (a quiz's or a bank's)."""
    return _questions(m, rep)


def question_data(q: QuestionSpec) -> dict:
    """A question as the plain mapping the file format uses."""
    data = {"id": q.key, "kind": q.kind, "stem": q.stem}
    if q.options:
        data["options"] = dict(q.options)
    data["answer"] = list(q.answer) if isinstance(q.answer, tuple) else q.answer
    if q.explanation:
        data["explanation"] = q.explanation
    if q.tags:
        data["tags"] = list(q.tags)
    return data
