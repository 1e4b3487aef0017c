"""A submission racing a regrade on PostgreSQL: the submission waits for the regrade's key
lock and then grades against the new key, so no attempt is recorded under a key that a
committed regrade replaced. (SQLite's writers are serial: BEGIN IMMEDIATE.)"""
import pytest
from races import submit_behind_the_lock
from sqlalchemy import select

from lms.domain.quiz import attempts, quizview, regrade
from lms.models import Attempt, Question, utcnow

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
