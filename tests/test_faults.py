"""Database faults answer 503 — the LMS's own page, or JSON under the API — never a bare 500;
nothing half-written survives, and the next request succeeds by itself (issue 10, point 4).

The faults are real: PostgreSQL backends terminated with `pg_terminate_backend`, a write
lock held by another connection past SQLite's busy timeout (on PostgreSQL, a table lock past
`lock_timeout`). Each request runs in a thread of its own, so that, as under gunicorn, it
gets its own app context: its own session and signed-in user, loaded from the database and
removed at teardown (pytest-flask's shared context would hand the user over from the last
request, and the failing request would never have to load it).
"""
import contextlib
import logging
import sqlite3
from concurrent.futures import ThreadPoolExecutor

import pytest
from factories import Factory
from sqlalchemy import create_engine, event, func, select, text

from lms import create_app
from lms.domain.quiz import attempts
from lms.models import Attempt, Completion, PointsEntry
from lms.web import db_session

LEAKS = ("Traceback", "sqlalchemy", "OperationalError", "locked", "terminat", "lock timeout",
         "lms_user", "SELECT")
SECURITY_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy",
                    "X-Frame-Options")


@pytest.fixture
def client(app):
    """A test client of this module's own (pytest-flask's keeps its contexts open)."""
    return app.test_client()


def fresh(client, method: str, url: str, **kwargs):
    """One request in its own thread: its own app context, session and user, as in a worker."""
    def run():
        with client:  # the contexts the client keeps are popped in this thread, at the end
            return getattr(client, method)(url, **kwargs)

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


def engine(app):
    return app.extensions["lms"].db.engine


def dialect(app) -> str:
    return engine(app).dialect.name


def settle():
    """Let go of the test's own session, whose open transaction would hold SQLite's lock."""
    db_session().remove()


def sign_in(client, user):
    answer = fresh(client, "post", "/login",
                   data={"police_no": user.police_no, "password": Factory.PASSWORD})
    assert answer.status_code in (302, 303)


def api_token(client, user) -> dict:
    answer = fresh(client, "post", "/api/v1/auth/token",
                   json={"police_no": user.police_no, "password": Factory.PASSWORD})
    return {"Authorization": f"Bearer {answer.json['token']}"}


@contextlib.contextmanager
def admin_engine(app):
    """A connection pool of the test's own, to the app's schema, under another name."""
    options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
    options["connect_args"] = {**options["connect_args"], "application_name": "lms-fault-admin"}
    admin = create_engine(app.config["SQLALCHEMY_DATABASE_URI"], isolation_level="AUTOCOMMIT",
                          **options)
    try:
        yield admin
    finally:
        admin.dispose()


@contextlib.contextmanager
def short_waits(app, milliseconds: int = 200):
    """The app's connections give up on a lock after `milliseconds` (busy_timeout on SQLite,
    lock_timeout on PostgreSQL); new connections with the defaults again afterwards."""
    app_engine = engine(app)

    def on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        if app_engine.dialect.name == "sqlite":
            cursor.execute(f"PRAGMA busy_timeout={milliseconds}")
        else:
            cursor.execute(f"SET lock_timeout = '{milliseconds}ms'")
            dbapi_connection.commit()
        cursor.close()

    app_engine.dispose()
    event.listen(app_engine, "connect", on_connect)
    try:
        yield
    finally:
        event.remove(app_engine, "connect", on_connect)
        app_engine.dispose()


@contextlib.contextmanager
def locked(app):
    """Another connection holds what every request needs: SQLite's write lock (every LMS
    transaction begins IMMEDIATE), or on PostgreSQL an exclusive lock on the users table."""
    if dialect(app) == "sqlite":
        path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        return
    with admin_engine(app) as admin, admin.connect() as holder:
        holder.exec_driver_sql("BEGIN")
        holder.exec_driver_sql("LOCK TABLE lms_user IN ACCESS EXCLUSIVE MODE")
        try:
            yield
        finally:
            holder.exec_driver_sql("ROLLBACK")


def assert_unavailable_page(answer):
    assert answer.status_code == 503 and answer.mimetype == "text/html"
    assert "系统暂时繁忙，请稍后重试。" in answer.text and "返回首页" in answer.text
    assert answer.headers["Retry-After"].isdigit()
    assert answer.headers["X-Request-ID"]
    assert all(answer.headers.get(name) for name in SECURITY_HEADERS)
    assert not [leak for leak in LEAKS if leak in answer.text]


def assert_unavailable_json(answer):
    assert answer.status_code == 503 and answer.is_json
    assert answer.json["error"]["code"] == "unavailable"
    assert "稍后重试" in answer.json["error"]["message"]
    assert answer.headers["Retry-After"].isdigit() and answer.headers["X-Request-ID"]
    assert not [leak for leak in LEAKS if leak in answer.text]


