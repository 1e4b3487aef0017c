"""A supervisor's "remind now" (提醒所选人员): one notification per selected officer per local
day, through the inbox and the outbox like every reminder, audited; no Flask."""
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import User
from .. import audit
from ..clock import to_local
from ..org import policy
from . import inbox, outbox

MAX_PEOPLE = 500  # one form post; a whole county is chased by the scheduled digests


@dataclass
class Nudged:
    """What a "remind now" did: who got one, who had one today already, who is not the
    supervisor's to remind (unknown, inactive or outside the subtree: the same answer)."""

    sent: list[User] = field(default_factory=list)
    already: list[User] = field(default_factory=list)
    refused: int = 0


def remind(db: Session, actor: User, user_ids: list[int], now: datetime, tz: str,
           external: bool, ip: str | None = None) -> Nudged:
    """Store today's nudge for each officer the policy lets `actor` remind; the (user, dedupe
    key) constraint refuses a second one the same local day, even from another supervisor.
    Nothing commits here: the caller's unit of work does."""
    if not policy.can_supervise(actor):
        raise policy.PermissionDenied
    wanted = list(dict.fromkeys(user_ids))[:MAX_PEOPLE]
    people = db.scalars(select(User).where(User.id.in_(wanted))).all() if wanted else []
    allowed = [u for u in people if policy.can_remind(actor, u)]
    result = Nudged(refused=len(wanted) - len(allowed))
    if not allowed:
        return result
    day = to_local(now, tz).date().isoformat()
    title = "请尽快完成未学的微课"
    body = f"{actor.name}提醒您：您还有未完成的政治练兵小课堂微课，请尽快学习并完成测验。"
    stored = inbox.notify(db, [u.id for u in allowed], "nudge", title, body, "/",
                          dedupe_key=f"nudge:{day}", at=now)
    if external:
        outbox.enqueue(db, stored, now)
    got = {n.user_id for n in stored}
    result.sent = [u for u in allowed if u.id in got]
    result.already = [u for u in allowed if u.id not in got]
    audit.record(db, "reminder_sent", actor_id=actor.id, ip=ip,
                 target=",".join(u.police_no for u in result.sent) or None,
                 detail={"sent": [u.police_no for u in result.sent],
                         "already_today": [u.police_no for u in result.already],
                         "refused": result.refused, "day": day})
    return result
