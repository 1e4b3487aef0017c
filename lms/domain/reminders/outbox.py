"""The outbox: notifications for the messaging platform, delivered at least once; no Flask.

`enqueue` writes a delivery row in the caller's transaction, next to the notification, so a
process that dies after storing loses nothing. `deliver` claims the due rows in a short
transaction (PostgreSQL: `FOR UPDATE SKIP LOCKED`; SQLite: every transaction begins
IMMEDIATE, which serialises the claims), leases them by moving their next try forward and
counting the attempt, commits, sends outside any transaction, and records each outcome.
A run that dies mid-send leaves its rows to come back when the lease ends; the idempotency
key, the same on every try, lets the gateway drop the duplicate.
"""
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from ...models import Notification, NotificationDelivery, User
from ..clock import to_local

log = logging.getLogger(__name__)

WAITING = ("pending", "failed")
PROBLEM_LINES = 10  # failures a run describes; the summary counts the rest


class DeliveryFailed(Exception):
    """A try failed in a way the notifier could describe (its message is the last error)."""


class PermanentFailure(DeliveryFailed):
    """The platform refused the notification for good (no such recipient, bad payload):
    retrying cannot help, so it goes straight to dead."""


@dataclass(frozen=True)
class RetryPolicy:
    """When failed deliveries are tried again, and when they are given up."""

    first_backoff: timedelta = timedelta(minutes=5)  # doubled after each failure …
    max_backoff: timedelta = timedelta(hours=6)  # … up to this
    max_attempts: int = 10  # ~22.5 hours of tries, then dead
    lease: timedelta = timedelta(minutes=10)  # a claimed row is not re-claimed before this
    batch: int = 20  # rows claimed per transaction

    def backoff(self, attempts: int) -> timedelta:
        """The wait after the `attempts`-th failed try."""
        return min(self.first_backoff * 2 ** (attempts - 1), self.max_backoff)


RETRY = RetryPolicy()


@dataclass(frozen=True)
class Message:
    """A notification as it leaves the LMS; named like `Notification`'s columns, plus who
    receives it, the idempotency key and which try this is."""

    id: int
    user_id: int
    police_no: str
    name: str
    kind: str
    title: str
    body: str
    link: str | None
    dedupe_key: str
    created_at: datetime
    idempotency_key: str
    attempt: int


@dataclass
class DeliveryReport:
    """What one run did, and what is left."""

    delivered: int = 0
    failed: int = 0  # failed this run, will be tried again
    dead: int = 0  # failed this run for the last time
    waiting: int = 0  # pending or failed after the run
    dead_total: int = 0  # dead after the run, from any run
    problems: list[str] = field(default_factory=list)

    @property
    def tried(self) -> int:
        """Deliveries attempted by this run."""
        return self.delivered + self.failed + self.dead

    @property
    def ok(self) -> bool:
        """False when delivery keeps failing: something died, or every try failed."""
        return self.dead == 0 and (self.tried == 0 or self.delivered > 0)

    def summary(self) -> str:
        """One line for cron mail and the journal."""
        return (f"Delivery: {self.delivered} delivered, {self.failed} failed (will retry), "
                f"{self.dead} dead; {self.waiting} waiting, {self.dead_total} dead in total.")


def delivers_externally(notifier) -> bool:
    """Whether the notifier sends anywhere: a store-only one needs no outbox rows."""
    return not getattr(notifier, "stores_only", False)


def enqueue(db: Session, notifications: Iterable[Notification], now: datetime) -> int:
    """Add a pending delivery for each notification, due at once; in the caller's
    transaction (commit the notifications and their deliveries together)."""
    rows = [{"notification_id": n.id, "idempotency_key": uuid.uuid4().hex, "state": "pending",
             "attempts": 0, "next_attempt_at": now, "created_at": now} for n in notifications]
    if rows:
        db.execute(insert(NotificationDelivery), rows)
    return len(rows)


def deliver(db: Session, notifier, now: datetime, limit: int | None = None,
            policy: RetryPolicy = RETRY, tz: str = "UTC") -> DeliveryReport:
    """Send the deliveries due at `now` (naive UTC), at most `limit`; commits as it goes
    (call it with no pending changes). `notifier.send(message)` raises to fail a try;
    a notifier with only the older `deliver([message])` is called with one at a time.
    Retry times in `problems` are written in `tz` (the bureau's, for the operator)."""
    send = getattr(notifier, "send", None) or (lambda message: notifier.deliver([message]))
    report = DeliveryReport()
    while limit is None or report.tried < limit:
        size = policy.batch if limit is None else min(policy.batch, limit - report.tried)
        messages = claim(db, now, size, policy)
        if not messages:
            break
        outcomes = [_attempt(send, message, now, policy, report, tz) for message in messages]
        _record(db, outcomes)
    report.waiting, report.dead_total = backlog(db)
    db.commit()
    return report


