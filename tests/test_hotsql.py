"""Hot statements run as driver SQL (`hotsql`) write and read exactly what the same Core
statement does, inside the session's transaction, and the engine's statement events still
see them. On SQLite `hotsql` is the Core execute itself."""
from datetime import datetime

from sqlalchemy import Integer, bindparam, event, func, literal, select

from lms.domain import hotsql
from lms.domain.quiz import attempts, quizview
from lms.models import Attempt

NOW = datetime(2026, 11, 18, 2, 0)


def insert(db, run, item, user, key, question_ids):
    stored = {"submitted_at": NOW, "score": 80, "passed": True,
              "answers": {"1": "A", "2": ["B", "C"]},
              "results": [{"question_id": 1, "correct": True, "given": "A",
                           "correct_answer": "A", "explanation": "因为"}],
              "question_ids": question_ids}
    statement = attempts._insert_attempt(db.get_bind().dialect.name)
    return run(statement, attempts._insert_params(user.id, item, key, NOW, stored)).scalar()


def test_an_insert_stores_what_the_core_statement_stores(db, make):
    officer, lesson = make.user(), make.lesson()
    item = quizview.lesson_item(lesson)
    core = insert(db, db.connection().execute, item, officer, "core", None)
    hot = insert(db, lambda s, p: hotsql.execute(db, s, p), item, officer, "hot", None)
    drawn = insert(db, lambda s, p: hotsql.execute(db, s, p), item, officer, "drawn", [3, 1])
    db.commit()
    columns = ("status", "started_at", "submitted_at", "score", "passed", "answers", "results",
               "question_ids", "points_awarded")
    row = {key: db.execute(select(*(getattr(Attempt, c) for c in columns))
                           .where(Attempt.id == key_id)).one()
           for key, key_id in (("core", core), ("hot", hot), ("drawn", drawn))}
    assert row["hot"] == row["core"]
    assert row["drawn"].question_ids == [3, 1]
    # a JSON None is stored the same way (JSON null or SQL NULL) whichever way it was sent
    nulls = dict(db.execute(select(Attempt.idempotency_key, Attempt.question_ids.is_(None))).all())
    assert nulls["hot"] == nulls["core"]


def test_a_repeated_key_returns_nothing_and_literals_are_bound(db, make):
    officer, lesson = make.user(), make.lesson()
    item = quizview.lesson_item(lesson)
    run = lambda s, p: hotsql.execute(db, s, p)  # noqa: E731
    assert insert(db, run, item, officer, "same", None) is not None
    assert insert(db, run, item, officer, "same", None) is None
    statement = select(bindparam("p_x", type_=Integer) + literal(2), literal("甲").label("t"))
    assert tuple(hotsql.execute(db, statement, {"p_x": 40}).one()) == (42, "甲")


def test_the_engine_events_see_the_statement_in_the_session_transaction(app, db, make):
    officer = make.user()
    seen = []
    engine = app.extensions["lms"].db.engine

    def record(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        statement = select(func.count()).select_from(Attempt).where(
            Attempt.user_id == bindparam("p_user_id"))
        assert hotsql.execute(db, statement, {"p_user_id": officer.id}).scalar() == 0
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert any("lms_attempt" in s for s in seen)


def test_it_runs_in_the_session_transaction(db, make):
    officer, lesson = make.user(), make.lesson()
    db.commit()
    run = lambda s, p: hotsql.execute(db, s, p)  # noqa: E731
    insert(db, run, quizview.lesson_item(lesson), officer, "undone", None)
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Attempt)) == 0
