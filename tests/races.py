"""Two writers racing on PostgreSQL: the second must queue on a lock the first holds."""
import threading
import time

import pytest
from sqlalchemy import text

from lms.domain.quiz import attempts, quizview
from lms.models import MicroLesson
from lms.web import db_session

ADVISORY_WAITS = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
ANY_WAITS = "SELECT count(*) FROM pg_locks WHERE NOT granted"


def behind_the_lock(app, db, work, waits: str = ANY_WAITS,
                    failure: str = "the second writer did not wait for the first") -> None:
    """Run `work(session)` and commit it in another session while `db`'s open transaction
    holds a lock it needs; check that it queues (`waits` counts waiting locks), then commit
    `db` and let it finish."""
    def race():
        with app.app_context():
            session = db_session()
            work(session)
            session.commit()
            session.remove()

    thread = threading.Thread(target=race)
    thread.start()
    queued(app, waits, failure)
    db.commit()
    thread.join(30)
    db.expire_all()


def queued(app, waits: str, failure: str) -> None:
    """Return once another session queues on a lock (`waits` counts waiting locks); fail
    with `failure` if none does within 30 s (it never would without the lock)."""
    with app.app_context():
        watcher = app.extensions["lms"].db.engine.connect()
        try:
            for _ in range(600):
                if watcher.execute(text(waits)).scalar():
                    return
                time.sleep(0.05)
            pytest.fail(failure)
        finally:
            watcher.close()


def submit_behind_the_lock(app, db, user_id: int, lesson_id: int, answers: dict, key: str,
                           now, rules: dict, **options) -> None:
    """Submit `answers` for the lesson while `db`'s open regrade holds the key lock."""
    def submit(session):
        item = quizview.lesson_item(session.get(MicroLesson, lesson_id))
        attempts.submit(session, user_id, item, answers, key, now, rules, **options)
    behind_the_lock(app, db, submit, ADVISORY_WAITS,
                    "the submission did not wait for the regrade")
