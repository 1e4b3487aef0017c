"""A submission racing a regrade that holds its key lock (PostgreSQL advisory locks)."""
import threading
import time

import pytest
from sqlalchemy import text

from lms.domain.quiz import attempts, quizview
from lms.models import MicroLesson
from lms.web import db_session


def waiting_for_advisory_lock(db) -> bool:
    return bool(db.execute(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                                "AND NOT granted")).scalar())


def submit_behind_the_lock(app, db, user_id: int, lesson_id: int, answers: dict, key: str,
                           now, rules: dict, **options) -> None:
    """Submit `answers` for the lesson in another session while `db`'s open transaction
    holds the key lock; check the submission queues on that lock, then commit `db` and let
    it finish."""
    def race():
        with app.app_context():
            session = db_session()
            item = quizview.lesson_item(session.get(MicroLesson, lesson_id))
            attempts.submit(session, user_id, item, answers, key, now, rules, **options)
            session.commit()
            session.remove()

    thread = threading.Thread(target=race)
    thread.start()
    with app.app_context():
        watcher = app.extensions["lms"].db.engine.connect()
        for _ in range(600):  # until the racer queues on the lock (it never would without it)
            if waiting_for_advisory_lock(watcher):
                break
            time.sleep(0.05)
        else:
            pytest.fail("the submission did not wait for the regrade")
        watcher.close()
    db.commit()
    thread.join(30)
    db.expire_all()
