"""In-app notifications: stored once per (user, dedupe key), listed, marked read; no Flask.

`link` is a path inside the LMS (`/lessons/12`), not a full URL: domain code does not know
where the LMS is mounted, so the inbox prefixes the mount point and a notifier its base URL.
"""
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ...models import Notification, utcnow

PAGE_SIZE = 50


class NotificationNotFound(LookupError):
    """No such notification for this user (unknown, or someone else's: the same answer)."""


@dataclass(frozen=True)
class Draft:
    """A notification to store: who gets it, what it says, and the key that makes it once."""

    user_id: int
    kind: str
    title: str
    body: str
    link: str | None
    dedupe_key: str


@dataclass(frozen=True)
class Inbox:
    """One page of a user's notifications, newest first, with the unread total."""

    items: list[Notification]
    unread: int
    page: int
    has_more: bool


def _insert(db: Session):
    dialect = db.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(Notification)


def store(db: Session, drafts: Iterable[Draft], at: datetime | None = None
          ) -> list[Notification]:
    """Store the drafts in bulk; a (user, dedupe key) already stored is skipped, so only the
    newly created notifications come back — the ones a notifier should deliver."""
    rows = _rows(drafts, at or utcnow())
    if not rows:
        return []
    return list(db.scalars(_store_statement(db).returning(Notification), rows))


def store_quietly(db: Session, drafts: Iterable[Draft], at: datetime | None = None) -> None:
    """`store` without reading the new notifications back, for a bulk writer that delivers
    none of them (the demo's history: 40,000 ORM objects cost ~5 s)."""
    rows = _rows(drafts, at or utcnow())
    if rows:
        db.execute(_store_statement(db), rows)


def _rows(drafts: Iterable[Draft], at: datetime) -> list[dict]:
    """One row per (user, dedupe key)."""
    return list({(d.user_id, d.dedupe_key): {
        "user_id": d.user_id, "kind": d.kind, "title": d.title, "body": d.body,
        "link": d.link, "dedupe_key": d.dedupe_key, "created_at": at, "read_at": None,
    } for d in drafts}.values())


def _store_statement(db: Session):
    # The unique constraint, not a read-then-write, decides: two runs at once still store
    # (and so deliver) each step once. SQLAlchemy batches the rows into multi-row INSERTs.
    return _insert(db).on_conflict_do_nothing(index_elements=["user_id", "dedupe_key"])


def notify(db: Session, user_ids: Iterable[int], kind: str, title: str, body: str,
           link: str | None, dedupe_key: str, at: datetime | None = None
           ) -> list[Notification]:
    """The same notification to many users; returns only those not sent before."""
    return store(db, (Draft(user_id, kind, title, body, link, dedupe_key)
                      for user_id in user_ids), at)


def unread_count(db: Session, user_id: int) -> int:
    """How many of the user's notifications are unread."""
    return db.scalar(unread_of(user_id))


def unread_of(user_id):
    """SQL: the count of the user's unread notifications (`user_id`: a value or a column,
    for a statement that reads it beside other things, `lessonview.read_for_user`)."""
    return select(func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))


def inbox(db: Session, user_id: int, page: int = 1, per_page: int = PAGE_SIZE) -> Inbox:
    """The user's own notifications, newest first, one page at a time."""
    page = max(page, 1)
    rows = list(db.scalars(
        select(Notification).where(Notification.user_id == user_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .offset((page - 1) * per_page).limit(per_page + 1)))
    return Inbox(items=rows[:per_page], unread=unread_count(db, user_id), page=page,
                 has_more=len(rows) > per_page)


def mark_read(db: Session, user_id: int, notification_id: int, now: datetime) -> Notification:
    """Mark one of the user's notifications read (the first read time is kept)."""
    notification = db.scalar(select(Notification).where(
        Notification.id == notification_id, Notification.user_id == user_id))
    if notification is None:
        raise NotificationNotFound(notification_id)
    if notification.read_at is None:
        notification.read_at = now
        db.flush()
    return notification


def mark_all_read(db: Session, user_id: int, now: datetime) -> int:
    """Mark every unread notification of the user read; returns how many changed."""
    result = db.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=now))
    return result.rowcount
