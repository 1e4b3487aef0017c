"""Fixtures: one app per test session on SQLite or on PostgreSQL (DATABASE_URL), emptied
between tests; factories for data; CSRF off except where a test turns it on."""
import os
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from clients import signed_in
from dbutil import isolated_database
from factories import Factory
from flask import has_app_context
from sqlalchemy import text

from lms import create_app, fragments
from lms.domain import clock
from lms.domain.learning import lessonview
from lms.domain.quiz import gradingkeys
from lms.models import Base
from lms.web import db_session

TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
    "WTF_CSRF_ENABLED": False,
    "RATELIMIT_STORAGE_URI": "memory://",
    "LMS_LOGIN_DELAY": 0.0,  # tests/test_signin_throttle.py watches the delays themselves
    # Cheap hashing: the real cost is ~100 ms per hash by design.
    "LMS_ARGON2": {"time_cost": 1, "memory_cost": 8, "parallelism": 1},
}


@pytest.fixture(scope="session")
def app():
    """The application on SQLite, or PostgreSQL when DATABASE_URL is set (CI runs both);
    its schema built by the migrations, as in production."""
    tmp = tempfile.mkdtemp(prefix="lms-test-")
    os.environ.pop("LMS_ENV", None)
    with isolated_database(tmp) as db_config:
        application = create_app({**TEST_CONFIG, **db_config})
        with application.app_context():
            from lms.migrate import upgrade
            upgrade()
        yield application
        with application.app_context():
            db_session().remove()
            application.extensions["lms"].db.engine.dispose()


TABLES_IN_DELETE_ORDER = [t.name for t in reversed(Base.metadata.sorted_tables)]


@pytest.fixture(autouse=True)
def _clean_state(request):
    """Every test starts with empty tables, fresh limits, empty per-worker caches and default
    config (ids repeat from one test's tables to the next)."""
    if "app" not in request.fixturenames:
        yield
        return
    application = request.getfixturevalue("app")
    saved = dict(application.config)
    yield
    application.config.clear()
    application.config.update(saved)
    if has_app_context():  # pytest-flask's context, which the client's requests reuse
        db_session().remove()
    with application.app_context():
        db_session().remove()
        engine = application.extensions["lms"].db.engine
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                conn.execute(text(f"TRUNCATE {', '.join(TABLES_IN_DELETE_ORDER)} "
                                  "RESTART IDENTITY CASCADE"))
            else:
                for table in TABLES_IN_DELETE_ORDER:
                    conn.execute(text(f"DELETE FROM {table}"))
        application.extensions["lms"].limiter.reset()
    lessonview.clear_cache()
    gradingkeys.clear_cache()
    with application.app_context():
        fragments.clear()


@pytest.fixture
def db(app):
    """The SQLAlchemy session inside an app context."""
    with app.app_context():
        yield db_session()


@pytest.fixture
def make(db):
    """Factories: make.unit(...), make.user(...), make.tree()..."""
    return Factory(db)


@pytest.fixture
def login(client):
    """Sign a user in through the real login form; returns the response."""
    def _login(police_no: str, password: str = Factory.PASSWORD, **kwargs):
        kwargs.setdefault("data", {"police_no": police_no, "password": password})
        return client.post("/login", **kwargs)
    return _login


class FrozenClock:
    """The server's clock, stopped at `now` until a test moves it."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, moment: datetime) -> datetime:
        """Stop the clock at `moment`."""
        self.now = moment
        return moment

    def advance(self, **delta) -> datetime:
        """Move the clock on by `timedelta(**delta)`."""
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def frozen_clock(request, monkeypatch):
    """`clock.utcnow` (and so the session limits) stopped at the test module's NOW, else at
    2026-11-18 02:00 UTC; `.set(moment)` and `.advance(minutes=5)` move it."""
    frozen = FrozenClock(getattr(request.module, "NOW", datetime(2026, 11, 18, 2, 0)))
    monkeypatch.setattr(clock, "utcnow", frozen)
    return frozen


@pytest.fixture
def browser_for(app):
    """A signed-in test client per user, sessions kept apart: browser_for(user).get(...)."""
    return lambda user: signed_in(app, user)


@pytest.fixture
def as_user(app):
    """`browser_for` under the studio tests' name."""
    return lambda user: signed_in(app, user)


@pytest.fixture
def csrf_on(app, monkeypatch):
    """Turn CSRF protection on for one test."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)


ARTIFACTS = Path(__file__).parent / "artifacts"


@pytest.fixture
def runner(app):
    """The `flask` command line, bound to the test app and its session."""
    yield app.test_cli_runner()
    # A refused command leaves its read transaction open (a process would exit); on SQLite
    # that would block the cleanup between tests.
    db_session().remove()
