"""The demo's bulk load (`demo.bulk`): rows given column by column go in as they were given
(COPY's binary format on PostgreSQL, executemany on SQLite); on PostgreSQL indexes, unique
constraints and foreign keys are upkept once after the load instead of per row, and every one
still holds afterwards. A province demo (bureaus under a root) written in chunks."""
import sqlite3
import threading
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lms.domain.demo import bulk, bureau, history, historyrows, orgtree
from lms.domain.reports import unitstats
from lms.models import Attempt, Completion, Mistake, PointsEntry, Unit, User
from lms.paths import COURSES_DIR

COLUMNS = ("user_id", "rule", "points", "source_type", "source_id", "at")
AT = datetime(2026, 11, 2, 9, 0)


def _schema(db):
    found = inspect(db.connection())
    return (sorted(i["name"] for i in found.get_indexes("lms_points_ledger")),
            sorted(c["name"] for c in found.get_unique_constraints("lms_points_ledger")),
            sorted(k["name"] for k in found.get_foreign_keys("lms_points_ledger")))


def test_a_bulk_load_leaves_every_index_and_constraint_in_place(db, make):
    officer = make.user()
    db.flush()
    before = _schema(db)
    bulk.lock_for_loading(db, [PointsEntry])
    with bulk.loading(db, PointsEntry):
        bulk.insert(db, PointsEntry, COLUMNS,
                    [(officer.id, "lesson_on_time", 5, "lesson", n, AT) for n in range(1, 50)])
    assert _schema(db) == before
    assert db.scalar(select(func.count()).select_from(PointsEntry)) == 49
    db.add(PointsEntry(user_id=officer.id, rule="lesson_on_time", points=5,
                       source_type="lesson", source_id=1, at=AT))
    with pytest.raises(IntegrityError):  # the unique constraint is back and decides
        db.flush()
    db.rollback()


def test_a_bulk_load_referencing_no_officer_fails(db, make):
    officer = make.user()
    db.flush()
    bulk.lock_for_loading(db, [PointsEntry])
    rows = [(officer.id, "lesson_on_time", 5, "lesson", 1, AT),
            (officer.id + 1000, "lesson_late", 2, "lesson", 1, AT)]
    # PostgreSQL: the check after the load; SQLite: its own per-row check, from the driver
    with pytest.raises((IntegrityError, sqlite3.IntegrityError)):
        with bulk.loading(db, PointsEntry):
            bulk.insert(db, PointsEntry, COLUMNS, rows)
    db.rollback()


def test_the_load_never_holds_one_table_while_waiting_for_another(db):
    """A reader holds the mistakes table and then reads the attempts: the demo waits for it
    without holding the attempts (the deadlock that took back the first attempt)."""
    engine = db.get_bind()
    if engine.dialect.name != "postgresql":
        pytest.skip("table locks are PostgreSQL's; SQLite has one lock for the database")
    locked = threading.Event()

    def load():
        with Session(bind=engine) as session:
            bulk.lock_for_loading(session, history.LOADED)
            locked.set()
            session.rollback()

    with engine.connect() as reader:
        reader.execute(text("SELECT count(*) FROM lms_mistake"))  # holds it to its end
        loader = threading.Thread(target=load)
        loader.start()
        time.sleep(0.5)
        assert not locked.is_set()  # the demo waits for the reader...
        reader.execute(text("SET LOCAL lock_timeout = '5s'"))
        assert reader.scalar(text("SELECT count(*) FROM lms_attempt")) == 0  # ...not it for us
        reader.rollback()
    loader.join(10)
    assert locked.is_set()


def test_rows_given_column_by_column_arrive_as_given(db, make):
    officers = [make.user(), make.user()]
    db.flush()
    at = [AT, AT + timedelta(days=400, seconds=7)]
    bulk.insert_columns(db, "lms_completion", historyrows.COMPLETION_KINDS, {
        "user_id": [o.id for o in officers], "item_type": bulk.Fixed("lesson"),
        "item_id": [11, 12], "status": bulk.Fixed("in_progress"),
        "first_completed_at": bulk.Fixed(None), "best_score": [40, 60],
        "attempts": bulk.Fixed(1), "time_spent_seconds": [0, 2**31 - 1],
        "last_activity_at": [bulk.stamp(t) for t in at], "first_score": [40, 60]})
    rows = db.execute(select(Completion.user_id, Completion.item_type, Completion.item_id,
                             Completion.status, Completion.first_completed_at,
                             Completion.time_spent_seconds, Completion.last_activity_at)
                      .order_by(Completion.item_id)).all()
    assert rows == [(officers[0].id, "lesson", 11, "in_progress", None, 0, at[0]),
                    (officers[1].id, "lesson", 12, "in_progress", None, 2**31 - 1, at[1])]


@pytest.mark.usefixtures("frozen_clock")
def test_a_province_of_bureaus_written_in_chunks_keeps_every_invariant(db, runner,
                                                                        monkeypatch):
    """The province build at test size: bureaus of 150 officers, the history decided and
    written 100 officers at a time."""
    monkeypatch.setattr(orgtree, "BUREAU_OFFICERS", 150)
    monkeypatch.setattr(history, "CHUNK", 100)
    assert runner.invoke(args=["lms", "sync-courses", str(COURSES_DIR)]).exit_code == 0
    result = runner.invoke(args=["lms", "demo", "--officers", "300", "--weeks", "8"])
    assert result.exit_code == 0, result.output
    root = db.scalar(select(Unit).where(Unit.parent_id.is_(None)))
    bureaus = db.scalars(select(Unit).where(Unit.parent_id == root.id)
                         .order_by(Unit.code)).all()
    assert root.kind == "province" and [b.kind for b in bureaus] == ["bureau", "bureau"]
    assert {b.code for b in bureaus} == {"SZ", "B02"}
    logins = dict(db.execute(select(User.police_no, Unit.code).join(Unit)
                             .where(User.police_no.in_(bureau.LOGIN_NOTES))).all())
    assert logins.pop("000001") == root.code  # the admin and top supervisor: the province
    assert all(not code.startswith("B02") for code in logins.values())  # the rest: 苏州
    assert "省厅督导" in result.output
    lessons = Completion.item_type == "lesson"
    completions = db.scalar(select(func.count()).where(lessons))
    assert completions > 300 * 5
    assert db.scalar(select(func.count(func.distinct(Completion.user_id))).where(lessons)) > 250
    assert db.scalar(select(func.count()).select_from(Attempt)) >= completions
    assert db.scalar(select(func.count()).select_from(Mistake)) > 0
    assert unitstats.drift(db) == {}


def test_a_province_has_a_bureau_per_30000_officers():
    import random
    root = orgtree.plan_tree(300_000, random.Random(1))
    units, codes = [], set()
    stack = [root]
    while stack:
        node = stack.pop()
        units.append(node)
        codes.add(node.code)
        stack += node.children
    assert root.kind == "province" and len(root.children) == 10
    assert {b.kind for b in root.children} == {"bureau"} and root.children[0].code == "SZ"
    assert 6000 <= len(units) == len(codes) <= 7000
    assert orgtree.plan_tree(30_000, random.Random(1)).kind == "bureau"
