"""Classrooms (五大课堂): applying, peer acceptance (推磨式验收), sessions; no Flask.

A branch applies to run a classroom; a supervisor or trainer of a unit outside its own line
(neither in its subtree nor above it) inspects and accepts it. The running unit schedules
sessions and opens check-in for them (`checkins`).
"""
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...models import Attendance, Classroom, ClassroomType, ClassSession, Courseware, Unit, User
from .. import audit, clock
from ..learning import catalog
from ..org import policy
from . import acceptance
from .errors import ClassroomError

__all__ = ["ClassroomError"]  # re-exported: views and callers catch it from here

CHECKIN_WINDOW = timedelta(hours=2)  # after the start
CHECKIN_LEAD = timedelta(hours=1)  # opening earlier would let a code travel to absentees
TITLE_MAX, TOPIC_MAX, DESCRIPTION_MAX = 200, 200, 2000
SESSION_KINDS = ("regular", "listening")  # listening: 集中听课 of a featured courseware item
DEFAULT_DURATION, MIN_DURATION, MAX_DURATION = 90, 10, 480  # a session's length, minutes


@dataclass(frozen=True)
class Attendee:
    """An officer who checked in, as the running unit's supervisors see them."""

    name: str
    police_no: str
    unit_name: str


@dataclass(frozen=True)
class SessionLine:
    """One session on the classroom page."""

    id: int
    starts_at: datetime
    topic: str
    courseware_slug: str | None
    courseware_title: str | None
    attendance: int
    checkin_open: bool
    checkin_closes_at: datetime | None
    checkin_phase: str  # when check-in may be opened: early | now | over
    attended: bool  # by the viewer
    attendees: list[Attendee] | None  # None: the viewer may not see names
    kind: str = "regular"  # listening: 集中听课
    lecturer_id: int | None = None
    lecturer_name: str | None = None
    lecturer_police_no: str | None = None


@dataclass(frozen=True)
class ClassroomDetail:
    """A classroom with its sessions and what the viewer may do there."""

    room: Classroom
    type_name: str
    unit: Unit | None
    accepted_by: Unit | None
    sessions: list[SessionLine]
    can_accept: bool
    can_run: bool
    shows_names: bool


@dataclass(frozen=True)
class AttendanceLine:
    """One session an officer attended, for the learning profile."""

    session_id: int
    topic: str
    classroom_title: str
    classroom_slug: str
    starts_at: datetime
    checked_in_at: datetime


def types(db: Session) -> list[ClassroomType]:
    """Every classroom type in display order."""
    return list(db.scalars(select(ClassroomType).order_by(ClassroomType.position,
                                                          ClassroomType.id)))


def by_slug(db: Session, slug: str) -> Classroom | None:
    """The classroom with this slug unless it is retired."""
    return db.scalar(select(Classroom).where(Classroom.slug == slug,
                                             Classroom.status != "retired"))


def visible(db: Session, viewer: User, slug: str) -> Classroom | None:
    """The classroom with this slug, in any state, if the viewer may see it."""
    room = db.scalar(select(Classroom).where(Classroom.slug == slug))
    if room is None:
        return None
    unit = db.get(Unit, room.unit_id) if room.unit_id else None
    return room if policy.can_see_classroom(viewer, room, unit) else None


def _text(value: str | None, limit: int, missing: str, too_long: str) -> str:
    """Whitespace-collapsed one-line text, required and bounded."""
    value = " ".join((value or "").split())
    if not value:
        raise ClassroomError(missing)
    if len(value) > limit:
        raise ClassroomError(too_long)
    return value


def apply(db: Session, user: User, type_key: str, title: str, description: str,
          ip: str | None = None, now: datetime | None = None) -> Classroom:
    """Apply to run a classroom for the user's own unit; it waits for a peer's acceptance.

    The same title applied for twice by the same unit (a double submit) is one application.
    """
    if not policy.can_apply_classroom(user):
        raise policy.PermissionDenied
    kind = db.scalar(select(ClassroomType).where(ClassroomType.key == (type_key or "")))
    if kind is None:
        raise ClassroomError("请选择课堂类型")
    title = _text(title, TITLE_MAX, "请填写课堂名称", f"课堂名称不能超过 {TITLE_MAX} 个字")
    description = (description or "").strip()
    if len(description) > DESCRIPTION_MAX:
        raise ClassroomError(f"课堂简介不能超过 {DESCRIPTION_MAX} 个字")
    pending = db.scalar(select(Classroom).where(
        Classroom.unit_id == user.unit_id, Classroom.title == title,
        Classroom.status == "applied"))
    if pending is not None:
        return pending
    stem = re.sub(r"[^a-z0-9]+", "-", f"{kind.key}-{user.unit.code}".lower()).strip("-")
    room = Classroom(slug=f"{stem[:100]}-{secrets.token_hex(3)}", type_id=kind.id,
                     unit_id=user.unit_id, title=title, description=description,
                     status="applied", applied_at=now or clock.utcnow())
    db.add(room)
    db.flush()
    audit.record(db, "classroom_applied", actor_id=user.id, target=room.slug, ip=ip,
                 detail={"unit": user.unit.code, "type": kind.key})
    return room


def accept(db: Session, user: User, room: Classroom, now: datetime,
           ip: str | None = None) -> None:
    """Accept an applied classroom as an inspector from another county (no comment)."""
    acceptance.decide(db, user, room, "accept", "", now, ip=ip)


