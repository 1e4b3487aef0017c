"""The common submission graded with the keys this worker read last (issue 15): no read
after the lock, and a write that counts only while those keys are still current. Whatever
the cache holds, the outcome is the full path's: a changed key grades by the new one, a
retired question is not asked for, a retry is replayed, nothing is written twice. On
SQLite (no row versions) the full path always runs, and the same must hold."""
from contextlib import contextmanager
from datetime import datetime, timedelta

import pytest
from factories import bearer
from sqlalchemy import event, func, select, update

from lms.domain.learning import completion, points
from lms.domain.quiz import attempts, quizview
from lms.models import Attempt, PointsEntry, Question

RULES = {"lesson_on_time": 5, "lesson_perfect": 2}
NOW = datetime(2026, 11, 18, 2, 0)


def lesson(make):
    return make.lesson(publish_at=NOW - timedelta(days=1), due_at=NOW + timedelta(days=3))


def submit(db, user, item, answers, key):
    """As the API submits: it read in this transaction that no attempt is open."""
    result = attempts.submit(db, user.id, quizview.lesson_item(item), answers, key, NOW,
                             RULES, none_open=True)
    db.commit()
    return result


def question(db, item, key: str) -> Question:
    return db.scalar(select(Question).where(Question.quiz_id == item.quiz_id,
                                            Question.key == key))


def test_a_key_changed_after_the_cache_was_filled_grades_by_the_new_key(db, make):
    first, second, item = make.user(), make.user(), lesson(make)
    answers = make.answers(item.quiz)
    assert submit(db, first, item, answers, "k1").score == 100  # fills the worker's keys
    q1 = question(db, item, "q1")
    wrong_now = next(key for key, _ in q1.options if key != q1.answer)
    db.execute(update(Question).where(Question.id == q1.id).values(answer=wrong_now))
    db.commit()
    result = submit(db, second, item, answers, "k2")
    assert result.score == 80
    assert not {line.question_id: line.correct for line in result.results}[q1.id]
    stored = db.scalar(select(Attempt).where(Attempt.user_id == second.id))
    assert (stored.score, stored.idempotency_key) == (80, "k2")


def test_a_question_retired_after_the_cache_was_filled_is_not_asked_for(db, make):
    first, second, item = make.user(), make.user(), lesson(make)
    answers = make.answers(item.quiz)
    submit(db, first, item, answers, "k1")
    q5 = question(db, item, "q5")
    db.execute(update(Question).where(Question.id == q5.id).values(retired=True))
    db.commit()
    answers.pop(str(q5.id))  # the cached keys still name it: they must not refuse this
    result = submit(db, second, item, answers, "k2")
    assert result.score == 100
    assert q5.id not in {line.question_id for line in result.results}


def test_answers_the_cached_keys_refuse_are_refused_by_the_current_ones(db, make):
    first, second, item = make.user(), make.user(), lesson(make)
    submit(db, first, item, make.answers(item.quiz), "k1")
    with pytest.raises(attempts.InvalidAnswer):
        submit(db, second, item, {**make.answers(item.quiz), "999999": "A"}, "k2")
    db.rollback()
    with pytest.raises(attempts.Unanswered):
        q1 = question(db, item, "q1")
        submit(db, second, item, {str(q1.id): q1.answer}, "k2")
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Attempt)
                     .where(Attempt.user_id == second.id)) == 0


def test_a_retry_is_replayed_and_counted_once(db, make):
    first, officer, item = make.user(), make.user(), lesson(make)
    answers = make.answers(item.quiz)
    submit(db, first, item, answers, "k1")
    stored = submit(db, officer, item, answers, "retry-1")
    again = submit(db, officer, item, answers, "retry-1")
    assert (again.attempt_id, again.score, again.points_awarded) == (
        stored.attempt_id, 100, stored.points_awarded)
    assert again.replayed and not stored.replayed
    assert db.scalar(select(func.count()).select_from(Attempt)
                     .where(Attempt.user_id == officer.id)) == 1
    assert completion.get(db, officer.id, "lesson", item.id).attempts == 1
    assert points.total(db, officer.id) == 7
    assert db.scalar(select(func.count()).select_from(PointsEntry)
                     .where(PointsEntry.user_id == officer.id)) == 2


def test_a_key_of_another_lesson_is_refused_not_replayed(db, make):
    first, officer, item, other = make.user(), make.user(), lesson(make), lesson(make)
    submit(db, first, item, make.answers(item.quiz), "k1")
    submit(db, officer, other, make.answers(other.quiz), "shared")
    with pytest.raises(attempts.KeyConflict):
        submit(db, officer, item, make.answers(item.quiz), "shared")


def test_with_the_keys_cached_nothing_is_read_after_the_lock(app, db, make):
    """PostgreSQL: the lock, then the writes; the keys' version is checked by the write."""
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite has no row versions: the keys are read every time there")
    first, second, item = make.user(), make.user(), lesson(make)
    answers = make.answers(item.quiz)
    submit(db, first, item, answers, "k1")
    with sql_sent(app) as statements:
        assert submit(db, second, item, answers, "k2").score == 100
    assert "pg_advisory_xact_lock_shared" in statements[0]
    assert statements[1].startswith("WITH written AS (INSERT INTO lms_attempt")
    assert "key_question.xmin" in statements[1]  # the guard: the version after the lock
    assert not [s for s in statements if "lms_question.answer" in s]
    assert len(statements) == 3  # lock, attempt with completion claim, the rest


def test_an_api_submission_is_three_statements_the_first_holding_the_locks(app, db, make,
                                                                           client):
    """PostgreSQL: the token and lesson read takes the key lock and the officer's row, then
    the attempt with its completion claim, then the rest; nothing else."""
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers with BEGIN IMMEDIATE: no locks to take")
    first, second, item = make.user(), make.user(), lesson(make)
    answers = make.answers(item.quiz)
    path = f"/api/v1/lessons/{item.id}/attempts"
    headers = bearer(client, first), bearer(client, second)
    assert client.post(path, headers=headers[0],
                       json={"answers": answers, "idempotency_key": "k1"}).status_code == 201
    with sql_sent(app) as statements:
        answered = client.post(path, headers=headers[1],
                               json={"answers": answers, "idempotency_key": "k2"})
    assert answered.status_code == 201 and answered.json["score"] == 100
    sent = [s for s in statements if s not in ("BEGIN", "COMMIT")]
    assert "pg_advisory_xact_lock_shared" in sent[0] and "FOR NO KEY UPDATE OF officer" in sent[0]
    assert sent[1].startswith("WITH written AS (INSERT INTO lms_attempt")
    assert len(sent) == 3, sent


def test_the_hot_reads_stay_short_enough_for_psycopg_to_cache(app):
    """psycopg converts a query's placeholders once per text only below a length; the
    lesson reads run on every request."""
    limit = pytest.importorskip("psycopg._queries").MAX_CACHED_STATEMENT_LENGTH
    from sqlalchemy.dialects.postgresql import psycopg

    from lms.domain.learning import lessonview
    for by, lock in (("token", False), ("token", True), ("user", False)):
        statement = lessonview._read_statement("postgresql", by, lock)
        sql = str(statement.compile(dialect=psycopg.dialect()))
        assert len(sql) <= limit, (by, lock, len(sql))


@contextmanager
def sql_sent(app):
    """The SQL statements the app sends inside the block, whitespace folded."""
    statements: list[str] = []
    engine = app.extensions["lms"].db.engine

    def record(_conn, _cursor, statement, *_args):
        statements.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)
