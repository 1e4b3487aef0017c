"""Writing a computed regrade (`regrade_state.Outcome`) in the caller's transaction: attempts,
completions and the lessons' summary, points as new ledger rows, the mistake notebook and
the officers' notifications; no Flask. Only `regrade.apply` calls these, in this order."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import update

from ...models import Attempt, Completion, Mistake
from ..learning import points
from ..reminders import inbox
from ..reports import unitstats
from . import mistakes
from .regrade_state import Outcome, Record


def entitled(item_type: str, record: Record, due_at: datetime | None,
             rules: Mapping[str, int]) -> int:
    """Quiz points an officer's record earns under `rules` (as `outcome._pay` pays them)."""
    if record.status != "completed":
        return 0
    if item_type != "lesson":
        return int(rules.get(f"{item_type}_quiz") or 0)
    on_time = due_at is None or record.first_completed_at is None \
        or record.first_completed_at <= due_at
    total = int(rules.get("lesson_on_time" if on_time else "lesson_late") or 0)
    if record.first_attempt_score == 100:
        total += int(rules.get("lesson_perfect") or 0)
    return total


def write_attempts(db, outcome: Outcome) -> None:
    """Every attempt holding a regraded question shows the new key; changed ones a new score.
    Bulk UPDATEs by primary key (one executemany each), since a weekly quiz has thousands."""
    changed = [{"id": c.attempt.id, "results": c.results, "score": c.new_score,
                "passed": c.new_passed} for c in outcome.attempts if c.changed]
    same = [{"id": c.attempt.id, "results": c.results}
            for c in outcome.attempts if not c.changed]
    for rows in (changed, same):
        if rows:
            db.execute(update(Attempt), rows)
    for change in outcome.attempts:
        db.expire(change.attempt)


def write_completions(db, outcome: Outcome) -> None:
    """The officers' completion rows, then the summary rows of the lessons concerned and the
    study minutes of the officers whose first completion changed."""
    for group in outcome.groups:
        new = group.new
        db.execute(update(Completion).where(
            Completion.user_id == group.user_id, Completion.item_type == group.item_type,
            Completion.item_id == group.item_id).values(
                status=new.status, first_completed_at=new.first_completed_at,
                best_score=new.best_score, first_score=new.first_score)
            .execution_options(synchronize_session=False))
    lessons = {g.item_id for g in outcome.groups if g.item_type == "lesson"}
    if lessons:  # counts, on-time counts and score sums follow the rows just written
        unitstats.rebuild(db, lesson_ids=lessons)
    moved = {g.user_id for g in outcome.groups
             if (g.old.status, g.old.first_completed_at)
             != (g.new.status, g.new.first_completed_at)}
    if moved:  # a first completion taken back or moved: those officers' study minutes
        unitstats.rebuild(db, officer_ids=moved)


def write_points(db, outcome: Outcome, rules: Mapping[str, int], now: datetime,
                 rule: str) -> tuple[int, int]:
    """One adjustment row per officer and item whose entitlement changes, bringing the
    ledger's net for that item to what the new record earns; (rows, net change)."""
    rows = delta = 0
    for group in outcome.groups:
        due_at = outcome.due_at.get(group.item_id) if group.item_type == "lesson" else None
        before = entitled(group.item_type, group.old, due_at, rules)
        after = entitled(group.item_type, group.new, due_at, rules)
        change = after - group.net_paid
        if before == after or change == 0:
            continue
        if points.award(db, group.user_id, rule, group.item_type, group.item_id, change,
                        at=now):
            rows, delta = rows + 1, delta + change
    return rows, delta


def write_mistakes(db, outcome: Outcome, now: datetime) -> tuple[int, int]:
    """A question now wrong in an officer's attempt goes (back) into their notebook; one no
    longer wrong in any of their attempts leaves it; (mistakes added, cleared)."""
    newly_wrong: dict[tuple[int, int], tuple[str, int]] = {}  # → where it was answered
    now_right, still_wrong = set(), set()
    for change in outcome.attempts:  # in attempt order: the latest attempt names the source
        user_id = change.attempt.user_id
        still_wrong |= {(user_id, q) for q in change.now_wrong}
        for qid in change.changed_questions:
            if qid in change.now_wrong and qid not in change.was_wrong:
                newly_wrong[(user_id, qid)] = (change.attempt.item_type,
                                               change.attempt.item_id)
            elif qid in change.was_wrong and qid not in change.now_wrong:
                now_right.add((user_id, qid))
    for (user_id, qid), source in sorted(newly_wrong.items()):
        mistakes.record_wrong(db, user_id, [qid], now, source=source)
    cleared = 0
    for user_id, qid in sorted(now_right - still_wrong):
        cleared += db.execute(update(Mistake).where(
            Mistake.user_id == user_id, Mistake.question_id == qid,
            Mistake.resolved_at.is_(None)).values(resolved_at=now)
            .execution_options(synchronize_session=False)).rowcount
    return len(newly_wrong), cleared


def notify(db, outcome: Outcome, now: datetime, dedupe_key: str) -> int:
    """Tell each officer whose pass state changed, in the app (a pass lost needs a retake)."""
    drafts = []
    for c in outcome.officers:
        if c.pass_change is None:
            continue
        state = "未通过 → 通过" if c.now_passed else "通过 → 未通过"
        body = (f"《{c.item_title}》测验的题目答案已更正，成绩按新答案重新评定："
                f"最高分 {_score(c.old_best)} → {_score(c.new_best)}，{state}。")
        if not c.now_passed:
            body += "请重新作答。"
        drafts.append(inbox.Draft(c.user_id, "regrade", "测验成绩已更正", body,
                                  outcome.links.get((c.item_type, c.item_id)),
                                  f"{dedupe_key}:{c.item_type}:{c.item_id}"))
    return len(inbox.store(db, drafts, at=now))


def _score(value: int | None) -> str:
    return "—" if value is None else str(value)