def schedule(db: Session, user: User, room: Classroom, starts_at_local: datetime, topic: str,
             courseware_slug: str | None, tz: str, kind: str = "regular",
             duration_minutes: int | None = None) -> ClassSession:
    """Schedule a session taught by `user`; `starts_at_local` is naive local time in `tz`
    (Asia/Shanghai); its length (default 90 minutes) is the study hours its attendees earn.
    A `listening` session (集中听课) plays one featured courseware item."""
    if not policy.can_run_classroom(user, room):
        raise policy.PermissionDenied
    topic = _text(topic, TOPIC_MAX, "请填写活动主题", f"活动主题不能超过 {TOPIC_MAX} 个字")
    if not clock.plausible(starts_at_local):
        raise ClassroomError("时间须在 1900 年至 2999 年之间")
    if kind not in SESSION_KINDS:
        raise ClassroomError("活动类型不正确")
    courseware_id = None
    item = catalog.published_item(db, courseware_slug) if courseware_slug else None
    if courseware_slug and item is None:
        raise ClassroomError("所选课件不存在或未发布")
    if kind == "listening" and (item is None or not item.featured):
        raise ClassroomError("集中听课须选择一件精品课件")
    courseware_id = item.id if item else None
    duration = duration_minutes or DEFAULT_DURATION
    if not MIN_DURATION <= duration <= MAX_DURATION:
        raise ClassroomError(f"时长须在 {MIN_DURATION} 至 {MAX_DURATION} 分钟之间")
    session = ClassSession(classroom_id=room.id, starts_at=clock.to_utc(starts_at_local, tz),
                           topic=topic, courseware_id=courseware_id, kind=kind,
                           lecturer_id=user.id, duration_minutes=duration)
    db.add(session)
    db.flush()
    return session


def checkin_phase(session: ClassSession, now: datetime) -> str:
    """Whether check-in may be opened: early (more than an hour before), now, or over."""
    if now < session.starts_at - CHECKIN_LEAD:
        return "early"
    return "now" if now < session.starts_at + CHECKIN_WINDOW else "over"


def _attendees(db: Session, session_ids: list[int]) -> dict[int, list[Attendee]]:
    """Who checked in at each session, in check-in order."""
    found: dict[int, list[Attendee]] = {}
    rows = db.execute(
        select(Attendance.session_id, User.name, User.police_no, Unit.name)
        .join(User, User.id == Attendance.user_id).join(Unit, Unit.id == User.unit_id)
        .where(Attendance.session_id.in_(session_ids))
        .order_by(Attendance.checked_in_at, Attendance.id))
    for session_id, name, police_no, unit_name in rows:
        found.setdefault(session_id, []).append(Attendee(name, police_no, unit_name))
    return found


def detail(db: Session, viewer: User, room: Classroom, now: datetime) -> ClassroomDetail:
    """The classroom page: sessions newest first with attendance counts; names only for
    those whose scope holds the running unit."""
    unit = db.get(Unit, room.unit_id) if room.unit_id else None
    accepted_by = db.get(Unit, room.accepted_by_unit_id) if room.accepted_by_unit_id else None
    counts = (select(Attendance.session_id, func.count().label("n"))
              .join(ClassSession, ClassSession.id == Attendance.session_id)
              .where(ClassSession.classroom_id == room.id)
              .group_by(Attendance.session_id).subquery())
    rows = db.execute(
        select(ClassSession, Courseware.slug, Courseware.title, func.coalesce(counts.c.n, 0),
               User.name, User.police_no)
        .outerjoin(Courseware, Courseware.id == ClassSession.courseware_id)
        .outerjoin(User, User.id == ClassSession.lecturer_id)
        .outerjoin(counts, counts.c.session_id == ClassSession.id)
        .where(ClassSession.classroom_id == room.id)
        .order_by(ClassSession.starts_at.desc(), ClassSession.id.desc())).all()
    ids = [row[0].id for row in rows]
    mine = set(db.scalars(select(Attendance.session_id).where(
        Attendance.user_id == viewer.id, Attendance.session_id.in_(ids)))) if ids else set()
    names = policy.shows_attendee_names(viewer, unit)
    who = _attendees(db, ids) if names and ids else {}
    sessions = [SessionLine(
        s.id, s.starts_at, s.topic, slug, title, int(n),
        checkin_open=bool(s.checkin_code_hash and s.checkin_closes_at
                          and s.checkin_closes_at > now),
        checkin_closes_at=s.checkin_closes_at,
        checkin_phase=checkin_phase(s, now), attended=s.id in mine,
        attendees=who.get(s.id, []) if names else None, kind=s.kind,
        lecturer_id=s.lecturer_id, lecturer_name=lecturer, lecturer_police_no=police_no)
        for s, slug, title, n, lecturer, police_no in rows]
    return ClassroomDetail(room, room.type.name, unit, accepted_by, sessions,
                           policy.can_accept_classroom(viewer, room, unit),
                           policy.can_run_classroom(viewer, room), names)


def session_of(db: Session, session_id: int) -> ClassSession | None:
    """A session, if its classroom is not retired."""
    return db.scalar(select(ClassSession).join(Classroom).where(
        ClassSession.id == session_id, Classroom.status != "retired"))


def attendance_of(db: Session, user_id: int, limit: int = 200) -> list[AttendanceLine]:
    """The sessions a user checked in at, most recent first."""
    rows = db.execute(
        select(ClassSession.id, ClassSession.topic, Classroom.title, Classroom.slug,
               ClassSession.starts_at, Attendance.checked_in_at)
        .join(ClassSession, ClassSession.id == Attendance.session_id)
        .join(Classroom, Classroom.id == ClassSession.classroom_id)
        .where(Attendance.user_id == user_id)
        .order_by(ClassSession.starts_at.desc(), Attendance.id.desc()).limit(limit))
    return [AttendanceLine(*row) for row in rows]
