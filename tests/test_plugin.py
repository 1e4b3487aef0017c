"""The LMS mounted into an existing Flask app that has its own Flask-SQLAlchemy, error
pages and engine settings: it serves under its prefix and leaves all of those alone."""
import logging

import pytest
from dbutil import isolated_database
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import String, event, inspect
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from lms import LMS
from lms.domain.org.passwords import Passwords
from lms.domain.org.policy import PermissionDenied
from lms.migrate import upgrade
from lms.models import Unit, User
from lms.web import db_session


class HostBase(DeclarativeBase):
    pass


class HostThing(HostBase):
    """A table of the host application's own."""

    __tablename__ = "host_thing"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20))


def make_host(tmp_path, db_config) -> tuple[Flask, SQLAlchemy]:
    host = Flask("intranet", instance_path=str(tmp_path))
    host.config.update(db_config)
    host.config.update(SECRET_KEY="host-secret-key-0123456789abcdef-long",
                       WTF_CSRF_ENABLED=False,
                       LMS_ARGON2={"time_cost": 1, "memory_cost": 8, "parallelism": 1})
    host_db = SQLAlchemy(model_class=HostBase)
    host_db.init_app(host)

    @host.get("/")
    def host_home():
        return "intranet home"

    @host.get("/crash")
    def host_crash():
        raise RuntimeError("the host's own bug")

    @host.post("/feedback")
    def host_feedback():
        return "thanks"  # the host protects none of its forms with CSRF tokens

    @host.errorhandler(500)
    def host_server_error(_error):
        return "intranet 500 page", 500

    @host.errorhandler(404)
    def host_not_found(_error):
        return "intranet 404 page", 404

    return host, host_db


@pytest.fixture
def host(tmp_path):
    with isolated_database(str(tmp_path), "host") as db_config:
        app, host_db = make_host(tmp_path, db_config)
        LMS().init_app(app, url_prefix="/training")
        with app.app_context():
            HostBase.metadata.create_all(host_db.engine)
            upgrade()
        yield app, host_db
        with app.app_context():
            host_db.session.remove()
            host_db.engine.dispose()


def test_plugin_uses_the_hosts_database_and_serves_under_its_prefix(host):
    app, host_db = host
    assert app.extensions["lms"].db is host_db
    with app.app_context():
        tables = set(inspect(host_db.engine).get_table_names())
        assert {"host_thing", "lms_user", "lms_alembic_version"} <= tables
        assert "alembic_version" not in tables  # the host's own version table stays free
        db = db_session()
        unit = Unit(code="SZ", name="市公安局", kind="bureau", path="", depth=0)
        db.add(unit)
        db.flush()
        unit.path = f"/{unit.id}/"
        db.add(User(police_no="700001", name="周杰", unit_id=unit.id,
                    password_hash=Passwords(1, 8, 1).hash("a long enough password")))
        db.commit()
    client = app.test_client()
    assert client.get("/").text == "intranet home"
    assert client.get("/training/login").status_code == 200
    response = client.post("/training/login", data={"police_no": "700001",
                                                    "password": "a long enough password"})
    assert response.status_code == 302 and response.headers["Location"] == "/training/"
    home = client.get("/training/")
    assert "周杰，您好" in home.text
    assert "/training/static/lms/app.css" in home.text
    # The API is mounted under the prefix too, with JSON errors there only.
    assert client.get("/training/api/v1/me").json["error"]["code"] == "unauthorized"


