"""A submission racing a regrade on PostgreSQL: the submission waits for the regrade's key
lock and then grades against the new key, so no attempt is recorded under a key that a
committed regrade replaced. (SQLite's writers are serial: BEGIN IMMEDIATE.)"""
import threading
from datetime import timedelta

import pytest
from factories import bearer
from races import ADVISORY_WAITS, ANY_WAITS, behind_the_lock, queued, submit_behind_the_lock
from sqlalchemy import func, select, text

from lms.domain.org import accounts, useradmin
from lms.domain.quiz import attempts, keylock, quizview, regrade
from lms.domain.reports import unitstats
from lms.models import Attempt, LessonUnitStats, Question, Unit, User, utcnow
from lms.web import db_session

RULES = {"lesson_on_time": 5}
QUESTIONS = ({"key": "q1", "kind": "single", "stem": "题一", "answer": "B",
              "options": [["A", "甲"], ["B", "乙"]]},)


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

    submit_behind_the_lock(app, db, racer.id, lesson.id, {str(q1.id): "A"}, "k1", utcnow(),
                           RULES, none_open=none_open)
    scores = dict(db.execute(select(Attempt.user_id, Attempt.score)).all())
    assert scores == {early.id: 100, racer.id: 100}


def test_an_api_submission_during_a_regrade_waits_and_grades_with_the_new_key(app, db, make):
    """The API takes the key lock in its first statement (the token and lesson read), so a
    submission that arrives while a regrade is open waits for it and then grades with
    the key the regrade wrote."""
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers with BEGIN IMMEDIATE")
    trainer, racer = make.user(roles=("trainer",)), make.user()
    lesson = make.lesson(quiz=make.quiz(QUESTIONS))
    q1 = db.scalar(select(Question).where(Question.quiz_id == lesson.quiz_id))
    headers = bearer(app.test_client(), racer)
    plan = regrade.plan(db, q1.quiz_id, {q1.id: "A"})
    regrade.apply(db, trainer, q1.quiz_id, {q1.id: "A"}, plan.token, utcnow(), RULES)
    answered = api_submit_behind_the_lock(app, db, lesson.id, headers,
                                          {str(q1.id): "A"}, ADVISORY_WAITS,
                                          "the submission did not wait for the regrade")
    assert answered[0].status_code == 201 and answered[0].json["score"] == 100
    assert db.scalar(select(Attempt.score).where(Attempt.user_id == racer.id)) == 100


def test_an_api_submission_during_a_deactivation_waits_and_is_refused(app, db, make):
    """The API's first statement locks the officer's row: a submission that arrives while
    the officer's deactivation is open waits for it, then finds the token dead; nothing is
    recorded and the reports' summary stays exact."""
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers with BEGIN IMMEDIATE")
    officer = make.user()
    lesson = make.lesson(quiz=make.quiz(QUESTIONS))
    q1 = db.scalar(select(Question).where(Question.quiz_id == lesson.quiz_id))
    headers = bearer(app.test_client(), officer)
    accounts.deactivate(db, db.get(User, officer.id), utcnow())
    answered = api_submit_behind_the_lock(app, db, lesson.id, headers,
                                          {str(q1.id): "B"}, ANY_WAITS,
                                          "the submission did not wait for the officer")
    assert answered[0].status_code == 401
    assert db.scalar(select(func.count()).select_from(Attempt)) == 0
    assert unitstats.drift(db) == {}


def test_an_api_submission_during_a_unit_move_waits_and_counts_under_the_new_unit(app, db,
                                                                                   make):
    """The officer's row changes while the submission's first statement waits for it: the
    read is made again under the locks, the attempt is recorded (not a 401), and the
    reports' summary counts it where the officer now is."""
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers with BEGIN IMMEDIATE")
    t = make.tree()
    admin, officer = make.user(t["city"], roles=("admin",)), make.user(t["branch_a"])
    lesson = make.lesson(quiz=make.quiz(QUESTIONS), publish_at=utcnow() - timedelta(days=1),
                         due_at=utcnow() + timedelta(days=3))
    q1 = db.scalar(select(Question).where(Question.quiz_id == lesson.quiz_id))
    headers = bearer(app.test_client(), officer)
    assert useradmin.move_user(db, db.get(User, admin.id), db.get(User, officer.id),
                               db.get(Unit, t["branch_b"].id), None, utcnow())
    answered = api_submit_behind_the_lock(app, db, lesson.id, headers,
                                          {str(q1.id): "B"}, ANY_WAITS,
                                          "the submission did not wait for the move")
    assert answered[0].status_code == 201, answered[0].json
    assert unitstats.drift(db) == {}
    counted = db.get(LessonUnitStats, (lesson.id, t["branch_b"].id))
    assert counted is not None and counted.completed == 1


