"""Hot statements run as driver SQL (`hotsql`) write and read exactly what the same Core
statement does, inside the session's transaction, and the engine's statement events still
see them. On SQLite `hotsql` is the Core execute itself."""
from datetime import datetime

import pytest
from sqlalchemy import (
    Integer,
    Numeric,
    bindparam,
    cast,
    create_engine,
    event,
    exc,
    func,
    literal,
    select,
)

from lms.domain import hotsql
from lms.domain.quiz import attempts, quizview
from lms.errors import is_transient
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


def test_a_driver_error_is_raised_as_sqlalchemy_raises_it(db, make):
    """A constraint violation is SQLAlchemy's IntegrityError, whichever way it ran: the
    callers and the error pages tell a fault of the database from a bug by that class."""
    lesson = make.lesson()
    db.commit()
    item = quizview.lesson_item(lesson)
    missing = type("Nobody", (), {"id": 987654})()
    with pytest.raises(exc.IntegrityError):
        insert(db, lambda s, p: hotsql.execute(db, s, p), item, missing, "orphan", None)
    db.rollback()


def test_a_lost_connection_is_invalidated_and_answered_as_transient(app, db, make):
    """A backend that dies under a hot statement is SQLAlchemy's OperationalError with the
    connection invalidated, as its own execute reports it (503 and a fresh connection)."""
    _postgres_only(db, "pg_terminate_backend")
    officer = make.user()
    db.commit()
    engine = app.extensions["lms"].db.engine
    connection = db.connection()
    pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    with engine.connect() as other:
        other.exec_driver_sql(f"SELECT pg_terminate_backend({pid})")
    statement = select(func.count()).select_from(Attempt).where(
        Attempt.user_id == bindparam("p_user_id"))
    with pytest.raises(exc.OperationalError) as raised:
        hotsql.execute(db, statement, {"p_user_id": officer.id})
    assert raised.value.connection_invalidated
    assert is_transient(raised.value)
    db.rollback()
    assert hotsql.execute(db, statement, {"p_user_id": officer.id}).scalar() == 0


def test_a_column_that_needs_result_processing_is_refused(db):
    """Rows come straight from psycopg, so a type SQLAlchemy would convert on the way out
    (here a Numeric read as float) is refused when the statement is rendered, not
    returned unconverted."""
    _postgres_only(db, "the driver path")
    statement = select(cast(literal(1.5), Numeric(10, 2, asdecimal=False)).label("x"))
    with pytest.raises(TypeError, match="result processing"):
        hotsql.execute(db, statement, {})


def _postgres_only(db, what: str) -> None:
    bind = db.get_bind() if hasattr(db, "get_bind") else db
    if bind.dialect.name != "postgresql":
        pytest.skip(f"{what} is PostgreSQL's; on SQLite hotsql is the Core execute")


def test_an_error_keeps_the_statements_values_out_of_its_message(app, make):
    """Production hides a failed statement's values (police numbers, token hashes, answers)
    from its error and so from the logs; a hot statement's error hides them too. (SQLite
    runs the Core execute, SQLAlchemy's own.)"""
    _postgres_only(app.extensions["lms"].db.engine, "the driver path")
    lesson = make.lesson()
    item = quizview.lesson_item(lesson)
    options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]  # the test's own database or schema
    hiding = create_engine(app.config["SQLALCHEMY_DATABASE_URI"], hide_parameters=True,
                           connect_args=options.get("connect_args", {}))
    try:
        with hiding.begin() as connection:
            statement = attempts._insert_attempt(connection.dialect.name)
            stored = {"submitted_at": NOW, "score": 0, "passed": False, "answers": {},
                      "results": [], "question_ids": None}
            with pytest.raises(exc.IntegrityError) as raised:
                hotsql.execute_on(connection, statement, attempts._insert_params(
                    987654, item, "SECRET-KEY-7", NOW, stored))  # no such officer
    finally:
        hiding.dispose()
    assert "SECRET-KEY-7" not in str(raised.value)
    assert "parameters hidden" in str(raised.value)


def test_without_the_internals_it_runs_the_public_driver_sql_execute(db, make, monkeypatch):
    """A host whose SQLAlchemy lacks an internal the direct path uses still gets the same
    rows, through SQLAlchemy's public driver-SQL execute."""
    officer, lesson = make.user(), make.lesson()
    monkeypatch.setattr(hotsql, "_DIRECT", False)
    run = lambda s, p: hotsql.execute(db, s, p)  # noqa: E731
    item = quizview.lesson_item(lesson)
    attempt_id = insert(db, run, item, officer, "public", None)
    assert attempt_id is not None
    statement = select(Attempt.id, Attempt.score).where(Attempt.id == bindparam("p_id"))
    assert tuple(run(statement, {"p_id": attempt_id}).one()) == (attempt_id, 80)
