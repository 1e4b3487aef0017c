"""The register of classrooms by type and state, for the register page and
`GET /api/v1/classrooms`; what each viewer may see is `policy.classrooms_visible`; no Flask."""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...models import Classroom, ClassroomType, ClassSession, Unit, User
from ..org import policy

STATUSES = ("applied", "returned", "accepted", "retired")


@dataclass(frozen=True)
class Lecturer:
    """A lecturer (党员讲师) of a classroom: someone who taught one of its sessions."""

    police_no: str
    name: str


@dataclass(frozen=True)
class Row:
    """One classroom of the register."""

    slug: str
    name: str
    type_key: str
    type_name: str
    unit_code: str | None
    unit_name: str | None
    status: str
    lecturers: list[Lecturer]
    sessions_held: int
    applied_at: datetime | None


def type_by_key(db: Session, key: str | None) -> ClassroomType | None:
    """The classroom type with this key."""
    if not key or len(key) > 64:
        return None
    return db.scalar(select(ClassroomType).where(ClassroomType.key == key))


def listing(db: Session, viewer: User, now: datetime, kind: ClassroomType | None = None,
            status: str | None = None) -> list[Row]:
    """The classrooms the viewer may see, of one type and state when given, by type then
    name; sessions held are those started by `now`."""
    query = (select(Classroom, ClassroomType, Unit)
             .join(ClassroomType, ClassroomType.id == Classroom.type_id)
             .outerjoin(Unit, Unit.id == Classroom.unit_id)
             .where(policy.classrooms_visible(viewer, Classroom, Unit))
             .order_by(ClassroomType.position, ClassroomType.id, Classroom.title, Classroom.id))
    if kind is not None:
        query = query.where(Classroom.type_id == kind.id)
    if status is not None:
        query = query.where(Classroom.status == status)
    rows = db.execute(query).all()
    ids = [room.id for room, _, _ in rows]
    held = dict(db.execute(
        select(ClassSession.classroom_id, func.count())
        .where(ClassSession.classroom_id.in_(ids), ClassSession.starts_at <= now)
        .group_by(ClassSession.classroom_id)).all()) if ids else {}
    # A classroom without a unit is a bureau-wide sample of catalog.yml: the bureau's own.
    root = db.scalar(select(Unit).where(Unit.parent_id.is_(None)).order_by(Unit.id)) \
        if any(unit is None for _, _, unit in rows) else None
    teachers = lecturers_of(db, ids)
    return [Row(room.slug, room.title, kind_.key, kind_.name,
                (unit or root).code if unit or root else None,
                (unit or root).name if unit or root else None, room.status,
                teachers.get(room.id, []), int(held.get(room.id, 0)), room.applied_at)
            for room, kind_, unit in rows]


def lecturers_of(db: Session, classroom_ids: list[int]) -> dict[int, list[Lecturer]]:
    """Each classroom's lecturers, in the order of their first session."""
    if not classroom_ids:
        return {}
    first = func.min(ClassSession.starts_at)
    rows = db.execute(
        select(ClassSession.classroom_id, User.police_no, User.name, first)
        .join(User, User.id == ClassSession.lecturer_id)
        .where(ClassSession.classroom_id.in_(classroom_ids))
        .group_by(ClassSession.classroom_id, User.police_no, User.name)
        .order_by(ClassSession.classroom_id, first, User.police_no))
    found: dict[int, list[Lecturer]] = {}
    for classroom_id, police_no, name, _ in rows:
        found.setdefault(classroom_id, []).append(Lecturer(police_no, name))
    return found


def counts(db: Session, viewer: User) -> dict[tuple[int, str], int]:
    """How many classrooms the viewer may see per (type id, state), for the register's tabs."""
    return {(type_id, status): n for type_id, status, n in db.execute(
        select(Classroom.type_id, Classroom.status, func.count())
        .outerjoin(Unit, Unit.id == Classroom.unit_id)
        .where(policy.classrooms_visible(viewer, Classroom, Unit))
        .group_by(Classroom.type_id, Classroom.status))}