def test_a_regrade_queued_behind_a_submission_lets_it_record_its_attempt(app, db, make):
    """A submission holds the key lock shared and has yet to insert its attempt when a
    regrade locks the quiz and queues for the key lock: the attempt's foreign key on the
    quiz must not wait for the regrade (they would wait for each other until PostgreSQL
    aborted one). The regrade then finds its preview stale (an attempt it did not show)."""
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers with BEGIN IMMEDIATE")
    trainer, officer = make.user(roles=("trainer",)), make.user()
    lesson = make.lesson(quiz=make.quiz(QUESTIONS))
    q1 = db.scalar(select(Question).where(Question.quiz_id == lesson.quiz_id))
    item = quizview.lesson_item(lesson)
    db.commit()
    keylock.grading_for(db, lesson.quiz_id, officer.id, exclusive=False)  # held shared
    failures = []

    def run_regrade():
        with app.app_context():
            session = db_session()
            try:
                plan = regrade.plan(session, q1.quiz_id, {q1.id: "A"})
                regrade.apply(session, session.get(User, trainer.id), q1.quiz_id,
                              {q1.id: "A"}, plan.token, utcnow(), RULES)
                session.commit()
            except Exception as error:  # reported below
                failures.append(error)
            finally:
                session.remove()

    thread = threading.Thread(target=run_regrade)
    thread.start()
    queued(app, ADVISORY_WAITS, "the regrade did not queue for the key lock")
    db.execute(text("SET LOCAL lock_timeout = '5s'"))
    result = attempts.submit(db, officer.id, item, {str(q1.id): "A"}, "k1", utcnow(), RULES)
    db.commit()
    thread.join(30)
    assert result.score == 0  # graded with the key before the regrade
    assert [type(error) for error in failures] == [regrade.StalePreview]


def test_a_request_without_a_live_token_takes_no_lock(app, db, make):
    """A POST with an unknown token is answered 401 at once, even while a regrade holds the
    quiz's key lock: only a token's holder queues for a quiz's locks."""
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers with BEGIN IMMEDIATE")
    trainer = make.user(roles=("trainer",))
    lesson = make.lesson(quiz=make.quiz(QUESTIONS))
    q1 = db.scalar(select(Question).where(Question.quiz_id == lesson.quiz_id))
    plan = regrade.plan(db, q1.quiz_id, {q1.id: "A"})
    regrade.apply(db, trainer, q1.quiz_id, {q1.id: "A"}, plan.token, utcnow(), RULES)
    answered = []

    def submit():
        with app.app_context(), app.test_client() as client:
            answered.append(client.post(
                f"/api/v1/lessons/{lesson.id}/attempts", headers={"Authorization": "Bearer x"},
                json={"answers": {str(q1.id): "A"}, "idempotency_key": "k1"}))

    thread = threading.Thread(target=submit)
    thread.start()
    thread.join(10)
    waited = thread.is_alive()
    db.rollback()  # releases the racer, had it queued
    thread.join(30)
    assert not waited, "a request without a token queued for the quiz's key lock"
    assert answered[0].status_code == 401


def api_submit_behind_the_lock(app, db, lesson_id: int, headers: dict, answers: dict,
                               waits: str, failure: str) -> list:
    """POST `answers` to the lesson's attempts over the API while `db`'s open transaction
    holds a lock the submission needs (`behind_the_lock`); returns [the response]."""
    answered = []

    def submit(_session):
        with app.test_client() as client:
            answered.append(client.post(f"/api/v1/lessons/{lesson_id}/attempts",
                                        headers=headers,
                                        json={"answers": answers, "idempotency_key": "k1"}))
    behind_the_lock(app, db, submit, waits, failure)
    return answered
