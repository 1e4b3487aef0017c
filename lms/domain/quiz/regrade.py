"""Regrading: changing the key of a question officers have answered, never silently; no Flask.

`plan` says what a new key would change — how many recorded attempts, and for which officers
the score, the first score and the pass state move (the studio's preview, "N 份作答受影响");
`apply` makes the change in the caller's transaction once the trainer confirms the very
preview they saw (its `token`): the key, the attempts, completions, points (new ledger rows
only), the lessons' summary table and the mistake notebook, audited with counts.
docs/REGRADING.md gives the rules and why.

Concurrency: on PostgreSQL `apply` locks the quiz row FOR NO KEY UPDATE and the quiz's key
lock (`keylock`) exclusively before it reads anything, and a submission holds the key lock shared
while it reads the key and records the attempt (`attempts.submit`), so an attempt is graded
either wholly before a regrade (and regraded by it) or after it (against the new key). On
SQLite every write transaction begins IMMEDIATE, which serialises the two already.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...models import Attempt, Courseware, MicroLesson, Question, Quiz, User
from .. import audit
from ..org import policy
from ..problems import Refusal
from . import keylock
from . import regrade_effects as effects
from .regrade_state import OfficerChange, Outcome, compute

PREVIEW_ROWS = 500  # officers listed on the preview page; the counts cover everyone


class RegradeError(Refusal):
    """A regrade the rules refuse; `message` is for people."""

    code = "regrade_refused"


class InvalidKey(RegradeError):
    """The new key does not fit the question (an option it does not have, nothing chosen)."""

    code = "invalid_key"


class StalePreview(RegradeError):
    """The preview confirmed is no longer what the regrade would do."""

    code = "stale_preview"


@dataclass(frozen=True)
class KeyChange:
    """One question whose key changes."""

    question_id: int
    key: str
    stem: str
    kind: str
    options: tuple
    old_answer: object
    new_answer: object


@dataclass(frozen=True)
class RegradePlan:
    """What changing keys of a quiz would do; `token` names exactly this preview."""

    quiz_id: int | None  # None for bank questions (`regrade_bank`)
    keys: tuple[KeyChange, ...]
    answered: int  # submitted attempts that hold a question whose key changes
    affected: int  # of those, attempts whose result changes
    changes: tuple[OfficerChange, ...]  # officers (per item) whose record changes
    token: str
    bank_id: int | None = None  # the bank of the questions, for a bank regrade

    @property
    def key_changed(self) -> bool:
        """Whether any new key differs from the stored one."""
        return any(not same_key(k.kind, k.old_answer, k.new_answer) for k in self.keys)

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

    quiz_id: int | None
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


def changed_keys(db: Session, quiz_id: int, answers: Mapping[str, object]) -> dict[int, object]:
    """Question id → new key, for the quiz's current questions whose key (by question key,
    e.g. from an edited quiz file) differs from the stored one; new questions are left out."""
    rows = db.scalars(select(Question).where(Question.quiz_id == quiz_id,
                                             Question.retired.is_(False)))
    return {q.id: _stored(answers[q.key]) for q in rows
            if q.key in answers and not same_key(q.kind, q.answer, _stored(answers[q.key]))}


def answered_count(db: Session, question: Question) -> int:
    """Submitted attempts of the question's quiz (the page says how many answered it)."""
    return int(db.scalar(select(func.count()).select_from(Attempt).where(
        Attempt.quiz_id == question.quiz_id, Attempt.status == "submitted")) or 0)


def has_answers(db: Session, quiz_id: int) -> bool:
    """Whether any submitted attempt of the quiz is recorded."""
    return db.scalar(select(Attempt.id).where(Attempt.quiz_id == quiz_id,
                                              Attempt.status == "submitted").limit(1)) is not None


def question_keys(db: Session, question_ids) -> list[str]:
    """The question keys (q1, ...) of these ids, in quiz order."""
    return list(db.scalars(select(Question.key).where(Question.id.in_(list(question_ids)))
                           .order_by(Question.position, Question.id)))


def owner_of(db: Session, quiz_id: int) -> tuple[str, object, str] | None:
    """The item whose studio pages hold the quiz: ("courseware", slug, title) or ("lesson",
    id, title); a courseware item first, then the earliest lesson."""
    found = db.execute(select(Courseware.slug, Courseware.title)
                       .where(Courseware.quiz_id == quiz_id).limit(1)).first()
    if found is not None:
        return "courseware", found.slug, found.title
    found = db.execute(select(MicroLesson.id, MicroLesson.issue_no, MicroLesson.title)
                       .where(MicroLesson.quiz_id == quiz_id).order_by(MicroLesson.id)
                       .limit(1)).first()
    if found is not None:
        return "lesson", found.id, found.title
    return None


def plan(db: Session, quiz_id: int, new_answers: Mapping[int, object]) -> RegradePlan:
    """What changing the keys ``new_answers`` (question id → key in the stored shape, see
    `parse_key`) of a quiz's questions would change; nothing is written."""
    quiz = _quiz(db, quiz_id, new_answers)
    return plan_of(db, compute(db, quiz, new_answers))


