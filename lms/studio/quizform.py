"""The question editor's form fields: reading them into a `questions.QuizDraft` and handling
its buttons (add, remove, reorder, switch to the YAML tab and back). Plain field parsing only:
the rules are `domain.studio.questions`'. Works without JavaScript: every edit is a submit
button whose name is ``quiz_action`` and whose value says what to do."""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from werkzeug.datastructures import MultiDict

from ..domain.studio import authoring, drawform, questions

MODES = ("form", "yaml")
_TAG_SPLIT = re.compile(r"[,，、;；\s]+")


@dataclass
class QuizEditor:
    """What the editor shows: the draft, the YAML text, the tab, and problems by field."""

    draft: questions.QuizDraft
    yaml_text: str = ""
    mode: str = "form"
    problems: dict[str, list[str]] = field(default_factory=dict)
    action: str | None = None  # the edit button pressed, if any
    banks: list[drawform.BankChoice] = field(default_factory=list)  # for the draw rules

    @property
    def is_edit(self) -> bool:
        """An edit button was pressed: re-show the form, save nothing."""
        return self.action is not None

    def problem_keys(self) -> set[str]:
        """Fields with problems (for aria-invalid and the summary)."""
        return set(self.problems)


def from_quiz(quiz) -> QuizEditor:
    """The editor for a stored quiz (or none)."""
    spec = authoring.quiz_spec(quiz) if quiz is not None else None
    return QuizEditor(questions.from_spec(spec), authoring.quiz_text(quiz))


def from_request(form: MultiDict) -> QuizEditor:
    """The editor as submitted, with any edit button applied."""
    mode = form.get("quiz-mode")
    if mode not in MODES:  # a post without the tabs (a script, an old page): by what it holds
        mode = "yaml" if "quiz_yaml" in form else "form"
    editor = QuizEditor(_draft(form), form.get("quiz_yaml", ""), mode)
    action = form.get("quiz_action")
    if not action:
        return editor
    editor.action = action
    if action == "mode:yaml":
        if mode == "form":
            editor.yaml_text = questions.to_yaml(editor.draft)
        editor.mode = "yaml"
    elif action == "mode:form":
        if mode == "yaml":
            spec, found = authoring.parse_quiz(editor.yaml_text)
            if found:  # stay on the YAML tab until it reads
                editor.problems["quiz_yaml"] = found
                return editor
            editor.draft = questions.from_spec(spec)
        editor.mode = "form"
    elif mode == "form":
        editor.draft = questions.apply(editor.draft, action)
    return editor


def _int(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) < 6 else None


def _draft(form: MultiDict) -> questions.QuizDraft:
    count = min(_int(form.get("quiz-n")) or 0, questions.MAX_QUESTIONS)
    items = [_question(form, i) for i in range(count)]
    pass_raw = (form.get("quiz-pass_score") or "").strip()
    return with_keys(questions.QuizDraft(
        questions=items,
        pass_score=_int(pass_raw) if pass_raw else None,
        attempts_allowed=_int(form.get("quiz-attempts_allowed")),
        shuffle=form.get("quiz-shuffle") == "1",
        partial_credit=form.get("quiz-partial_credit") == "1",
        time_limit_seconds=_int(form.get("quiz-time_limit_seconds")),
        review=form.get("quiz-review") or "after_pass",
        source="draw" if form.get("quiz-source") == "draw" else "fixed",
        draws=_draws(form)))


def _draws(form: MultiDict) -> list[drawform.DrawDraft]:
    count = min(_int(form.get("quiz-dn")) or 0, drawform.MAX_RULES)
    return [drawform.DrawDraft(bank=(form.get(f"quiz-d{i}-bank") or "").strip()[:64],
                               tag=(form.get(f"quiz-d{i}-tag") or "").strip()[:200],
                               count=_int(form.get(f"quiz-d{i}-count")))
            for i in range(count)]


def _question(form: MultiDict, i: int) -> questions.QuestionDraft:
    prefix = f"quiz-{i}-"
    n_options = min(_int(form.get(prefix + "nopt")) or 0, questions.MAX_OPTIONS + 4)
    truth = form.get(prefix + "truth")
    return questions.QuestionDraft(
        key=(form.get(prefix + "key") or "").strip()[:64],
        kind=form.get(prefix + "kind", ""),
        stem=form.get(prefix + "stem", ""),
        options=[form.get(f"{prefix}opt{j}", "") for j in range(n_options)],
        correct=[j for j in (_int(v) for v in form.getlist(prefix + "correct"))
                 if j is not None],
        truth={"true": True, "false": False}.get(truth or ""),
        answers=[a.strip() for a in form.get(prefix + "answers", "").splitlines()
                 if a.strip()],
        explanation=form.get(prefix + "explanation", ""),
        tags=[t for t in _TAG_SPLIT.split(form.get(prefix + "tags", "")) if t])


def with_keys(draft: questions.QuizDraft) -> questions.QuizDraft:
    """Questions without a key (a forged form) get the next free one."""
    taken = {q.key for q in draft.questions if q.key}
    for q in draft.questions:
        if not q.key:
            q.key = questions.new_question(q.kind, taken).key
            taken.add(q.key)
    return draft


def preview_draft(editor: QuizEditor, db=None) -> questions.QuizDraft:
    """The quiz a preview shows: the form's draft as it is, or the YAML tab's quiz once it
    reads (its problems shown on the tab meanwhile); a drawing quiz with one sample draw."""
    if editor.mode == "form":
        draft = editor.draft
    else:
        spec, found = authoring.parse_quiz(editor.yaml_text)
        if found:
            editor.problems["quiz_yaml"] = found
        draft = questions.from_spec(spec)
    return with_sample(draft, db) if db is not None else draft


def with_sample(draft: questions.QuizDraft, db) -> questions.QuizDraft:
    """A drawing quiz with the questions of one sample draw (complete rules only)."""
    if not draft.is_drawn:
        return draft
    rules = [r for r in draft.draws if r.tag.strip() and r.count and 1 <= r.count <= 100]
    found = drawform.sample(db, [drawform.DrawDraft(r.bank.strip() or None, r.tag.strip(),
                                                    r.count) for r in rules])
    return replace(draft, questions=[questions.question_draft(q) for q in found])


def attach_banks(editor: QuizEditor, db) -> QuizEditor:
    """The banks and their tags, for the draw rules' selects."""
    editor.banks = drawform.bank_choices(db)
    return editor
