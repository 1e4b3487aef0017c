"""A drawn quiz's submission racing a regrade of a bank question on PostgreSQL: the
submission waits for the bank's key lock and then grades against the new key, whichever quiz
drew the question. (SQLite's writers are serial: BEGIN IMMEDIATE.)"""
import pytest
from races import submit_behind_the_lock
from sqlalchemy import select
from test_regrade_bank import RULES, answer, drawn_lesson, make_bank

from lms.domain.quiz import quizview, regrade_bank
from lms.models import Attempt, Question, utcnow


def test_a_drawn_submission_during_a_bank_regrade_is_graded_with_the_new_key(app, db, make):
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers with BEGIN IMMEDIATE")
    _bank, b1, _b2 = make_bank(db)
    first, second = drawn_lesson(db, make, 60), drawn_lesson(db, make, 60)
    trainer, early, racer = make.user(roles=("trainer",)), make.user(), make.user()
    now = utcnow()
    answer(db, early, first, {"b1": "C", "b2": True}, now)
    # the racer opens the other quiz (its draw holds b1) before the regrade begins
    item = quizview.lesson_item(second)
    opened = quizview.open_quiz(db, racer.id, item, now)
    db.commit()
    keys = dict(db.execute(select(Question.id, Question.key)).all())
    given = {str(q.id): {"b1": "C", "b2": True}[keys[q.id]] for q in opened.questions}
    plan = regrade_bank.plan(db, b1.bank_id, {b1.id: "C"})
    regrade_bank.apply(db, trainer, b1.bank_id, {b1.id: "C"}, plan.token, now, RULES)
    # the regrade's transaction is open and holds the bank's key lock: the racer must wait

    submit_behind_the_lock(app, db, racer.id, second.id, given,
                           opened.attempt.idempotency_key, now, RULES)
    scores = dict(db.execute(select(Attempt.user_id, Attempt.score)
                             .where(Attempt.status == "submitted")).all())
    assert scores == {early.id: 100, racer.id: 100}
