"""Peer acceptance of a classroom (推磨式验收): checklist scores, the decision, re-application
and retirement; no Flask.

Inspectors come from another county than the applicant (`policy.can_inspect_classroom`) and
take their turn in the rotation (`rotation`). Each scores every item of the type's checklist
(0–10, with a comment); the acceptance score is the weighted mean of the items' averages, as
a percentage. One inspector then accepts, or returns the application with comments; the
applying branch sees the score and every comment, and may apply again (a new round).
"""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from ...models import ChecklistItem, ChecklistScore, Classroom, ClassroomReview, Unit, User
from .. import audit
from ..org import policy
from . import rotation
from .checklists import checklist
from .errors import ClassroomError

SCORE_MAX = 10
COMMENT_MAX = 500
DECISION_COMMENT_MAX = 2000


@dataclass(frozen=True)
class ItemLine:
    """One checklist item: the viewer's own score, the average and every inspector's note."""

    id: int
    text: str
    weight: int
    my_score: int | None
    my_comment: str
    average: float | None
    notes: list[tuple[str, int, str]]  # (inspecting unit, score, comment)


@dataclass(frozen=True)
class ReviewLine:
    """A decision of one round, as the applicant and inspectors see it."""

    round: int
    decision: str
    comment: str
    score: float | None
    unit_name: str
    decided_at: datetime


@dataclass(frozen=True)
class Panel:
    """The acceptance section of a classroom page, for one viewer."""

    items: list[ItemLine]
    score: float | None
    reviews: list[ReviewLine]
    shows_scores: bool
    can_score: bool
    can_decide: bool
    scored_all: bool
    proposed: str | None  # the county the rotation proposes, when the viewer's must wait
    can_resubmit: bool
    can_retire: bool


def _unit(db: Session, room: Classroom) -> Unit | None:
    return db.get(Unit, room.unit_id) if room.unit_id else None


def _require_inspector(db: Session, user: User, room: Classroom) -> Unit:
    """The applicant's unit, if `user` may inspect now; else PermissionDenied or the turn."""
    unit = _unit(db, room)
    if not policy.can_accept_classroom(user, room, unit):
        raise policy.PermissionDenied
    turn = rotation.turn(db, policy.county_id(user.unit), policy.county_id(unit))
    if not turn.allowed:
        raise ClassroomError("推磨轮换：同一分局（部门）不连续验收同一单位，也不互相回验；"
                             f"本次请由{turn.proposed.name if turn.proposed else '其他单位'}验收")
    return unit


def weighted_score(db: Session, room: Classroom) -> float | None:
    """The round's acceptance score, 0–100: Σ weight × item average / Σ weight, scaled."""
    averages = dict(db.execute(
        select(ChecklistScore.item_id, func.avg(ChecklistScore.score))
        .where(ChecklistScore.classroom_id == room.id, ChecklistScore.round == room.round)
        .group_by(ChecklistScore.item_id)).all())
    weights = {item.id: item.weight for item in db.scalars(
        select(ChecklistItem).where(ChecklistItem.id.in_(list(averages))))} if averages else {}
    total = sum(weights.values())
    if not total:
        return None
    mean = sum(weights[i] * float(averages[i]) for i in weights) / total
    return round(mean * 100 / SCORE_MAX, 1)


def score(db: Session, user: User, room: Classroom, marks: dict[int, tuple[object, str]],
          now: datetime) -> float | None:
    """Record the inspector's score and comment for every checklist item (replacing their
    earlier ones this round); returns the round's weighted score."""
    _require_inspector(db, user, room)
    items = checklist(db, room.type_id)
    if not items:
        raise ClassroomError("该课堂类型还没有检查表")
    rows = []
    for item in items:
        value, comment = marks.get(item.id, (None, ""))
        try:
            value = int(str(value).strip())
        except ValueError:
            raise ClassroomError(f"请为“{item.text}”打分（0–{SCORE_MAX}）") from None
        if not 0 <= value <= SCORE_MAX:
            raise ClassroomError(f"请为“{item.text}”打分（0–{SCORE_MAX}）")
        comment = (comment or "").strip()
        if len(comment) > COMMENT_MAX:
            raise ClassroomError(f"每项意见不能超过 {COMMENT_MAX} 个字")
        rows.append({"classroom_id": room.id, "round": room.round, "item_id": item.id,
                     "inspector_id": user.id, "score": value, "comment": comment,
                     "scored_at": now})
    db.execute(delete(ChecklistScore).where(
        ChecklistScore.classroom_id == room.id, ChecklistScore.round == room.round,
        ChecklistScore.inspector_id == user.id))
    db.add_all(ChecklistScore(**row) for row in rows)
    db.flush()
    return weighted_score(db, room)


def _scored_all(db: Session, user: User, room: Classroom, items: list[ChecklistItem]) -> bool:
    done = set(db.scalars(select(ChecklistScore.item_id).where(
        ChecklistScore.classroom_id == room.id, ChecklistScore.round == room.round,
        ChecklistScore.inspector_id == user.id)))
    return {item.id for item in items} <= done


