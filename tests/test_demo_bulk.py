"""The demo's bulk load (`demo.bulk`): on PostgreSQL indexes, unique constraints and foreign
keys are upkept once after the load instead of per row; every one still holds afterwards."""
import sqlite3
import threading
import time
from datetime import datetime

import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lms.domain.demo import bulk, history
from lms.models import PointsEntry

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