# --- a lock held past the wait: SQLite's busy timeout, PostgreSQL's lock_timeout ---------

def test_a_locked_database_gives_a_signed_in_officer_the_503_page_then_recovers(
        app, client, make, caplog):
    officer = make.user(name="李明")
    settle()
    sign_in(client, officer)
    with short_waits(app), locked(app), caplog.at_level(logging.ERROR):
        answer = fresh(client, "get", "/")
    assert_unavailable_page(answer)
    assert "李明" not in answer.text  # the page could not know who is signed in
    logged = [r for r in caplog.records if r.getMessage().startswith("Database unavailable")]
    assert logged and logged[0].request_id == answer.headers["X-Request-ID"]
    again = fresh(client, "get", "/")  # the lock is gone: the same session still works
    assert again.status_code == 200 and "李明" in again.text


def test_a_locked_database_answers_the_api_in_json_then_recovers(app, client, make):
    officer = make.user()
    settle()
    headers = api_token(client, officer)
    with short_waits(app), locked(app):
        answer = fresh(client, "get", "/api/v1/me/lessons", headers=headers)
    assert_unavailable_json(answer)
    again = fresh(client, "get", "/api/v1/me/lessons", headers=headers)
    assert again.status_code == 200 and again.json == {"lessons": []}


def test_a_request_id_given_by_the_proxy_is_kept_on_the_503(app, client, make, caplog):
    officer = make.user()
    settle()
    sign_in(client, officer)
    with short_waits(app), locked(app), caplog.at_level(logging.ERROR):
        answer = fresh(client, "get", "/lessons", headers={"X-Request-ID": "edge-503.1"})
    assert answer.status_code == 503 and answer.headers["X-Request-ID"] == "edge-503.1"
    assert any(r.getMessage().startswith("Database unavailable")
               and r.request_id == "edge-503.1" for r in caplog.records)


# --- PostgreSQL: backends terminated ------------------------------------------------------

def _require_postgres(app):
    if dialect(app) != "postgresql":
        pytest.skip("pg_terminate_backend needs PostgreSQL (CI runs this suite on it)")


def terminate_app_connections(app) -> list[bool]:
    """Terminate every backend of the app's pool, waiting until each has exited."""
    name = app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]["application_name"]
    with admin_engine(app) as admin, admin.connect() as conn:
        return list(conn.execute(text(
            "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
            "WHERE application_name = :name"), {"name": name}).scalars())


def test_connections_killed_between_requests_are_replaced_by_the_next_request(
        app, client, make):
    _require_postgres(app)
    officer = make.user(name="王强")
    settle()
    sign_in(client, officer)
    headers = api_token(client, officer)
    assert fresh(client, "get", "/").status_code == 200
    killed = terminate_app_connections(app)
    assert killed and all(killed)
    page = fresh(client, "get", "/")
    assert page.status_code == 200 and "王强" in page.text
    assert terminate_app_connections(app)
    assert fresh(client, "get", "/api/v1/me/lessons", headers=headers).status_code == 200


def test_a_killed_connection_is_replaced_at_once_without_waiting_to_be_idle(
        app, client, make, monkeypatch):
    """Pre-ping on (the default) checks every checkout: not with a round trip, but by seeing
    the terminated backend's socket readable. With the idle ping pushed out of reach, only
    that check can replace the connections, and no request fails, the lesson read included
    (it runs outside the request's transaction, `web.read_connection`)."""
    _require_postgres(app)
    from lms import extension
    monkeypatch.setattr(extension, "IDLE_PING_SECONDS", 3600.0)
    officer = make.user(name="王强")
    lesson = make.lesson()
    settle()
    sign_in(client, officer)
    headers = api_token(client, officer)
    url = f"/api/v1/lessons/{lesson.id}"
    assert fresh(client, "get", url, headers=headers).status_code == 200
    for _ in range(2):
        killed = terminate_app_connections(app)
        assert killed and all(killed)
        read = fresh(client, "get", url, headers=headers)
        assert read.status_code == 200 and read.json["id"] == lesson.id
        assert fresh(client, "get", "/").status_code == 200


