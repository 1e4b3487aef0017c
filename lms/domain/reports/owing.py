"""The not-yet-done list grouped by person: lessons owed and not done, days overdue, sorted
by any column and paged in SQL; no Flask. Who owes what is `policy.owed` (membership at the
due time), as in every other report."""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from ...models import Completion, MicroLesson, Unit, User
from ..clock import to_local
from ..org import policy
from .assignments import due_lessons
from .rollup import Selection

SORTS = ("overdue", "owed", "police_no", "name", "unit")


@dataclass(frozen=True)
class PersonRow:
    """One officer with lessons of the selection owed to the subtree and not done."""

    user_id: int
    police_no: str
    name: str
    unit_name: str
    owed: int  # lessons not done
    overdue: int  # of which past due
    days_overdue: int | None  # since the oldest missed due day; None while nothing is due
    last_login_at: datetime | None
    issues: tuple[int, ...] = ()  # issue numbers not done, oldest due first


def people_owing(db: Session, unit: Unit, selection: Selection, now: datetime, tz: str,
                 sort: str = "overdue", descending: bool = True, limit: int | None = 100,
                 offset: int = 0) -> tuple[list[PersonRow], int]:
    """A page of officers owing lessons in `unit`'s subtree, and how many there are in all."""
    sort = sort if sort in SORTS else "overdue"
    lesson_id = selection.lesson.id if selection.lesson is not None else None
    owed = policy.owed(list(due_lessons(db, now, selection.period, lesson_id)), path=unit.path)
    missing = (select(owed.c.user_id, owed.c.unit_id, owed.c.lesson_id, owed.c.due_at)
               .outerjoin(Completion, and_(Completion.user_id == owed.c.user_id,
                                           Completion.item_type == "lesson",
                                           Completion.item_id == owed.c.lesson_id))
               .where(or_(Completion.id.is_(None), Completion.status != "completed"))
               .subquery("missing"))
    oldest = func.min(case((missing.c.due_at < now, missing.c.due_at)))
    count_owed = func.count(missing.c.lesson_id)
    count_overdue = func.count(case((missing.c.due_at < now, 1)))
    query = (select(User.id, User.police_no, User.name, Unit.name, count_owed, count_overdue,
                    oldest, User.last_login_at, func.count().over().label("total"))
             .select_from(missing)
             .join(User, User.id == missing.c.user_id)
             .join(Unit, Unit.id == missing.c.unit_id)
             .group_by(User.id, User.police_no, User.name, User.last_login_at, Unit.id,
                       Unit.name, Unit.path))
    # Most days overdue = the oldest missed due time; a person with nothing overdue yet last.
    keys = {"overdue": [case((oldest.is_(None), 1), else_=0), oldest],
            "owed": [count_owed], "police_no": [User.police_no], "name": [User.name],
            "unit": [Unit.path]}[sort]
    if sort == "overdue":
        order = keys if descending else [keys[0].desc(), keys[1].desc()]
    else:
        order = [k.desc() if descending else k for k in keys]
    paged = query.order_by(*order, User.police_no, Unit.id).offset(offset)
    found = db.execute(paged if limit is None else paged.limit(limit)).all()
    total = found[0].total if found else (
        db.scalar(select(func.count()).select_from(query.subquery())) if offset else 0)
    today = to_local(now, tz).date()
    issues = _issues(db, missing, [row[0] for row in found])
    rows = [PersonRow(uid, police_no, name, unit_name, int(n_owed), int(n_overdue),
                      None if first is None else (today - to_local(first, tz).date()).days,
                      last_login, tuple(issues.get(uid, ())))
            for uid, police_no, name, unit_name, n_owed, n_overdue, first, last_login, _t
            in found]
    return rows, int(total or 0)


def _issues(db: Session, missing, user_ids: list[int]) -> dict[int, list[int]]:
    """The issue numbers each of these officers has not done, oldest due first."""
    if not user_ids:
        return {}
    out: dict[int, list[int]] = {}
    rows = db.execute(select(missing.c.user_id, MicroLesson.issue_no)
                      .join(MicroLesson, MicroLesson.id == missing.c.lesson_id)
                      .where(missing.c.user_id.in_(user_ids))
                      .order_by(missing.c.due_at, MicroLesson.issue_no))
    for user_id, issue_no in rows:
        if issue_no not in out.setdefault(user_id, []):
            out[user_id].append(issue_no)
    return out