def test_registering_twice_is_refused(tmp_path):
    app, _ = make_host(tmp_path, {"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    LMS().init_app(app)
    with pytest.raises(RuntimeError, match="already registered"):
        LMS().init_app(app)


# --- error pages: the host's for the host's routes, the LMS's under its prefix ---------------

def crash():
    raise RuntimeError("an LMS bug")


def refuse():
    raise PermissionDenied()


def test_the_hosts_error_pages_still_answer_for_the_hosts_routes(host):
    app, _ = host
    client = app.test_client()
    crashed = client.get("/crash")
    assert (crashed.status_code, crashed.text) == (500, "intranet 500 page")
    missing = client.get("/no-such-page")
    assert (missing.status_code, missing.text) == (404, "intranet 404 page")


@pytest.mark.parametrize("method, url, status, message", [
    ("get", "/training/no-such-page", 404, "页面不存在"),  # matches no route at all
    ("get", "/training/static/lms/no-such.css", 404, "页面不存在"),  # an LMS view's own 404
    ("delete", "/training/login", 405, "不支持这种操作"),
])
def test_lms_urls_get_the_lms_error_pages_though_the_host_has_its_own(
        host, method, url, status, message):
    app, _ = host
    response = getattr(app.test_client(), method)(url)
    assert response.status_code == status
    assert message in response.text and "intranet" not in response.text
    if status == 405:
        assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}


@pytest.mark.parametrize("view, status, message", [
    (crash, 500, "系统出错了"), (refuse, 403, "您没有权限访问这个页面")])
def test_an_lms_failure_gets_the_lms_page_not_the_hosts(host, monkeypatch, view, status,
                                                         message):
    app, _ = host
    monkeypatch.setitem(app.view_functions, "lms.auth.login", view)
    response = app.test_client().get("/training/login")
    assert response.status_code == status
    assert message in response.text and "intranet" not in response.text


def database_down():
    raise OperationalError("SELECT 1", {}, ConnectionError("server closed the connection"))


def test_a_database_fault_gets_the_lms_503_under_the_prefix_and_the_hosts_500_elsewhere(
        host, monkeypatch):
    app, _ = host
    app.add_url_rule("/host-report", "host_report", database_down)
    monkeypatch.setitem(app.view_functions, "lms.auth.login", database_down)
    monkeypatch.setitem(app.view_functions, "lms.api.openapi_document", database_down)
    client = app.test_client()
    page = client.get("/training/login")
    assert page.status_code == 503 and page.headers["Retry-After"]
    assert "系统暂时繁忙" in page.text and "intranet" not in page.text
    api = client.get("/training/api/v1/openapi.json")
    assert api.status_code == 503 and api.json["error"]["code"] == "unavailable"
    hosts = client.get("/host-report")
    assert (hosts.status_code, hosts.text) == (500, "intranet 500 page")


def test_a_refused_csrf_token_gets_the_lms_page(host, monkeypatch):
    app, _ = host
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    response = app.test_client().post("/training/login", data={"police_no": "1"})
    assert response.status_code == 400 and "页面已过期" in response.text


def test_csrf_guards_the_lms_forms_but_not_the_hosts_own(host, monkeypatch):
    app, _ = host
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    client = app.test_client()
    assert client.post("/feedback").text == "thanks"
    assert client.post("/training/login", data={"police_no": "1"}).status_code == 400


@pytest.mark.parametrize("method, url, status, code", [
    ("get", "/training/api/v1/no-such-thing", 404, "not_found"),
    ("get", "/training/api/nowhere", 404, "not_found"),
    ("delete", "/training/api/v1/me", 405, "method_not_allowed"),
    ("get", "/training/api/v1/openapi.json", 500, "internal_server_error"),
])
def test_the_api_answers_json_errors_under_the_prefix(host, monkeypatch, method, url, status,
                                                      code):
    app, _ = host
    monkeypatch.setitem(app.view_functions, "lms.api.openapi_document", crash)
    response = getattr(app.test_client(), method)(url)
    assert response.status_code == status
    assert response.json["error"]["code"] == code


# --- the host's SQLite engine is the host's ------------------------------------------------------

def sqlite_host(tmp_path) -> tuple[Flask, SQLAlchemy]:
    """A host on its own SQLite file, on either test database (the tuning is SQLite's)."""
    return make_host(tmp_path, {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/host.db"})


def engine_settings(engine) -> dict:
    """What a fresh connection of the engine runs with, and the statements a write begins with."""
    statements = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE IF NOT EXISTS probe (id INTEGER)")
            pragma = connection.exec_driver_sql
            settings = {
                "foreign_keys": pragma("PRAGMA foreign_keys").scalar(),
                "journal_mode": pragma("PRAGMA journal_mode").scalar(),
                "busy_timeout": pragma("PRAGMA busy_timeout").scalar(),
                "isolation_level": connection.connection.dbapi_connection.isolation_level,
            }
    finally:
        event.remove(engine, "before_cursor_execute", record)
    engine.dispose()  # the next call sees a new connection, as a new worker would
    return {**settings, "statements": statements[:1]}


def test_the_hosts_sqlite_engine_is_left_as_the_host_set_it(tmp_path, caplog):
    app, host_db = sqlite_host(tmp_path)
    with app.app_context():
        before = engine_settings(host_db.engine)
    with caplog.at_level(logging.WARNING, logger="lms.extension"):
        LMS().init_app(app)
    with app.app_context():
        assert engine_settings(host_db.engine) == before
    assert before["foreign_keys"] == 0 and before["statements"] == ["CREATE TABLE IF NOT "
                                                                    "EXISTS probe (id INTEGER)"]
    # ...and the host is told, once, what the LMS needs from it.
    warnings = [r.getMessage() for r in caplog.records if r.name == "lms.extension"]
    assert len(warnings) == 1
    assert "foreign_keys=ON" in warnings[0] and "journal_mode=WAL" in warnings[0]
    assert "BEGIN IMMEDIATE" in warnings[0]


def test_a_host_engine_tuned_as_the_readme_says_gets_no_warning(tmp_path, caplog):
    app, host_db = sqlite_host(tmp_path)
    with app.app_context():
        @event.listens_for(host_db.engine, "connect")
        def _pragmas(dbapi_connection, _record):
            for pragma in ("journal_mode=WAL", "busy_timeout=10000", "foreign_keys=ON"):
                dbapi_connection.execute(f"PRAGMA {pragma}")
    with caplog.at_level(logging.WARNING, logger="lms.extension"):
        LMS().init_app(app)
    assert not [r for r in caplog.records if r.name == "lms.extension"]
