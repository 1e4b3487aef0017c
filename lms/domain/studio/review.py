"""The review workflow of courseware written in the studio: draft → in review → published →
retired, each step audited, and approval only by someone who did not write this round; no
Flask. Nothing here commits: the caller does, once per request.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ...models import AuditEvent, Courseware, CoursewareRevision, User
from .. import audit
from ..org import policy
from . import withdrawal
from .authoring import NOTE_MAX, AuthoringError, Invalid, audit_target


@dataclass(frozen=True)
class Transition:
    """One step of the workflow draft → in_review → published → retired."""

    name: str
    source: str
    target: str
    audit_action: str
    note_required: bool = False


TRANSITIONS = {t.name: t for t in (
    Transition("submit", "draft", "in_review", "courseware_submitted"),
    Transition("approve", "in_review", "published", "courseware_published"),
    Transition("send_back", "in_review", "draft", "courseware_sent_back", note_required=True),
    Transition("retire", "published", "retired", "courseware_retired"),
    Transition("withdraw", "published", "draft", "courseware_withdrawn"),
    Transition("reopen", "retired", "draft", "courseware_reopened"),
)}


def transitions_for(db: Session, user: User, item: Courseware) -> list[Transition]:
    """The workflow steps ``user`` may take on ``item`` now."""
    if not policy.can_author(user):
        return []
    return [t for t in TRANSITIONS.values() if t.source == item.status
            and (t.name != "approve" or may_approve(db, user, item))]


def may_approve(db: Session, user: User, item: Courseware) -> bool:
    """Another trainer or an admin approves: not whoever wrote or submitted this round."""
    return policy.can_author(user) and user.id not in _round_authors(db, item)


def transition(db: Session, actor: User, item: Courseware, name: str, note: str = "",
               ip: str | None = None) -> Transition:
    """Move ``item`` one workflow step (audited); AuthoringError if it may not move."""
    policy.require_author(actor)
    step = TRANSITIONS.get(name)
    if step is None:
        raise AuthoringError("未知操作")
    note = note.strip()
    if step.name in withdrawal.STEPS:  # 下架: the reason is required and audited
        note = withdrawal.require_reason(note)
    if step.note_required and not note:
        raise Invalid({"note": ["退回时请写明原因"]})
    if len(note) > NOTE_MAX:
        raise Invalid({"note": [f"说明最多 {NOTE_MAX} 个字"]})
    if step.name == "approve" and not may_approve(db, actor, item):
        raise AuthoringError("不能审核自己编写或提交的课件，请由其他讲师或管理员审核")
    # Conditional on the status read: of two reviewers pressing at once, one wins.
    moved = db.execute(update(Courseware)
                       .where(Courseware.id == item.id, Courseware.status == step.source)
                       .values(status=step.target)
                       .execution_options(synchronize_session=False)).rowcount
    if moved != 1:
        raise AuthoringError("课件状态已变化，请刷新后重试")
    item.status = step.target
    detail = {"from": step.source, "to": step.target, "note": note}
    if step.name in withdrawal.STEPS:
        detail["reason"] = note
    if step.name == "approve":
        detail["revision_id"] = _latest_revision_id(db, item)
    audit.record(db, step.audit_action, actor_id=actor.id, target=audit_target(item),
                 detail=detail, ip=ip)
    return step


# --- helpers ------------------------------------------------------------------------------

def _latest_revision_id(db: Session, item: Courseware) -> int | None:
    return db.scalar(select(CoursewareRevision.id)
                     .where(CoursewareRevision.courseware_id == item.id)
                     .order_by(CoursewareRevision.id.desc()).limit(1))


def _round_authors(db: Session, item: Courseware) -> set[int]:
    """Who wrote a revision since the item was last approved, and who submitted it."""
    target = audit_target(item)

    def last(action: str) -> AuditEvent | None:
        return db.scalar(select(AuditEvent).where(AuditEvent.action == action,
                                                  AuditEvent.target == target)
                         .order_by(AuditEvent.id.desc()).limit(1))

    published, submitted = last("courseware_published"), last("courseware_submitted")
    since = (published.detail or {}).get("revision_id") if published is not None else None
    query = select(CoursewareRevision.author_id).where(
        CoursewareRevision.courseware_id == item.id, CoursewareRevision.author_id.is_not(None))
    if since is not None:
        query = query.where(CoursewareRevision.id > since)
    authors = set(db.scalars(query))
    if submitted is not None and submitted.actor_id is not None:
        authors.add(submitted.actor_id)
    return authors