def test_idle_connections_killed_are_replaced_without_pre_ping_on_every_request(
        app, client, make, monkeypatch):
    """The production default (pool_pre_ping off, idle connections pinged at checkout): a
    connection killed while idle in the pool is replaced before the request uses it."""
    _require_postgres(app)
    from lms import extension
    options = {**app.config["SQLALCHEMY_ENGINE_OPTIONS"], "pool_pre_ping": False}
    own = create_app({**app.config, "SQLALCHEMY_ENGINE_OPTIONS": options})
    monkeypatch.setattr(extension, "IDLE_PING_SECONDS", 0.0)  # every returned one is idle
    officer = make.user(name="王强")
    settle()
    own_client = own.test_client()
    headers = api_token(own_client, officer)
    assert fresh(own_client, "get", "/api/v1/me/lessons", headers=headers).status_code == 200
    killed = terminate_app_connections(app)
    assert killed and all(killed)
    answer = fresh(own_client, "get", "/api/v1/me/lessons", headers=headers)
    assert answer.status_code == 200
    with own.app_context():
        own.extensions["lms"].db.engine.dispose()


def _counts(app, user_id: int, key: str) -> tuple[int, int, int]:
    with engine(app).connect() as conn:
        attempts = conn.scalar(select(func.count()).select_from(Attempt).where(
            Attempt.user_id == user_id, Attempt.idempotency_key == key,
            Attempt.status == "submitted"))
        completions = conn.scalar(select(func.count()).select_from(Completion).where(
            Completion.user_id == user_id))
        points = conn.scalar(select(func.coalesce(func.sum(PointsEntry.points), 0)).where(
            PointsEntry.user_id == user_id))
    return attempts, completions, points


def test_a_connection_killed_mid_submission_leaves_nothing_and_the_retry_records_once(
        app, client, make, monkeypatch):
    _require_postgres(app)
    officer = make.user()
    lesson = make.lesson()
    answers = make.answers(lesson.quiz)
    settle()
    headers = api_token(client, officer)
    url = f"/api/v1/lessons/{lesson.id}/attempts"
    body = {"answers": answers, "idempotency_key": "retry-after-fault-1"}
    # the last step after the writes (on PostgreSQL a passing attempt is inserted together
    # with its completion, inside `outcome.record`)
    shown, seen = attempts.answers_shown, []

    def killed_midway(db, *args, **kwargs):
        """The attempt and its outcome are written (in the request's transaction, not
        committed); then the backend dies."""
        seen.append(db.scalar(select(func.count()).select_from(Attempt).where(
            Attempt.idempotency_key == body["idempotency_key"])))
        pid = db.execute(text("SELECT pg_backend_pid()")).scalar()
        with admin_engine(app) as admin, admin.connect() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:pid, 5000)"),
                                {"pid": pid}).scalar()
        return shown(db, *args, **kwargs)

    monkeypatch.setattr(attempts, "answers_shown", killed_midway)
    answer = fresh(client, "post", url, json=body, headers=headers)
    assert seen == [1]  # the attempt had been written when the connection died
    assert_unavailable_json(answer)
    assert _counts(app, officer.id, body["idempotency_key"]) == (0, 0, 0)

    monkeypatch.setattr(attempts, "answers_shown", shown)
    retry = fresh(client, "post", url, json=body, headers=headers)
    assert retry.status_code == 201 and retry.json["passed"]
    assert retry.json["points_awarded"] > 0
    replay = fresh(client, "post", url, json=body, headers=headers)
    assert replay.status_code == 201
    assert replay.json["attempt_id"] == retry.json["attempt_id"]
    assert _counts(app, officer.id, body["idempotency_key"]) == (
        1, 1, retry.json["points_awarded"])


@pytest.mark.parametrize("url", ["sqlite:///{tmp}/defaults.sqlite3",
                                 "postgresql+psycopg://lms@127.0.0.1:5432/lms"])
def test_the_app_checks_a_pooled_connection_before_using_it_by_default(tmp_path, monkeypatch,
                                                                       url):
    """Pre-ping is what replaces the killed connections above; the tests' database config
    sets it too, so the default that production runs with is checked here (no connection
    is made). Turned off, only idle connections are pinged (the test above)."""
    monkeypatch.delenv("LMS_ENV", raising=False)
    configured = create_app({"TESTING": True, "SECRET_KEY": "k" * 48,
                             "SQLALCHEMY_DATABASE_URI": url.format(tmp=tmp_path)})
    assert configured.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True
    # and a logged database error never carries the statement's values
    assert configured.config["SQLALCHEMY_ENGINE_OPTIONS"]["hide_parameters"] is True


def test_every_checkout_can_be_pinged_again_for_a_network_that_drops_silently(app):
    """LMS_PING_EVERY_CHECKOUT hands the check back to SQLAlchemy's own pre-ping (a
    `SELECT 1` each checkout); by default the LMS's engine polls the socket instead."""
    _require_postgres(app)
    for every, expected in ((True, True), (False, False)):
        own = create_app({**app.config, "LMS_PING_EVERY_CHECKOUT": every})
        with own.app_context():
            engine = own.extensions["lms"].db.engine
            assert engine.pool._pre_ping is expected
            engine.dispose()
