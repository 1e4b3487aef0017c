"""Withdrawing (下架) published content: a reason is required and goes into the audit log,
and a weekly lesson whose due time has passed is history — it cannot be withdrawn, only
corrected by regrading (`quiz.regrade`); no Flask. Every entry point (the studio's
courseware workflow in `review`, the lesson page, any API or CLI) comes through here.
Nothing here commits: the caller does."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from ...models import MicroLesson, User
from .. import audit
from ..org import policy
from .authoring import NOTE_MAX, AuthoringError, Invalid

# The courseware workflow steps that take a published item away from officers.
STEPS = frozenset({"retire", "withdraw"})
PAST_DUE = ("本期微课已过截止时间，学习记录已成为历史，不能下架；"
            "如题目答案有误，请在“答题统计”中更正答案并重新评分。")


def require_reason(reason: str | None, field: str = "note") -> str:
    """The reason, stripped; Invalid (under ``field``) when empty or too long."""
    reason = (reason or "").strip()
    if not reason:
        raise Invalid({field: ["下架时请写明原因，原因会记入审计日志"]})
    if len(reason) > NOTE_MAX:
        raise Invalid({field: [f"原因最多 {NOTE_MAX} 个字"]})
    return reason


def check_lesson(lesson: MicroLesson, now: datetime) -> None:
    """AuthoringError unless the lesson may be withdrawn now: published and not yet due."""
    if lesson.status != "published":
        raise AuthoringError("只有已发布的微课可以下架")
    if lesson.due_at <= now:
        raise AuthoringError(PAST_DUE)


def withdraw_lesson(db: Session, actor: User, lesson: MicroLesson, reason: str | None,
                    now: datetime, ip: str | None = None) -> None:
    """Take a published, not yet due lesson away from officers (status retired), audited
    with the reason. Raises Invalid for a missing reason, AuthoringError when refused."""
    policy.require_author(actor)
    reason = require_reason(reason, "reason")
    check_lesson(lesson, now)
    # Conditional on what was checked: a concurrent withdrawal or due-time change wins once.
    moved = db.execute(update(MicroLesson)
                       .where(MicroLesson.id == lesson.id, MicroLesson.status == "published",
                              MicroLesson.due_at > now)
                       .values(status="retired")
                       .execution_options(synchronize_session=False)).rowcount
    if moved != 1:
        raise AuthoringError("微课状态或截止时间已变化，请刷新后重试")
    lesson.status = "retired"
    audit.record(db, "lesson_withdrawn", actor_id=actor.id,
                 target=f"lesson:{lesson.issue_no}:{lesson.slug}", ip=ip,
                 detail={"from": "published", "to": "retired", "reason": reason,
                         "due_at": lesson.due_at.isoformat()})
