"""The outbox against a real gateway on 127.0.0.1: retried with backoff until delivered once,
dead when it keeps failing, nothing lost when a run dies, overlapping runs never send twice.
Time is driven through `now`; nothing sleeps for a backoff."""
import threading
from datetime import datetime, timedelta

import pytest
from gateway import SECRET, Gateway
from sqlalchemy import select

from lms.domain.reminders import escalation, inbox, outbox
from lms.models import Notification, NotificationDelivery, User
from lms.notify import WebhookNotifier
from lms.web import db_session

T0 = datetime(2026, 11, 20, 1, 0)
MINUTE = timedelta(minutes=1)
CLOCK = 1_795_000_000  # the Unix time the notifier puts in each payload


@pytest.fixture
def gateway():
    with Gateway() as running:
        yield running


@pytest.fixture
def notifier(gateway):
    return WebhookNotifier(gateway.url, SECRET, timeout=0.5,
                           public_url="https://lms.example/training", clock=lambda: CLOCK)


def store(db, make, count=1):
    """`count` notifications with their deliveries, committed together at T0."""
    unit = make.unit()
    users = [make.user(unit, name=f"民警{n}") for n in range(count)]
    created = inbox.notify(db, [u.id for u in users], "lesson_due", "微课即将截止",
                           "《第14期》将于明天截止。", "/lessons/7", "lesson-due:7", at=T0)
    outbox.enqueue(db, created, T0)
    db.commit()
    return created


def delivery(db, notification_id):
    db.expire_all()
    return db.get(NotificationDelivery, notification_id)


def test_a_500_then_a_timeout_then_200_delivers_it_once_with_backoff(db, make, gateway,
                                                                      notifier):
    [note] = store(db, make)
    gateway.script = [500, "slow", 200]

    first = outbox.deliver(db, notifier, T0)
    row = delivery(db, note.id)
    assert (first.failed, row.state, row.attempts) == (1, "failed", 1)
    assert row.next_attempt_at == T0 + 5 * MINUTE and "HTTP 500" in row.last_error

    assert outbox.deliver(db, notifier, T0 + 4 * MINUTE).tried == 0  # backoff respected
    assert len(gateway.requests) == 1

    second = outbox.deliver(db, notifier, T0 + 5 * MINUTE)
    row = delivery(db, note.id)
    assert (second.failed, row.attempts) == (1, 2) and "no answer" in row.last_error
    assert row.next_attempt_at == T0 + 15 * MINUTE  # 5 min after the first, then 10

    assert outbox.deliver(db, notifier, T0 + 14 * MINUTE).tried == 0
    third = outbox.deliver(db, notifier, T0 + 15 * MINUTE)
    row = delivery(db, note.id)
    assert (third.delivered, third.ok, row.state, row.attempts) == (1, True, "delivered", 3)
    assert row.delivered_at == T0 + 15 * MINUTE and row.next_attempt_at is None

    assert outbox.deliver(db, notifier, T0 + 1000 * MINUTE).tried == 0
    assert len(gateway.requests) == 3
    assert set(gateway.keys()) == {row.idempotency_key}  # the same key on every try
    assert all(request["verified"] for request in gateway.requests)
    assert len(gateway.accepted) == 1  # the platform passed it on exactly once


def test_the_payload_is_signed_and_carries_the_timestamp_and_recipient(db, make, gateway,
                                                                        notifier):
    [note] = store(db, make)
    outbox.deliver(db, notifier, T0)
    [request] = gateway.requests
    body = request["body"]
    assert request["verified"]
    assert body["timestamp"] == CLOCK and body["attempt"] == 1
    assert body["id"] == delivery(db, note.id).idempotency_key
    assert body["recipient"] == {"police_no": db.get(User, note.user_id).police_no,
                                 "name": "民警0"}
    assert body["title"] == "微课即将截止" and body["link"] == "/lessons/7"
    assert body["url"] == "https://lms.example/training/lessons/7"
    # A replay with a fresher timestamp (or any byte changed) no longer verifies.
    forged = request["raw"].replace(str(CLOCK).encode(), str(CLOCK + 3600).encode())
    assert forged != request["raw"] and not gateway.verify(forged, request["signature"])
    assert not Gateway("another-secret").verify(request["raw"], request["signature"])