def decide(db: Session, user: User, room: Classroom, decision: str, comment: str,
           now: datetime, ip: str | None = None) -> ClassroomReview:
    """Accept the classroom, or return it with comments, for the inspector's unit; once the
    inspector has scored every checklist item. Of two decisions at once, one wins."""
    unit = _require_inspector(db, user, room)
    if decision not in ("accept", "return"):
        raise ClassroomError("请选择验收结论")
    comment = (comment or "").strip()
    if decision == "return" and not comment:
        raise ClassroomError("退回时请写明修改意见")
    if len(comment) > DECISION_COMMENT_MAX:
        raise ClassroomError(f"验收意见不能超过 {DECISION_COMMENT_MAX} 个字")
    items = checklist(db, room.type_id)
    if items and not _scored_all(db, user, room, items):
        raise ClassroomError("请先对检查表逐项评分")
    status = "accepted" if decision == "accept" else "returned"
    values = ({"status": status, "accepted_by_unit_id": user.unit_id, "accepted_at": now}
              if status == "accepted" else {"status": status})
    won = db.execute(
        update(Classroom).where(Classroom.id == room.id, Classroom.status == "applied",
                                Classroom.round == room.round)
        .values(**values).execution_options(synchronize_session=False)).rowcount
    if not won:
        raise ClassroomError("该课堂已经验收")
    review = ClassroomReview(
        classroom_id=room.id, round=room.round, decision=status, comment=comment,
        score=weighted_score(db, room), inspector_id=user.id, inspector_unit_id=user.unit_id,
        inspector_county_id=policy.county_id(user.unit),
        applicant_county_id=policy.county_id(unit), decided_at=now)
    db.add(review)
    db.flush()
    db.refresh(room)
    audit.record(db, f"classroom_{status}", actor_id=user.id, target=room.slug, ip=ip,
                 detail={"unit": unit.code, "accepted_by" if status == "accepted"
                         else "returned_by": user.unit.code, "round": room.round})
    return review


def resubmit(db: Session, user: User, room: Classroom, title: str, description: str,
             now: datetime, ip: str | None = None) -> None:
    """The applying branch applies again after a return: a new round of inspection."""
    if not (policy.is_applicant(user, room) and room.status == "returned"):
        raise policy.PermissionDenied
    title = " ".join((title or room.title).split())[:200] or room.title
    room.title, room.description = title, (description or "").strip()[:2000]
    room.status, room.round, room.applied_at = "applied", room.round + 1, now
    db.flush()
    audit.record(db, "classroom_applied", actor_id=user.id, target=room.slug, ip=ip,
                 detail={"unit": user.unit.code, "round": room.round})


def retire(db: Session, user: User, room: Classroom, now: datetime,
           ip: str | None = None) -> None:
    """Retire a classroom (撤销): it leaves the catalogue, its history stays."""
    if room.status == "retired" or not policy.can_retire_classroom(user, _unit(db, room)):
        raise policy.PermissionDenied
    room.status, room.retired_at = "retired", now
    db.flush()
    audit.record(db, "classroom_retired", actor_id=user.id, target=room.slug, ip=ip)


def _notes(db: Session, room: Classroom) -> dict[int, list[tuple[int, str, int, str]]]:
    rows = db.execute(
        select(ChecklistScore.item_id, ChecklistScore.inspector_id, Unit.name,
               ChecklistScore.score, ChecklistScore.comment)
        .join(User, User.id == ChecklistScore.inspector_id).join(Unit, Unit.id == User.unit_id)
        .where(ChecklistScore.classroom_id == room.id, ChecklistScore.round == room.round)
        .order_by(ChecklistScore.id))
    found: dict[int, list[tuple[int, str, int, str]]] = {}
    for item_id, inspector_id, unit_name, value, comment in rows:
        found.setdefault(item_id, []).append((inspector_id, unit_name, value, comment))
    return found


def panel(db: Session, viewer: User, room: Classroom) -> Panel:
    """What the viewer sees and may do in the classroom's acceptance."""
    unit = _unit(db, room)
    shows = policy.in_classroom_line(viewer, unit) or policy.can_inspect_classroom(viewer, unit)
    may_inspect = policy.can_accept_classroom(viewer, room, unit)
    proposed = None
    if may_inspect:
        turn = rotation.turn(db, policy.county_id(viewer.unit), policy.county_id(unit))
        if not turn.allowed:
            may_inspect, proposed = False, turn.proposed.name if turn.proposed else None
    items = checklist(db, room.type_id)
    notes = _notes(db, room) if shows else {}
    lines = []
    for item in items:
        found = notes.get(item.id, [])
        mine = next((n for n in found if n[0] == viewer.id), None)
        lines.append(ItemLine(
            item.id, item.text, item.weight, mine[2] if mine else None, mine[3] if mine else "",
            sum(n[2] for n in found) / len(found) if found else None,
            [(n[1], n[2], n[3]) for n in found]))
    reviews = [ReviewLine(r.round, r.decision, r.comment, r.score, name, r.decided_at)
               for r, name in db.execute(
                   select(ClassroomReview, Unit.name)
                   .join(Unit, Unit.id == ClassroomReview.inspector_unit_id)
                   .where(ClassroomReview.classroom_id == room.id)
                   .order_by(ClassroomReview.round.desc()))] if shows else []
    scored_all = all(line.my_score is not None for line in lines)
    return Panel(lines, weighted_score(db, room) if shows else None, reviews, shows,
                 may_inspect and bool(items), may_inspect and (scored_all or not items),
                 scored_all, proposed,
                 room.status == "returned" and policy.is_applicant(viewer, room),
                 room.status != "retired" and policy.can_retire_classroom(viewer, unit))