def apply(db: Session, actor: User, quiz_id: int, new_answers: Mapping[int, object],
          token: str, now: datetime, rules: Mapping[str, int], ip: str | None = None
          ) -> RegradeResult:
    """Change the keys and regrade everything they touch, if the state is still the one the
    confirmed preview (``token``) showed; no commit. Raises StalePreview otherwise, and
    RegradeError when there is nothing to change."""
    policy.require_author(actor)
    # The quiz row orders regrades of one quiz; the key lock orders them against grading.
    # FOR NO KEY UPDATE, not FOR UPDATE: a submission holding the key lock shared inserts
    # its attempt, whose foreign key share-locks this row's key; FOR UPDATE would make it
    # wait for us while we wait for its key lock (a deadlock).
    db.execute(select(Quiz.id).where(Quiz.id == quiz_id).with_for_update(key_share=True))
    keylock.changing(db, quiz_id)
    db.expire_all()  # read the keys and attempts as they are now that we hold the locks
    quiz = _quiz(db, quiz_id, new_answers)
    outcome = compute(db, quiz, new_answers)
    current = confirmed(db, outcome, token)
    return write(db, actor, outcome, current, token, now, rules, f"quiz:{quiz_id}", ip)


def confirmed(db: Session, outcome, token: str) -> RegradePlan:
    """The plan of `outcome` if it is still the previewed one (``token``) and changes a key;
    StalePreview or RegradeError otherwise. Call it holding the locks."""
    current = plan_of(db, outcome)
    if current.token != token:
        raise StalePreview("预览之后答案或作答已有变化，请重新预览后再确认。")
    if not current.key_changed:
        raise RegradeError("新答案与原答案相同，无需重新评分。")
    return current


def write(db: Session, actor: User, outcome, current: RegradePlan, token: str, now: datetime,
          rules: Mapping[str, int], target: str, ip: str | None = None) -> RegradeResult:
    """Write a checked, current regrade (the locks held, the token matched) and audit it."""
    for qid, answer in outcome.new_answers.items():
        db.get(Question, qid).answer = answer
    effects.write_attempts(db, outcome)
    effects.write_completions(db, outcome)
    rows, delta = effects.write_points(db, outcome, rules, now, rule=f"regrade:{token[:16]}")
    added, cleared = effects.write_mistakes(db, outcome, now)
    notified = effects.notify(db, outcome, now, dedupe_key=f"regrade:{token[:16]}")
    result = RegradeResult(outcome.quiz_id, current.affected, len(current.changes),
                           current.pass_to_fail, current.fail_to_pass, rows, delta, added,
                           cleared, notified)
    audit.record(db, "quiz_regraded", actor_id=actor.id, target=target, ip=ip,
                 detail={
                     "questions": [{"id": k.question_id, "key": k.key, "old": k.old_answer,
                                    "new": k.new_answer} for k in current.keys],
                     "items": sorted({f"{c.item_type}:{c.item_id}" for c in current.changes}),
                     "answered": current.answered, "attempts_changed": result.attempts_changed,
                     "officers_changed": result.officers_changed,
                     "pass_to_fail": result.pass_to_fail, "fail_to_pass": result.fail_to_pass,
                     "points_rows": rows, "points_delta": delta, "mistakes_added": added,
                     "mistakes_cleared": cleared, "notified": notified})
    db.flush()
    return result


def _quiz(db: Session, quiz_id: int, new_answers: Mapping[int, object]) -> Quiz:
    quiz = db.get(Quiz, quiz_id)
    if quiz is None or not new_answers:
        raise RegradeError("测验不存在或没有要更正的题目")
    owned = set(db.scalars(select(Question.id).where(Question.quiz_id == quiz_id)))
    if not set(new_answers) <= owned:
        raise RegradeError("题目不属于这个测验")
    return quiz


def plan_of(db: Session, outcome: Outcome) -> RegradePlan:
    """The preview of a computed regrade; its token names exactly this preview."""
    questions = {q.id: q for q in db.scalars(select(Question).where(
        Question.id.in_(list(outcome.new_answers))))}
    keys = tuple(KeyChange(qid, questions[qid].key, questions[qid].stem, questions[qid].kind,
                           tuple(tuple(o) for o in questions[qid].options or ()),
                           outcome.old_answers[qid], outcome.new_answers[qid])
                 for qid in sorted(outcome.new_answers,
                                   key=lambda i: (questions[i].position, i)))
    changes = tuple(sorted(outcome.officers, key=lambda c: (
        c.pass_change is None, c.unit_name, c.police_no, c.item_type, c.item_id)))
    return RegradePlan(outcome.quiz_id, keys, outcome.answered, outcome.affected, changes,
                       outcome.token, outcome.bank_id)


def _stored(answer: object) -> object:
    """A key as the database stores it (JSON: lists, not tuples)."""
    return list(answer) if isinstance(answer, tuple) else answer


def same_key(kind: str, old: object, new: object) -> bool:
    """Whether two keys are the same key: a multiple choice's options compare unordered."""
    if kind == "multiple" and isinstance(old, (list, tuple)) and isinstance(new, (list, tuple)):
        return sorted(old) == sorted(new)
    if isinstance(old, (list, tuple)) and isinstance(new, (list, tuple)):
        return list(old) == list(new)
    return old == new and type(old) is type(new)
