"""A submission racing a regrade on PostgreSQL: the submission waits for the regrade's key
lock and then grades against the new key, so no attempt is recorded under a key that a
committed regrade replaced. (SQLite's writers are serial: BEGIN IMMEDIATE.)"""
import threading
import time

import pytest
from sqlalchemy import select, text

from lms.domain.quiz import attempts, quizview, regrade
from lms.models import Attempt, MicroLesson, Question, utcnow
from lms.web import db_session

RULES = {"lesson_on_time": 5}
QUESTIONS = ({"key": "q1", "kind": "single", "stem": "题一", "answer": "B",
              "options": [["A", "甲"], ["B", "乙"]]},)


def waiting_for_advisory_lock(db) -> bool:
    return bool(db.execute(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                                "AND NOT granted")).scalar())


@pytest.mark.parametrize("none_open", [False, True])  # True: graded first by cached keys
def test_a_submission_during_a_regrade_is_graded_with_the_new_key(app, db, make, none_open):
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers with BEGIN IMMEDIATE")
    trainer, early, racer = make.user(roles=("trainer",)), make.user(), make.user()
    lesson = make.lesson(quiz=make.quiz(QUESTIONS))
    q1 = db.scalar(select(Question).where(Question.quiz_id == lesson.quiz_id))
    attempts.submit(db, early.id, quizview.lesson_item(lesson), {str(q1.id): "A"}, "k0",
                    utcnow(), RULES)
    db.commit()
    plan = regrade.plan(db, q1.quiz_id, {q1.id: "A"})
    regrade.apply(db, trainer, q1.quiz_id, {q1.id: "A"}, plan.token, utcnow(), RULES)
    # the regrade's transaction is open and holds the key lock: the racer must wait

    def race():
        with app.app_context():
            session = db_session()
            item = quizview.lesson_item(session.get(MicroLesson, lesson.id))
            attempts.submit(session, racer.id, item, {str(q1.id): "A"}, "k1", utcnow(), RULES,
                            none_open=none_open)
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
    scores = dict(db.execute(select(Attempt.user_id, Attempt.score)).all())
    assert scores == {early.id: 100, racer.id: 100}
