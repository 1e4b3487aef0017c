"""Check-in at a classroom session (签到); no Flask.

The running unit opens check-in: a short code shown once in the room and stored only as a
keyed hash. Checking in writes attendance, completion and points in the caller's one
transaction, each by an idempotent insert, so a retried submission never counts twice.
"""
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ...models import Attendance, Classroom, ClassSession, User
from .. import audit
from ..learning import completion, points
from ..org import policy
from .lifecycle import CHECKIN_WINDOW, ClassroomError, checkin_phase

ITEM_TYPE = "session"  # completions and points ledger source type
POINTS_RULE = "session_attended"
# No 0/O, 1/I/L: read off a projector and typed on a phone without doubt (31^6 ≈ 9×10^8).
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6

HashCode = Callable[[str], str]  # the app's keyed code hasher, Passwords.hash_code


@dataclass(frozen=True)
class CheckIn:
    """What entering a code came to: ok | already | wrong | expired."""

    status: str
    topic: str = ""
    classroom: str = ""
    points_awarded: int = 0
    slug: str = ""  # the classroom's, where the officer may rate the session


def new_session_code() -> str:
    """A check-in code: 6 characters from an unambiguous alphabet."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(text: str | None) -> str:
    """What the officer typed, upper-cased, without spaces or dashes."""
    return re.sub(r"[\s\-]+", "", text or "").upper()


def _digest(hash_code: HashCode, code: str) -> str:
    # The hasher answers "hmac$<64 hex>"; the column holds the 64 hex digits (one scheme).
    return hash_code(code).rpartition("$")[2]


def open_checkin(db: Session, user: User, session: ClassSession, hash_code: HashCode,
                 now: datetime, ip: str | None = None) -> str:
    """Open (or reopen) check-in and return the new code, the only time it exists in clear;
    a previous code of the session stops working. Valid until starts_at + 2 hours."""
    room = db.get(Classroom, session.classroom_id)
    if room is None or not policy.can_run_classroom(user, room):
        raise policy.PermissionDenied
    phase = checkin_phase(session, now)
    if phase == "early":
        raise ClassroomError("活动开始前 1 小时内才能开启签到")
    if phase == "over":
        raise ClassroomError("本次活动的签到时间已过")
    closes_at = session.starts_at + CHECKIN_WINDOW
    while True:  # open codes must be unique; a clash is a one-in-10^8 event
        code = new_session_code()
        digest = _digest(hash_code, code)
        clash = db.scalar(select(ClassSession.id).where(
            ClassSession.checkin_code_hash == digest, ClassSession.id != session.id,
            ClassSession.checkin_closes_at > now))
        if clash is None:
            break
    session.checkin_code_hash, session.checkin_closes_at = digest, closes_at
    audit.record(db, "checkin_opened", actor_id=user.id, target=f"session:{session.id}", ip=ip,
                 detail={"classroom": room.slug, "closes_at": closes_at.isoformat()})
    return code


def _insert_attendance(db: Session):
    dialect = db.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(Attendance)


def check_in(db: Session, user: User, code: str, hash_code: HashCode, now: datetime,
             rules: Mapping[str, int] | None = None) -> CheckIn:
    """Check the officer in with a session code: attendance, completion and the
    `session_attended` points of `rules`, each at most once per officer and session."""
    code = normalise_code(code)
    if len(code) != CODE_LENGTH or not set(code) <= set(CODE_ALPHABET):
        return CheckIn("wrong")
    rows = db.execute(select(ClassSession, Classroom).join(Classroom)
                      .where(ClassSession.checkin_code_hash == _digest(hash_code, code))).all()
    if not rows:
        return CheckIn("wrong")
    live = [(s, r) for s, r in rows if r.status == "accepted" and s.checkin_closes_at
            and s.checkin_closes_at > now]
    session, room = (live or rows)[0]
    if not live:
        return CheckIn("expired", session.topic, room.title)
    inserted = db.execute(
        _insert_attendance(db).values(session_id=session.id, user_id=user.id, checked_in_at=now)
        .on_conflict_do_nothing(index_elements=("session_id", "user_id"))
        .returning(Attendance.id)).scalar() is not None
    if not inserted:
        return CheckIn("already", session.topic, room.title, slug=room.slug)
    completion.mark_completed(db, user.id, ITEM_TYPE, session.id, now)
    amount = int((rules or {}).get(POINTS_RULE) or 0)
    paid = amount and points.award(db, user.id, POINTS_RULE, ITEM_TYPE, session.id, amount,
                                   at=now)
    return CheckIn("ok", session.topic, room.title, amount if paid else 0, room.slug)
