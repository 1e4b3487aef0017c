"""Lecturers (党员讲师): their profile, and officers' ratings of the sessions they taught; no
Flask.

An officer who checked in at a session rates it once, 1–5 with an optional comment, until
7 days after it. Who rated what is kept only to allow one rating each: profiles show averages
and counts of sessions whose rating window has closed (so a figure never moves as single
ratings arrive), and a figure only once MIN_RATERS have rated, so a lecturer cannot tell one
officer's rating from the result; comments are shown to the lecturer alone, detached from
sessions and ordered by text.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ...models import (
    Attendance,
    Classroom,
    ClassSession,
    Courseware,
    CoursewareRevision,
    SessionRating,
    Unit,
    User,
)
from .errors import ClassroomError

RATING_WINDOW = timedelta(days=7)  # after the session's start
MIN_RATERS = 3
COMMENT_MAX = 500


@dataclass(frozen=True)
class Taught:
    """A session the lecturer taught."""

    id: int
    starts_at: datetime
    topic: str
    kind: str
    classroom_title: str
    classroom_slug: str
    attendance: int
    ratings: int  # 0 while the rating window is open
    average: float | None  # None below MIN_RATERS or while the window is open


@dataclass(frozen=True)
class Profile:
    """A lecturer's profile page."""

    police_no: str
    name: str
    unit_name: str
    sessions: list[Taught]
    sessions_held: int
    courseware: list[tuple[str, str]]  # (slug, title), published
    ratings: int
    average: float | None  # None below MIN_RATERS
    comments: list[str] | None  # for the lecturer alone


def rating_open(db: Session, user: User, session: ClassSession, now: datetime) -> bool:
    """Whether the user may still rate the session: attended, not its lecturer, within the
    window, not rated yet."""
    if session.lecturer_id == user.id or now > session.starts_at + RATING_WINDOW:
        return False
    attended = db.scalar(select(Attendance.id).where(
        Attendance.session_id == session.id, Attendance.user_id == user.id))
    rated = db.scalar(select(SessionRating.id).where(
        SessionRating.session_id == session.id, SessionRating.user_id == user.id))
    return attended is not None and rated is None


def my_ratings(db: Session, user_id: int, session_ids: list[int]) -> dict[int, int]:
    """The user's own ratings of these sessions."""
    if not session_ids:
        return {}
    return dict(db.execute(select(SessionRating.session_id, SessionRating.score).where(
        SessionRating.user_id == user_id, SessionRating.session_id.in_(session_ids))).all())


def rate(db: Session, user: User, session: ClassSession, score: object, comment: str | None,
         now: datetime) -> None:
    """Rate a session the user attended: once, 1–5, until 7 days after it."""
    try:
        value = int(str(score).strip())
    except ValueError:
        value = 0
    if not 1 <= value <= 5:
        raise ClassroomError("请选择 1 到 5 分")
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise ClassroomError(f"评价不能超过 {COMMENT_MAX} 个字")
    if session.lecturer_id == user.id:
        raise ClassroomError("不能评价自己主讲的活动")
    attended = db.scalar(select(Attendance.id).where(
        Attendance.session_id == session.id, Attendance.user_id == user.id))
    if attended is None:
        raise ClassroomError("签到参加本次活动后才能评价")
    if now > session.starts_at + RATING_WINDOW:
        raise ClassroomError("评价已截止：活动后 7 天内可以评价")
    dialect = postgresql if db.get_bind().dialect.name == "postgresql" else sqlite
    inserted = db.execute(
        dialect.insert(SessionRating)
        .values(session_id=session.id, user_id=user.id, score=value, comment=comment,
                created_at=now)
        .on_conflict_do_nothing(index_elements=("session_id", "user_id"))
        .returning(SessionRating.id)).scalar()
    if inserted is None:
        raise ClassroomError("你已经评价过本次活动")


def _shown(total: int, ratings: int) -> float | None:
    return round(total / ratings, 1) if ratings >= MIN_RATERS else None


