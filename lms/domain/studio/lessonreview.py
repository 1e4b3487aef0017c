"""The review workflow of weekly lessons written in the studio: draft → in review →
published, each step audited, approval only by someone who did not write or submit this
round; no Flask. An approved lesson goes out at its publish time (`policy.lesson_released`),
not at approval; until then it can be withdrawn to a draft. Nothing here commits.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ...models import AuditEvent, MicroLesson, User
from .. import audit
from ..org import policy
from .authoring import NOTE_MAX, AuthoringError, Invalid
from .lessonwork import lesson_target
from .review import Transition

TRANSITIONS = {t.name: t for t in (
    Transition("submit", "draft", "in_review", "lesson_submitted"),
    Transition("approve", "in_review", "published", "lesson_published"),
    Transition("send_back", "in_review", "draft", "lesson_sent_back", note_required=True),
    Transition("withdraw", "published", "draft", "lesson_withdrawn"),
)}
_WRITES = ("lesson_created", "lesson_saved")


def transitions_for(db: Session, user: User, lesson: MicroLesson, now: datetime
                    ) -> list[Transition]:
    """The workflow steps ``user`` may take on ``lesson`` now."""
    if not policy.can_author(user):
        return []
    return [t for t in TRANSITIONS.values() if t.source == lesson.status
            and (t.name != "approve" or may_approve(db, user, lesson))
            and (t.name != "withdraw" or lesson.publish_at > now)]


def may_approve(db: Session, user: User, lesson: MicroLesson) -> bool:
    """Another trainer or an admin approves: not whoever wrote or submitted this round."""
    return policy.can_author(user) and user.id not in _round_authors(db, lesson)


def transition(db: Session, actor: User, lesson: MicroLesson, name: str, now: datetime,
               note: str = "", ip: str | None = None) -> Transition:
    """Move ``lesson`` one workflow step (audited); AuthoringError if it may not move."""
    policy.require_author(actor)
    step = TRANSITIONS.get(name)
    if step is None:
        raise AuthoringError("未知操作")
    note = note.strip()
    if step.note_required and not note:
        raise Invalid({"note": ["退回时请写明原因"]})
    if len(note) > NOTE_MAX:
        raise Invalid({"note": [f"说明最多 {NOTE_MAX} 个字"]})
    if step.name == "approve":
        if not may_approve(db, actor, lesson):
            raise AuthoringError("不能审核自己编写或提交的微课堂，请由其他讲师或管理员审核")
        if lesson.due_at <= now:
            raise AuthoringError("截止时间已过，请先调整发布安排再审核发布")
    if step.name == "withdraw" and lesson.publish_at <= now:
        raise AuthoringError("本期已经发布，民警已能看到，不能撤回为草稿")
    # Conditional on the status read: of two reviewers pressing at once, one wins.
    moved = db.execute(update(MicroLesson)
                       .where(MicroLesson.id == lesson.id, MicroLesson.status == step.source)
                       .values(status=step.target)
                       .execution_options(synchronize_session=False)).rowcount
    if moved != 1:
        raise AuthoringError("状态已变化，请刷新后重试")
    lesson.status = step.target
    audit.record(db, step.audit_action, actor_id=actor.id, target=lesson_target(lesson),
                 detail={"from": step.source, "to": step.target, "note": note,
                         "publish_at": lesson.publish_at.isoformat()}, ip=ip)
    return step


def _round_authors(db: Session, lesson: MicroLesson) -> set[int]:
    """Who saved the lesson since it was last approved, and who submitted it."""
    target = lesson_target(lesson)
    events = db.execute(select(AuditEvent.id, AuditEvent.action, AuditEvent.actor_id)
                        .where(AuditEvent.target == target,
                               AuditEvent.action.in_((*_WRITES, "lesson_published",
                                                      "lesson_submitted")))
                        .order_by(AuditEvent.id)).all()
    authors: set[int] = set()
    submitter = None
    for _id, action, actor_id in events:
        if action == "lesson_published":
            authors = set()
        elif action == "lesson_submitted":
            submitter = actor_id
        elif actor_id is not None:
            authors.add(actor_id)
    if submitter is not None:
        authors.add(submitter)
    return authors