def claim(db: Session, now: datetime, size: int, policy: RetryPolicy = RETRY) -> list[Message]:
    """Lease up to `size` due deliveries to this run and count the attempt; commits."""
    due = (select(NotificationDelivery.notification_id)
           .where(NotificationDelivery.state.in_(WAITING),
                  NotificationDelivery.next_attempt_at <= now)
           .order_by(NotificationDelivery.next_attempt_at, NotificationDelivery.notification_id)
           .limit(size))
    if db.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)  # an overlapping run takes other rows
    ids = list(db.scalars(due))
    if not ids:
        db.commit()
        return []
    db.execute(update(NotificationDelivery)
               .where(NotificationDelivery.notification_id.in_(ids))
               .values(attempts=NotificationDelivery.attempts + 1, last_attempt_at=now,
                       next_attempt_at=now + policy.lease))
    rows = db.execute(
        select(Notification.id, Notification.user_id, User.police_no, User.name,
               Notification.kind, Notification.title, Notification.body, Notification.link,
               Notification.dedupe_key, Notification.created_at,
               NotificationDelivery.idempotency_key, NotificationDelivery.attempts)
        .join(User, User.id == Notification.user_id)
        .join(NotificationDelivery, NotificationDelivery.notification_id == Notification.id)
        .where(Notification.id.in_(ids))
        .order_by(Notification.id)).all()
    db.commit()
    return [Message(*row) for row in rows]


def _attempt(send, message: Message, now: datetime, policy: RetryPolicy,
             report: DeliveryReport, tz: str = "UTC") -> dict:
    """Try one message; the values to record for it."""
    outcome = {"b_id": message.id, "b_attempt": message.attempt, "b_error": None,
               "b_delivered_at": None, "b_next": None}
    try:
        send(message)
    except Exception as error:  # noqa: BLE001 - any failure of a plug-in is a failed try
        text = (str(error) if isinstance(error, DeliveryFailed)
                else f"{type(error).__name__}: {error}")[:500]
        permanent = isinstance(error, PermanentFailure)
        if permanent or message.attempt >= policy.max_attempts:
            outcome.update(b_state="dead", b_error=text)
            report.dead += 1
            verdict = "dead"
        else:
            outcome.update(b_state="failed", b_error=text,
                           b_next=now + policy.backoff(message.attempt))
            report.failed += 1
            verdict = f"retry at {to_local(outcome['b_next'], tz):%Y-%m-%d %H:%M} {tz}"
        line = (f"notification {message.id} to {message.police_no} ({message.kind}), "
                f"attempt {message.attempt}: {text}; {verdict}")
        log.warning("delivery failed: %s", line)
        if len(report.problems) < PROBLEM_LINES:
            report.problems.append(line)
        return outcome
    outcome.update(b_state="delivered", b_delivered_at=now)
    report.delivered += 1
    return outcome


def _record(db: Session, outcomes: list[dict]) -> None:
    """Store the outcomes of one batch; a row re-claimed by another run since (its lease
    ran out) has a higher attempt count and is left to that run."""
    table = NotificationDelivery.__table__
    db.execute(update(table)
               .where(table.c.notification_id == bindparam("b_id"),
                      table.c.attempts == bindparam("b_attempt"),
                      # no IN (): an expanding list cannot go into executemany
                      table.c.state != "delivered", table.c.state != "dead")
               .values(state=bindparam("b_state"), last_error=bindparam("b_error"),
                       delivered_at=bindparam("b_delivered_at"),
                       next_attempt_at=bindparam("b_next")),
               outcomes)
    db.commit()


def backlog(db: Session) -> tuple[int, int]:
    """(waiting, dead) deliveries now: pending or failed, and given up."""
    counts = dict(db.execute(select(NotificationDelivery.state, func.count())
                             .where(NotificationDelivery.state.in_((*WAITING, "dead")))
                             .group_by(NotificationDelivery.state)).all())
    return counts.get("pending", 0) + counts.get("failed", 0), counts.get("dead", 0)


def retry_dead(db: Session, now: datetime) -> int:
    """Give every dead delivery a fresh set of attempts, due at once (after the operator
    fixed the cause); returns how many; in the caller's transaction."""
    result = db.execute(update(NotificationDelivery)
                        .where(NotificationDelivery.state == "dead")
                        .values(state="pending", attempts=0, next_attempt_at=now))
    return result.rowcount
