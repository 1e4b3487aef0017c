"""`flask lms deliver` and `send-reminders` against a real gateway on 127.0.0.1: a one-line
summary, and exit 1 while deliveries keep failing; the webhook's configuration checks."""
from datetime import datetime, timedelta

import pytest
from gateway import SECRET, Gateway
from sqlalchemy import func, select

from lms import create_app
from lms.domain.reminders import inbox, outbox
from lms.models import NotificationDelivery
from lms.notify import StoreOnlyNotifier, WebhookNotifier, load_notifier

DUE = datetime(2026, 11, 20, 10, 0)  # 18:00 in Shanghai


@pytest.fixture
def gateway(app, monkeypatch):
    """The gateway, and the app's notifier pointed at it."""
    with Gateway() as running:
        monkeypatch.setattr(app.extensions["lms"], "notifier",
                            WebhookNotifier(running.url, SECRET, timeout=0.5))
        yield running


@pytest.fixture
def officers(make):
    units = make.tree()
    people = [make.user(units["branch_a"]), make.user(units["branch_b"])]
    make.lesson(title="第14期", publish_at=DUE - timedelta(days=5), due_at=DUE)
    return people


def states(db):
    db.expire_all()
    return dict(db.execute(select(NotificationDelivery.state, func.count())
                           .group_by(NotificationDelivery.state)).all())


def deliver(runner, when: datetime, *args):
    return runner.invoke(args=["lms", "deliver", "--now", f"{when.isoformat()}+00:00", *args])


def test_send_reminders_delivers_and_exits_1_while_the_gateway_is_down(runner, db, officers,
                                                                       gateway):
    gateway.script = [500, 500, 500, 500]  # two new-lesson and two due reminders
    down = runner.invoke(args=["lms", "send-reminders", "--now", "2026-11-20T17:00"])
    assert down.exit_code == 1, down.output
    assert "new: 2" in down.output and "Sent 4 notification(s)" in down.output
    assert ("Delivery: 0 delivered, 4 failed (will retry), 0 dead; 4 waiting, 0 dead in total."
            in down.stderr)
    assert "HTTP 500" in down.stderr and states(db) == {"failed": 4}
    # The retry time is on the bureau's clock, as the operator's --now was.
    assert "retry at 2026-11-20 17:05 Asia/Shanghai" in down.stderr and "UTC" not in down.stderr
    # An hour later nothing new is planned, and the retries go through.
    up = runner.invoke(args=["lms", "send-reminders", "--now", "2026-11-20T18:00"])
    assert up.exit_code == 0, up.output
    assert "Sent 0 notification(s)" in up.output and "4 delivered" in up.output
    assert states(db) == {"delivered": 4} and len(gateway.accepted) == 4


def test_deliver_respects_the_backoff_and_succeeds_once_the_gateway_answers(runner, db, make,
                                                                            gateway):
    user = make.user(make.unit())
    outbox.enqueue(db, inbox.notify(db, [user.id], "lesson_due", "微课即将截止", "请学习。",
                                    None, "k:1", at=DUE), DUE)
    db.commit()
    gateway.script = [500, "slow", 200]
    assert deliver(runner, DUE).exit_code == 1
    early = deliver(runner, DUE + timedelta(minutes=4))
    assert early.exit_code == 0 and "0 delivered" in early.output and "1 waiting" in early.output
    timeout = deliver(runner, DUE + timedelta(minutes=5))
    assert timeout.exit_code == 1 and "no answer from the gateway" in timeout.stderr
    done = deliver(runner, DUE + timedelta(minutes=15))
    assert done.exit_code == 0 and "1 delivered" in done.output
    assert len(gateway.requests) == 3 and len(set(gateway.keys())) == 1
    assert len(gateway.accepted) == 1 and states(db) == {"delivered": 1}


def test_a_gateway_that_never_answers_ends_dead_and_the_command_fails(runner, db, make,
                                                                      gateway):
    user = make.user(make.unit())
    outbox.enqueue(db, inbox.notify(db, [user.id], "lesson_due", "微课即将截止", "请学习。",
                                    None, "k:1", at=DUE), DUE)
    db.commit()
    gateway.script = [502] * 20
    now = DUE
    for _ in range(outbox.RETRY.max_attempts):
        result = deliver(runner, now)
        assert result.exit_code == 1
        db.expire_all()
        row = db.scalar(select(NotificationDelivery))
        now = row.next_attempt_at or now
    assert row.state == "dead" and row.attempts == outbox.RETRY.max_attempts
    assert "1 dead; 0 waiting, 1 dead in total." in result.stderr
    assert "attempt 10: HTTP 502" in result.stderr
    # Once the cause is fixed, the operator queues the dead ones again.
    gateway.script = []
    again = deliver(runner, now + timedelta(hours=1), "--retry-dead")
    assert again.exit_code == 0 and "1 dead notification(s) queued again." in again.output
    assert states(db) == {"delivered": 1} and len(gateway.accepted) == 1


def test_store_only_writes_no_outbox_and_succeeds(runner, db, officers):
    result = runner.invoke(args=["lms", "send-reminders", "--now", "2026-11-20T17:00"])
    assert result.exit_code == 0 and "stores notifications in the app only" in result.output
    assert states(db) == {}
    assert runner.invoke(args=["lms", "deliver"]).exit_code == 0


def test_the_webhook_is_configured_by_name_and_checked_at_start():
    config = {"LMS_WEBHOOK_URL": "http://127.0.0.1:9/hook", "LMS_WEBHOOK_SECRET": SECRET,
              "LMS_WEBHOOK_TIMEOUT": "2.5", "LMS_PUBLIC_URL": ""}
    notifier = load_notifier("webhook", config)
    assert isinstance(notifier, WebhookNotifier) and notifier.timeout == 2.5
    assert isinstance(load_notifier("lms.notify:StoreOnlyNotifier", config), StoreOnlyNotifier)
    with pytest.raises(RuntimeError, match="LMS_WEBHOOK_SECRET"):
        load_notifier("webhook", {**config, "LMS_WEBHOOK_SECRET": ""})
    with pytest.raises(RuntimeError, match="LMS_WEBHOOK_URL"):
        load_notifier("webhook", {**config, "LMS_WEBHOOK_URL": "gateway.local"})


@pytest.mark.parametrize("secret", ["", "short"])
def test_production_refuses_a_webhook_without_a_strong_secret(tmp_path, secret):
    with pytest.raises(RuntimeError, match="LMS_WEBHOOK_SECRET"):
        create_app({"LMS_ENV": "production", "SECRET_KEY": "k" * 40,
                    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite3",
                    "LMS_SINGLE_PROCESS": True,  # past the rate-limit storage check
                    "LMS_NOTIFIER": "webhook", "LMS_WEBHOOK_URL": "https://gw.example/hook",
                    "LMS_WEBHOOK_SECRET": secret})


def test_the_webhook_can_be_configured_from_the_environment_alone():
    from lms.config import environment_overrides
    values = environment_overrides({
        "LMS_NOTIFIER": "webhook", "LMS_WEBHOOK_URL": "https://gw.example/hook",
        "LMS_WEBHOOK_SECRET": SECRET, "LMS_WEBHOOK_TIMEOUT": "3",
        "LMS_PUBLIC_URL": "https://lms.example/"})
    notifier = load_notifier(values["LMS_NOTIFIER"], values)
    assert (notifier.url, notifier.secret, notifier.timeout, notifier.public_url) == (
        "https://gw.example/hook", SECRET, 3.0, "https://lms.example")
