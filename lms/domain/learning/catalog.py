"""The catalogue: published courseware, reading progress and classrooms; no Flask.

Only published items are ever returned: drafts, items in review and retired items are
invisible to every entry point (HTML, API) because they all ask these functions.
"""
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ...models import Category, Classroom, ClassroomType, Completion, Courseware, Unit, User
from ..org import policy
from . import completion, points

ITEM_TYPE = "courseware"
READ_RULE = "courseware_read"  # the points rule paid when reading completes an item
PAGE_SIZE = 30
MAX_QUERY_LENGTH = 64


@dataclass(frozen=True)
class Listing:
    """One page of published courseware and the total number that matched."""

    items: list[Courseware]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """How many pages the matches fill (at least one)."""
        return max(1, -(-self.total // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


@dataclass(frozen=True)
class ReadingOutcome:
    """What pressing "我已读完" achieved: time read, time still needed, completion, points."""

    seconds_read: int
    seconds_left: int
    completed: bool
    quiz_pending: bool
    points_awarded: int = 0


@dataclass(frozen=True)
class ClassroomEntry:
    """A classroom as the catalogue shows it."""

    slug: str
    title: str
    description: str
    status: str
    unit_name: str | None


@dataclass(frozen=True)
class ClassroomSection:
    """A classroom type (五大课堂) with its classrooms."""

    type: ClassroomType
    classrooms: list[ClassroomEntry]


def categories(db: Session) -> list[Category]:
    """Every category in display order."""
    return list(db.scalars(select(Category).order_by(Category.position, Category.id)))


def category_by_key(db: Session, key: str) -> Category | None:
    """The category with this key, if any."""
    return db.scalar(select(Category).where(Category.key == key))


def _published(category: Category | None, text: str):
    """Published courseware, optionally of one category and containing `text`."""
    query = select(Courseware).where(Courseware.status == "published")
    if category is not None:
        query = query.where(Courseware.category_id == category.id)
    text = text.strip()[:MAX_QUERY_LENGTH]
    if text:
        # One substring, not words: Chinese has no spaces to split on, and "三会" must
        # find "三会一课". autoescape makes % and _ in the query literal.
        query = query.where(or_(
            Courseware.title.icontains(text, autoescape=True),
            Courseware.summary.icontains(text, autoescape=True),
            Courseware.search_text.icontains(text, autoescape=True)))
    return query


def _in_order(query):
    """Featured (精品) first, then by title; the id keeps equal titles stable."""
    return query.order_by(Courseware.featured.desc(), Courseware.title, Courseware.id)


def browse(db: Session, category: Category | None = None, text: str = "", page: int = 1,
           per_page: int = PAGE_SIZE) -> Listing:
    """One page of published courseware, featured first, filtered by category and text."""
    query = _published(category, text)
    total = int(db.scalar(select(func.count()).select_from(query.subquery())))
    # A page past the end (an old link, a hand-edited URL) shows the last one.
    page = max(1, min(page, -(-total // per_page)))
    items = db.scalars(_in_order(query).limit(per_page).offset((page - 1) * per_page))
    return Listing(list(items), total, page, per_page)


def published(db: Session, category: Category | None = None) -> list[Courseware]:
    """Every published item (of one category), featured first, then by title."""
    return list(db.scalars(_in_order(_published(category, ""))))


def published_item(db: Session, slug: str) -> Courseware | None:
    """The item with this slug, only if it is published."""
    return db.scalar(select(Courseware).where(
        Courseware.slug == slug, Courseware.status == "published"))


def completed_ids(db: Session, user_id: int, item_ids: list[int]) -> set[int]:
    """Which of these courseware items the user has completed (已学)."""
    if not item_ids:
        return set()
    return set(db.scalars(select(Completion.item_id).where(
        Completion.user_id == user_id, Completion.item_type == ITEM_TYPE,
        Completion.status == "completed", Completion.item_id.in_(item_ids))))


def open_item(db: Session, user_id: int, item: Courseware, now: datetime) -> None:
    """The officer opened the reading page: start the server-side reading timer."""
    completion.record_open(db, user_id, ITEM_TYPE, item.id, now)


def seconds_left(db: Session, user_id: int, item: Courseware) -> int:
    """Reading time still needed before 我已读完 counts: the minimum less the time banked by
    earlier visits (this visit's time is banked when the officer confirms)."""
    row = completion.get(db, user_id, ITEM_TYPE, item.id)
    return max(0, item.min_read_seconds - (row.time_spent_seconds if row else 0))


def finish_reading(db: Session, user_id: int, item: Courseware, now: datetime,
                   rules: Mapping[str, int] | None = None) -> ReadingOutcome:
    """Bank the time read since opening; complete the item once read long enough and pay
    the `courseware_read` points of `rules` (once per officer and item, by the ledger's key).

    An item with a quiz is completed by passing the quiz, never by reading alone.
    """
    seconds = completion.add_reading_time(db, user_id, ITEM_TYPE, item.id, now)
    left = max(0, item.min_read_seconds - seconds)
    has_quiz = item.quiz_id is not None
    if left or has_quiz:
        return ReadingOutcome(seconds, left, completed=False, quiz_pending=has_quiz)
    completion.mark_completed(db, user_id, ITEM_TYPE, item.id, now)
    amount = int((rules or {}).get(READ_RULE) or 0)
    paid = amount and points.award(db, user_id, READ_RULE, ITEM_TYPE, item.id, amount, at=now)
    return ReadingOutcome(seconds, 0, completed=True, quiz_pending=False,
                          points_awarded=amount if paid else 0)


def classroom_sections(db: Session, viewer: User) -> list[ClassroomSection]:
    """Every classroom type in display order with its classrooms that are not retired and
    that the viewer may see (`policy.classrooms_visible`)."""
    types = db.scalars(select(ClassroomType).order_by(ClassroomType.position, ClassroomType.id))
    rows = db.execute(
        select(Classroom, Unit.name).outerjoin(Unit, Unit.id == Classroom.unit_id)
        .where(Classroom.status != "retired", policy.classrooms_visible(viewer, Classroom, Unit))
        .order_by(Classroom.title, Classroom.id))
    by_type: dict[int, list[ClassroomEntry]] = {}
    for room, unit_name in rows:
        by_type.setdefault(room.type_id, []).append(ClassroomEntry(
            room.slug, room.title, room.description, room.status, unit_name))
    return [ClassroomSection(t, by_type.get(t.id, [])) for t in types]