def profile(db: Session, viewer: User, lecturer: User, now: datetime) -> Profile:
    """The lecturer's sessions, courseware and ratings, as `viewer` may see them."""
    attended = (select(Attendance.session_id, func.count().label("n"))
                .group_by(Attendance.session_id).subquery())
    rated = (select(SessionRating.session_id, func.count().label("n"),
                    func.sum(SessionRating.score).label("total"))
             .group_by(SessionRating.session_id).subquery())
    rows = db.execute(
        select(ClassSession, Classroom.title, Classroom.slug, func.coalesce(attended.c.n, 0),
               func.coalesce(rated.c.n, 0), func.coalesce(rated.c.total, 0))
        .join(Classroom, Classroom.id == ClassSession.classroom_id)
        .outerjoin(attended, attended.c.session_id == ClassSession.id)
        .outerjoin(rated, rated.c.session_id == ClassSession.id)
        .where(ClassSession.lecturer_id == lecturer.id)
        .order_by(ClassSession.starts_at.desc(), ClassSession.id.desc())).all()
    closed = [(row, row[0].starts_at + RATING_WINDOW < now) for row in rows]
    sessions = [Taught(s.id, s.starts_at, s.topic, s.kind, title, slug, int(n),
                       int(r) if done else 0, _shown(int(total), int(r)) if done else None)
                for (s, title, slug, n, r, total), done in closed]
    ratings = sum(t.ratings for t in sessions)
    total = sum(int(row[5]) for row, done in closed if done)
    authored = select(CoursewareRevision.courseware_id).where(
        CoursewareRevision.author_id == lecturer.id)
    courseware = db.execute(
        select(Courseware.slug, Courseware.title)
        .where(Courseware.status == "published",
               or_(Courseware.lecturer == lecturer.name, Courseware.id.in_(authored)))
        .order_by(Courseware.title)).all()
    comments = None
    if viewer.id == lecturer.id and ratings >= MIN_RATERS:
        comments = sorted(db.scalars(
            select(SessionRating.comment).join(ClassSession)
            .where(ClassSession.lecturer_id == lecturer.id, SessionRating.comment != "",
                   ClassSession.starts_at < now - RATING_WINDOW)))
    unit = db.get(Unit, lecturer.unit_id)
    return Profile(lecturer.police_no, lecturer.name, unit.name if unit else "", sessions,
                   sum(1 for t in sessions if t.starts_at <= now),
                   [(slug, title) for slug, title in courseware], ratings,
                   _shown(total, ratings), comments)


def by_police_no(db: Session, police_no: str) -> User | None:
    """A lecturer: an active account that has taught a session or authored courseware."""
    if not police_no or len(police_no) > 32:
        return None
    user = db.scalar(select(User).where(User.police_no == police_no, User.active.is_(True)))
    if user is None:
        return None
    taught = db.scalar(select(ClassSession.id).where(ClassSession.lecturer_id == user.id)
                       .limit(1))
    return user if taught is not None or user.is_trainer else None


def roster(db: Session) -> list[tuple[str, str, str, int]]:
    """Every lecturer who taught a session: police_no, name, unit, sessions; most first."""
    n = func.count(ClassSession.id)
    return [tuple(row) for row in db.execute(
        select(User.police_no, User.name, Unit.name, n)
        .join(ClassSession, ClassSession.lecturer_id == User.id)
        .join(Unit, Unit.id == User.unit_id)
        .group_by(User.police_no, User.name, Unit.name)
        .order_by(n.desc(), User.police_no))]


def rating_states(db: Session, user: User, sessions, now: datetime) -> dict[int, object]:
    """Per session line of a classroom page: the viewer's own score, or "open" while they
    may rate it (attended, not its lecturer, within the window)."""
    mine = my_ratings(db, user.id, [s.id for s in sessions if s.attended])
    states: dict[int, object] = {}
    for s in sessions:
        if s.id in mine:
            states[s.id] = mine[s.id]
        elif (s.attended and s.lecturer_id != user.id
              and now <= s.starts_at + RATING_WINDOW):
            states[s.id] = "open"
    return states
