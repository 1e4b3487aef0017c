"""The question editor's rules: a quiz as form fields (kind, stem, options, the correct
option(s) or accepted answers, explanation, tags), its edit actions (add, remove, reorder)
and its validation with Chinese messages keyed by field; no Flask.

A draft that passes `validate` is written as the course files' quiz mapping and read back
through `quizfile.read_quiz` (`to_spec`), so a quiz made in the form and one typed as YAML
obey the same rules and are stored the same way.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from ..coursefiles import quizfile, yamldump
from ..coursefiles.specs import QuestionSpec, QuizSpec
from .drawform import DrawDraft, syntax_problems

KINDS = quizfile.KINDS
CHOICE_KINDS = quizfile.CHOICE_KINDS
BLANK = quizfile.BLANK
MIN_OPTIONS, MAX_OPTIONS = 2, 6
MAX_QUESTIONS = 50
NEW_OPTIONS = 4  # a new choice question starts with four empty options
LETTERS = "ABCDEFGHIJ"


@dataclass
class QuestionDraft:
    """One question as the form holds it; options are texts in display order."""

    key: str = ""
    kind: str = "single"
    stem: str = ""
    options: list[str] = field(default_factory=list)
    correct: list[int] = field(default_factory=list)  # indices into options
    truth: bool | None = None  # true_false
    answers: list[str] = field(default_factory=list)  # fill_blank: accepted texts
    explanation: str = ""
    tags: list[str] = field(default_factory=list)


@dataclass
class QuizDraft:
    """A quiz as the form holds it; settings the form does not show ride along unchanged."""

    questions: list[QuestionDraft] = field(default_factory=list)
    pass_score: int | None = 60
    attempts_allowed: int | None = None
    shuffle: bool = True
    partial_credit: bool = False
    time_limit_seconds: int | None = None
    review: str = "after_pass"
    source: str = "fixed"  # "fixed": the questions; "draw": the draw rules (from the banks)
    draws: list[DrawDraft] = field(default_factory=list)

    @property
    def is_drawn(self) -> bool:
        """True when the quiz draws its questions from the banks."""
        return self.source == "draw"


def new_question(kind: str, taken: set[str]) -> QuestionDraft:
    """An empty question of `kind` with the next free key (q1, q2, ...)."""
    kind = kind if kind in KINDS else "single"
    n = 1
    while f"q{n}" in taken:
        n += 1
    options = [""] * NEW_OPTIONS if kind in CHOICE_KINDS else []
    return QuestionDraft(key=f"q{n}", kind=kind, options=options)


def apply(draft: QuizDraft, action: str) -> QuizDraft:
    """One edit button: ``add_question:KIND``, ``remove_question:I``, ``move_question:I:up``,
    ``add_option:I``, ``remove_option:I:J``, ``move_option:I:J:down``; anything else (such
    as ``refresh`` after a kind was changed) leaves the draft as it is."""
    parts = action.split(":")
    name, args = parts[0], parts[1:]
    questions = list(draft.questions)
    try:
        numbers = [int(a) for a in args if a.isdigit()]
        if name in ("source", "add_draw", "remove_draw"):
            return _draw_action(draft, name, args, numbers)
        if name == "add_question" and len(questions) < MAX_QUESTIONS:
            questions.append(new_question(args[0] if args else "single",
                                          {q.key for q in questions}))
        elif name == "remove_question":
            del questions[numbers[0]]
        elif name == "move_question":
            _swap(questions, numbers[0], args[-1])
        elif name in ("add_option", "remove_option", "move_option"):
            index = numbers[0]
            questions[index] = _option_action(questions[index], name, numbers[1:], args[-1])
    except (IndexError, ValueError):
        pass  # a stale or forged button: nothing to do
    return replace(draft, questions=questions)


def _draw_action(draft: QuizDraft, name: str, args: list[str], numbers: list[int]
                 ) -> QuizDraft:
    rules = list(draft.draws)
    if name == "source" and args and args[0] in ("fixed", "draw"):
        if args[0] == "draw" and not rules:
            rules.append(DrawDraft())
        return replace(draft, source=args[0], draws=rules)
    if name == "add_draw" and len(rules) < 20:
        last = rules[-1] if rules else DrawDraft()
        rules.append(DrawDraft(bank=last.bank))  # the next rule most likely draws there too
    elif name == "remove_draw":
        del rules[numbers[0]]
    return replace(draft, draws=rules)


def _option_action(q: QuestionDraft, name: str, numbers: list[int], way: str
                   ) -> QuestionDraft:
    options, correct = list(q.options), set(q.correct)
    if name == "add_option":
        if len(options) < MAX_OPTIONS:
            options.append("")
        return replace(q, options=options)
    j = numbers[0]
    if not 0 <= j < len(options):
        return q
    order = list(range(len(options)))
    if name == "remove_option":
        del order[j]
    else:
        _swap(order, j, way)
    # The correct marks travel with their options.
    return replace(q, options=[options[i] for i in order],
                   correct=[n for n, i in enumerate(order) if i in correct])


def _swap(items: list, index: int, way: str) -> None:
    other = index - 1 if way == "up" else index + 1
    if 0 <= index < len(items) and 0 <= other < len(items):
        items[index], items[other] = items[other], items[index]


def validate(draft: QuizDraft, required: bool = False) -> dict[str, list[str]]:
    """Every problem of the draft in Chinese, keyed by field (``q0-stem``, ``q0-opt2``,
    ``q0-correct``, ``q0-answers``, ``pass_score``, ``attempts_allowed``, ``questions``);
    empty when the draft may be saved."""
    problems: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        problems.setdefault(name, []).append(message)

    if draft.is_drawn:
        problems = syntax_problems(draft.draws)
        if draft.pass_score is None or not 0 <= draft.pass_score <= 100:
            add("pass_score", "及格分请填写 0 到 100 之间的整数")
        if draft.attempts_allowed is not None and not (
                1 <= draft.attempts_allowed <= quizfile.MAX_ATTEMPTS):
            add("attempts_allowed",
                f"作答次数请填写 1 到 {quizfile.MAX_ATTEMPTS} 之间的整数，或留空表示不限")
        return problems
    if required and not draft.questions:
        add("questions", "请至少添加一道题")
    if len(draft.questions) > MAX_QUESTIONS:
        add("questions", f"一个测验最多 {MAX_QUESTIONS} 道题")
    if draft.questions:
        if draft.pass_score is None or not 0 <= draft.pass_score <= 100:
            add("pass_score", "及格分请填写 0 到 100 之间的整数")
        if draft.attempts_allowed is not None and not (
                1 <= draft.attempts_allowed <= quizfile.MAX_ATTEMPTS):
            add("attempts_allowed",
                f"作答次数请填写 1 到 {quizfile.MAX_ATTEMPTS} 之间的整数，或留空表示不限")
    for index, question in enumerate(draft.questions):
        for name, message in _question_problems(question):
            add(f"q{index}-{name}", message)
    return problems


def _question_problems(q: QuestionDraft) -> list[tuple[str, str]]:
    """(field part, message) for one question."""
    found: list[tuple[str, str]] = []
    if q.kind not in KINDS:
        return [("kind", "请选择题型")]
    stem = q.stem.strip()
    if not stem:
        found.append(("stem", "请填写题干"))
    elif q.kind == "fill_blank" and BLANK not in stem:
        found.append(("stem", f"填空题的题干须用 {BLANK}（四个下划线）标出填空的位置"))
    if q.kind in CHOICE_KINDS:
        found += _choice_problems(q)
    elif q.kind == "true_false":
        if q.truth is None:
            found.append(("correct", "请选择本题的正确答案：“正确”或“错误”"))
    elif not [a for a in q.answers if a.strip()]:
        found.append(("answers", "填空题请至少填写一个可接受的答案"))
    return found


def _choice_problems(q: QuestionDraft) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    texts = [t.strip() for t in q.options]
    filled = [i for i, t in enumerate(texts) if t]
    if len(filled) < MIN_OPTIONS:
        found.append(("options", f"选择题至少需要 {MIN_OPTIONS} 个选项"))
    elif len(filled) > MAX_OPTIONS:
        found.append(("options", f"最多 {MAX_OPTIONS} 个选项，请删去多余的"))
    seen: dict[str, int] = {}
    for i in filled:
        if texts[i] in seen:
            found.append((f"opt{i}", f"与选项 {_letter(q, seen[texts[i]])} 的内容重复"))
        else:
            seen[texts[i]] = i
    correct = sorted(set(q.correct))
    strays = [i for i in correct if i not in filled]
    if strays:
        found.append(("correct", "正确答案必须是已填写内容的选项"))
    elif not correct:
        found.append(("correct", "请勾选正确选项"))
    elif q.kind == "single" and len(correct) > 1:
        found.append(("correct", "单选题只能有一个正确选项（多个正确选项请改为多选题）"))
    elif q.kind == "multiple" and len(correct) < 2:
        found.append(("correct", "多选题至少要有两个正确选项（只有一个时请改为单选题）"))
    return found


def _letter(q: QuestionDraft, index: int) -> str:
    """The letter option `index` gets once empty options are dropped."""
    kept = [i for i, t in enumerate(q.options) if t.strip()]
    return LETTERS[kept.index(index)] if index in kept else "?"


# --- between drafts and the file format ---------------------------------------------------

def to_mapping(draft: QuizDraft) -> dict:
    """A valid draft as the course files' ``quiz`` mapping (empty options dropped, the rest
    lettered A, B, ... in display order)."""
    questions = []
    for q in draft.questions:
        data: dict = {"id": q.key, "kind": q.kind, "stem": q.stem.strip()}
        if q.kind in CHOICE_KINDS:
            kept = [i for i, t in enumerate(q.options) if t.strip()]
            data["options"] = {LETTERS[n]: q.options[i].strip() for n, i in enumerate(kept)}
            keys = [LETTERS[kept.index(i)] for i in sorted(set(q.correct)) if i in kept]
            data["answer"] = keys[0] if q.kind == "single" and keys else keys
        elif q.kind == "true_false":
            data["answer"] = bool(q.truth)
        else:
            data["answer"] = [a.strip() for a in q.answers if a.strip()]
        if q.explanation.strip():
            data["explanation"] = q.explanation.strip()
        tags = [t.strip() for t in q.tags if t.strip()]
        if tags:
            data["tags"] = list(dict.fromkeys(tags))
        questions.append(data)
    content: dict = {"questions": questions}
    if draft.is_drawn:
        content = {"draw": [{"tag": r.tag.strip(), "count": r.count,
                             **({"bank": r.bank.strip()} if r.bank.strip() else {})}
                            for r in draft.draws]}
    return {"pass_score": draft.pass_score, "attempts_allowed": draft.attempts_allowed,
            "shuffle": draft.shuffle, "partial_credit": draft.partial_credit,
            "time_limit_seconds": draft.time_limit_seconds, "review": draft.review,
            **content}


def to_yaml(draft: QuizDraft) -> str:
    """A draft as the YAML of the advanced tab ("" for a quiz without questions)."""
    if not draft.questions and not draft.is_drawn:
        return ""
    return yamldump.dump_yaml({"quiz": to_mapping(draft)})


def from_spec(spec: QuizSpec | None) -> QuizDraft:
    """A stored or parsed quiz as the form shows it."""
    if spec is None:
        return QuizDraft()
    return QuizDraft([question_draft(q) for q in spec.questions], spec.pass_score,
                     spec.attempts_allowed, spec.shuffle, spec.partial_credit,
                     spec.time_limit_seconds, spec.review,
                     "draw" if spec.draw else "fixed",
                     [DrawDraft(r.bank or "", r.tag, r.count) for r in spec.draw])


def question_draft(q: QuestionSpec) -> QuestionDraft:
    keys = [k for k, _ in q.options]
    answer = q.answer
    draft = QuestionDraft(key=str(q.key), kind=q.kind, stem=q.stem,
                          options=[t for _, t in q.options], explanation=q.explanation,
                          tags=list(q.tags))
    if q.kind in CHOICE_KINDS:
        chosen = [answer] if isinstance(answer, str) else list(answer or ())
        draft.correct = [keys.index(k) for k in chosen if k in keys]
    elif q.kind == "true_false":
        draft.truth = bool(answer)
    else:
        draft.answers = [answer] if isinstance(answer, str) else list(answer or ())
    return draft