def test_a_gateway_that_keeps_failing_ends_dead_after_the_last_attempt(db, make, gateway,
                                                                       notifier):
    [note] = store(db, make)
    gateway.script = [503] * 20
    now, waits, report = T0, [], None
    for _ in range(outbox.RETRY.max_attempts):
        report = outbox.deliver(db, notifier, now)
        row = delivery(db, note.id)
        if row.next_attempt_at is not None:
            waits.append(int((row.next_attempt_at - now) / MINUTE))
            now = row.next_attempt_at
    assert waits == [5, 10, 20, 40, 80, 160, 320, 360, 360]  # doubling, capped at 6 hours
    assert (row.state, row.attempts, report.dead, report.ok) == ("dead", 10, 1, False)
    assert outbox.deliver(db, notifier, now + 1000 * MINUTE).tried == 0  # given up
    assert len(gateway.requests) == 10 and report.dead_total == 1


def test_a_refused_recipient_is_dead_at_once(db, make, gateway, notifier):
    [note] = store(db, make)
    gateway.script = [404]
    report = outbox.deliver(db, notifier, T0)
    row = delivery(db, note.id)
    assert (row.state, row.attempts, report.dead, report.ok) == ("dead", 1, 1, False)
    assert "HTTP 404" in report.problems[0]


@pytest.mark.parametrize("status", [302, 307])
def test_a_redirect_is_a_failed_try_and_never_followed(db, make, gateway, notifier, status):
    [note] = store(db, make)
    gateway.script = [status]
    report = outbox.deliver(db, notifier, T0)
    assert report.failed == 1 and delivery(db, note.id).state == "failed"
    assert len(gateway.requests) == 1 and gateway.accepted == {}


def test_a_limit_bounds_one_run(db, make, gateway, notifier):
    store(db, make, count=3)
    assert outbox.deliver(db, notifier, T0, limit=2).delivered == 2
    assert outbox.deliver(db, notifier, T0).delivered == 1
    assert len(set(gateway.keys())) == 3


def test_every_reminder_is_in_the_outbox_when_the_run_dies_before_sending(db, make, gateway,
                                                                          notifier):
    units = make.tree()
    for label in ("a", "b"):
        make.user(units[f"branch_{label}"])
    due = datetime(2026, 11, 20, 10, 0)
    make.lesson(publish_at=due - timedelta(days=5), due_at=due)
    # The planning transaction commits notifications and deliveries together; the process
    # then "dies" before delivering anything.
    report = escalation.plan_and_store(db, due - timedelta(hours=12), "Asia/Shanghai")
    assert report.total == 4 and gateway.requests == []
    stored = set(db.scalars(select(Notification.id)))
    queued = set(db.scalars(select(NotificationDelivery.notification_id)
                            .where(NotificationDelivery.state == "pending")))
    assert stored == queued and len(stored) == 4
    later = outbox.deliver(db, notifier, due)
    assert later.delivered == 4 and len(gateway.accepted) == 4


def test_a_run_that_dies_mid_send_is_retried_after_its_lease_with_the_same_key(
        db, make, gateway, notifier):
    [note] = store(db, make)
    [claimed] = outbox.claim(db, T0, 10)  # a run took it, then died before the answer
    assert outbox.deliver(db, notifier, T0 + 9 * MINUTE).tried == 0  # still leased
    report = outbox.deliver(db, notifier, T0 + outbox.RETRY.lease)
    row = delivery(db, note.id)
    assert report.delivered == 1 and row.attempts == 2 and row.state == "delivered"
    assert gateway.keys() == [claimed.idempotency_key]


def test_two_overlapping_runs_send_each_notification_once(app, db, make, gateway, notifier):
    notes = store(db, make, count=6)
    # The first request is held until a second one arrives: the two runs are in flight at
    # the same time, each with a row the other must not take.
    gateway.script = ["meet"]
    policy = outbox.RetryPolicy(batch=1)
    reports = []

    def run():
        with app.app_context():
            reports.append(outbox.deliver(db_session(), notifier, T0, policy=policy))
            db_session().remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(r.delivered for r in reports) != [0, 6]  # both did part of the work
    assert sum(r.delivered for r in reports) == 6
    assert len(gateway.requests) == 6 and len(set(gateway.keys())) == 6
    rows = [delivery(db, note.id) for note in notes]
    assert {(row.state, row.attempts) for row in rows} == {("delivered", 1)}
