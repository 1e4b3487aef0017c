"""Regrading: changing the key of a question officers have answered, never silently; no Flask.

`plan` says what a new key would change — how many recorded attempts, and for which officers
the score, the first score and the pass state move (the studio's preview, "N 份作答受影响");
`apply` makes the change in the caller's transaction once the trainer confirms the very
preview they saw (its `token`): the key, the attempts, completions, points (new ledger rows
only), the lessons' summary table and the mistake notebook, audited with counts.
docs/REGRADING.md gives the rules and why.

Concurrency: on PostgreSQL `apply` locks the quiz row FOR UPDATE and the quiz's key lock
(`keylock`) exclusively before it reads anything, and a submission holds the key lock shared
while it reads the key and records the attempt (`attempts.submit`), so an attempt is graded
either wholly before a regrade (and regraded by it) or after it (against the new key). On
SQLite every write transaction begins IMMEDIATE, which serialises the two already.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import Question, Quiz, User
from .. import audit
from ..org import policy
from . import keylock
from . import regrade_effects as effects
from .regrade_state import OfficerChange, Outcome, compute

PREVIEW_ROWS = 500  # officers listed on the preview page; the counts cover everyone


class RegradeError(Exception):
    """A regrade the rules refuse; `message` is for people."""

    code = "regrade_refused"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidKey(RegradeError):
    """The new key does not fit the question (an option it does not have, nothing chosen)."""

    code = "invalid_key"


class StalePreview(RegradeError):
    """The preview confirmed is no longer what the regrade would do."""

    code = "stale_preview"


@dataclass(frozen=True)
class RegradePlan:
    """What changing a question's key would do; `token` names exactly this preview."""

    question_id: int
    quiz_id: int
    old_answer: object
    new_answer: object
    answered: int  # submitted attempts that contain the question
    affected: int  # of those, attempts whose result for it changes
    changes: tuple[OfficerChange, ...]  # officers (per item) whose record changes
    token: str

    @property
    def key_changed(self) -> bool:
        """Whether the new key differs from the stored one."""
        return self.old_answer != self.new_answer

    @property
    def pass_to_fail(self) -> int:
        """Officers whose pass becomes a fail."""
        return sum(1 for c in self.changes if c.pass_change == "pass_to_fail")

    @property
    def fail_to_pass(self) -> int:
        """Officers whose fail becomes a pass."""
        return sum(1 for c in self.changes if c.pass_change == "fail_to_pass")

    @property
    def shown(self) -> tuple[OfficerChange, ...]:
        """The rows a page lists: pass-state changes first, at most PREVIEW_ROWS."""
        return self.changes[:PREVIEW_ROWS]


@dataclass(frozen=True)
class RegradeResult:
    """What a confirmed regrade changed, as counted in its audit row."""

    question_id: int
    attempts_changed: int
    officers_changed: int
    pass_to_fail: int
    fail_to_pass: int
    points_rows: int
    points_delta: int
    mistakes_added: int
    mistakes_cleared: int
    notified: int


def parse_key(question: Question, raw: object) -> object:
    """The new key in the stored JSON shape, from a form or API value; raises InvalidKey.

    single: an option key; multiple: option keys (at least one); true_false: true/false
    (or the strings a form sends); fill_blank: accepted answers (a list, or text with one
    answer per line)."""
    options = [key for key, _ in question.options or ()]
    kind = question.kind
    if kind == "single":
        if not isinstance(raw, str) or raw not in options:
            raise InvalidKey("请选择一个正确选项")
        return raw
    if kind == "multiple":
        picked = [raw] if isinstance(raw, str) else raw
        if not isinstance(picked, (list, tuple)) or not picked:
            raise InvalidKey("请至少选择一个正确选项")
        if any(not isinstance(p, str) or p not in options for p in picked):
            raise InvalidKey("正确答案必须是本题的选项")
        return sorted(set(picked))
    if kind == "true_false":
        value = {"true": True, "false": False}.get(raw.lower(), raw) \
            if isinstance(raw, str) else raw
        if not isinstance(value, bool):
            raise InvalidKey("请选择“正确”或“错误”")
        return value
    if kind == "fill_blank":
        lines = raw.splitlines() if isinstance(raw, str) else raw
        if not isinstance(lines, (list, tuple)) or not all(isinstance(x, str) for x in lines):
            raise InvalidKey("请填写可接受的答案，每行一个")
        accepted = list(dict.fromkeys(x.strip() for x in lines if x.strip()))
        if not accepted:
            raise InvalidKey("请填写可接受的答案，每行一个")
        if any(len(x) > 500 for x in accepted):
            raise InvalidKey("每个答案最多 500 个字")
        return accepted
    raise InvalidKey("未知题型")


def plan(db: Session, question: Question, new_answer: object) -> RegradePlan:
    """What changing ``question``'s key to ``new_answer`` (stored shape, see `parse_key`)
    would change; nothing is written."""
    return _plan(compute(db, question, new_answer))


def apply(db: Session, actor: User, question_id: int, new_answer: object, token: str,
          now: datetime, rules: Mapping[str, int], ip: str | None = None) -> RegradeResult:
    """Change the key and regrade everything it touches, if the state is still the one the
    confirmed preview (``token``) showed; no commit. Raises StalePreview otherwise, and
    RegradeError when there is nothing to change."""
    policy.require_author(actor)
    question = db.get(Question, question_id)
    if question is None:
        raise RegradeError("题目不存在")
    # The quiz row orders regrades of one quiz; the key lock orders them against grading.
    db.execute(select(Quiz.id).where(Quiz.id == question.quiz_id).with_for_update())
    keylock.changing(db, question.quiz_id)
    db.refresh(question)
    outcome = compute(db, question, new_answer)
    current = _plan(outcome)
    if current.token != token:
        raise StalePreview("预览之后答案或作答已有变化，请重新预览后再确认。")
    if not current.key_changed:
        raise RegradeError("新答案与原答案相同，无需重新评分。")
    question.answer = new_answer
    effects.write_attempts(db, outcome)
    effects.write_completions(db, outcome)
    rows, delta = effects.write_points(db, outcome, rules, now, rule=f"regrade:{token[:16]}")
    added, cleared = effects.write_mistakes(db, outcome, now)
    notified = effects.notify(db, outcome, now, dedupe_key=f"regrade:{token[:16]}")
    result = RegradeResult(question.id, current.affected, len(current.changes),
                           current.pass_to_fail, current.fail_to_pass, rows, delta, added,
                           cleared, notified)
    audit.record(db, "quiz_regraded", actor_id=actor.id, target=f"question:{question.id}",
                 ip=ip, detail={
                     "quiz_id": question.quiz_id, "question_key": question.key,
                     "old_answer": current.old_answer, "new_answer": new_answer,
                     "items": sorted({f"{c.item_type}:{c.item_id}" for c in current.changes}),
                     "answered": current.answered, "attempts_changed": result.attempts_changed,
                     "officers_changed": result.officers_changed,
                     "pass_to_fail": result.pass_to_fail, "fail_to_pass": result.fail_to_pass,
                     "points_rows": rows, "points_delta": delta, "mistakes_added": added,
                     "mistakes_cleared": cleared, "notified": notified})
    db.flush()
    return result


def _plan(outcome: Outcome) -> RegradePlan:
    changes = tuple(sorted(outcome.officers, key=lambda c: (
        c.pass_change is None, c.unit_name, c.police_no, c.item_type, c.item_id)))
    return RegradePlan(outcome.question_id, outcome.quiz_id, outcome.old_answer,
                       outcome.new_answer, outcome.answered, outcome.affected, changes,
                       outcome.token)
