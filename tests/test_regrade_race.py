"""A submission racing a regrade on PostgreSQL: the submission waits for the regrade's key
lock and then grades against the new key, so no attempt is recorded under a key that a
committed regrade replaced. (SQLite's writers are serial: BEGIN IMMEDIATE.)"""
import pytest
from factories import bearer
from races import ADVISORY_WAITS, ANY_WAITS, behind_the_lock, submit_behind_the_lock
from sqlalchemy import func, select

from lms.domain.org import accounts
from lms.domain.quiz import attempts, quizview, regrade
from lms.domain.reports import unitstats
from lms.models import Attempt, Question, User, utcnow

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
    answered = []

    def submit(session):
        with app.test_client() as client:
            answered.append(client.post(f"/api/v1/lessons/{lesson.id}/attempts", headers=headers,
                                        json={"answers": {str(q1.id): "A"},
                                              "idempotency_key": "k1"}))
    behind_the_lock(app, db, submit, ADVISORY_WAITS, "the submission did not wait for the regrade")
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
    answered = []

    def submit(session):
        with app.test_client() as client:
            answered.append(client.post(f"/api/v1/lessons/{lesson.id}/attempts", headers=headers,
                                        json={"answers": {str(q1.id): "B"},
                                              "idempotency_key": "k1"}))
    behind_the_lock(app, db, submit, ANY_WAITS, "the submission did not wait for the officer")
    assert answered[0].status_code == 401
    assert db.scalar(select(func.count()).select_from(Attempt)) == 0
    assert unitstats.drift(db) == {}
