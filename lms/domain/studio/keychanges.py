"""Saving an edited quiz whose keys changed for questions officers have answered: the save
waits for the trainer to confirm a regrade preview (`quiz.regrade`), then both happen in one
transaction; no Flask. A key no recorded attempt holds is simply saved."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.orm import Session

from ...models import Courseware, User
from ..quiz import regrade
from .authoring import parse_quiz


def pending_regrade(db: Session, item: Courseware | None, quiz_yaml: str
                    ) -> regrade.RegradePlan | None:
    """The regrade saving ``quiz_yaml`` over ``item``'s quiz would need, or None (no quiz
    yet, a quiz text the save will refuse anyway, or no changed key anyone answered)."""
    if item is None or item.quiz_id is None:
        return None
    spec, problems = parse_quiz(quiz_yaml)
    if spec is None or problems:
        return None
    changed = regrade.changed_keys(db, item.quiz_id, {q.key: q.answer for q in spec.questions})
    if not changed:
        return None
    plan = regrade.plan(db, item.quiz_id, changed)
    return plan if plan.answered else None


def confirm(db: Session, actor: User, plan: regrade.RegradePlan, token: str, now: datetime,
            rules: Mapping[str, int], ip: str | None = None) -> regrade.RegradeResult:
    """Regrade as ``plan`` previewed, if ``token`` is that preview's and still current;
    raises regrade.StalePreview otherwise. The caller saves the item in the same transaction."""
    if token != plan.token:
        raise regrade.StalePreview("答案已改动且有民警作答过：请查看重新评分预览并确认后再保存。")
    return regrade.apply(db, actor, plan.quiz_id,
                         {k.question_id: k.new_answer for k in plan.keys}, token, now, rules,
                         ip=ip)
