"""The `LMS` Flask extension: mounts every blueprint, command and service on an app."""
import logging
import select
import time

from flask import Blueprint, Flask, current_app, request
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import event, make_url
from sqlalchemy.exc import DisconnectionError

from . import config as lms_config
from .models import Base
from .paths import MIGRATIONS_DIR
from .ratelimit import Throttles
from .web import IdConverter, LMSState

ALEMBIC_VERSION_TABLE = "lms_alembic_version"
log = logging.getLogger(__name__)


class LMS:
    """Zhuhun LMS as a Flask extension: `LMS().init_app(app, url_prefix="/training")`."""

    def __init__(self, app: Flask | None = None, **kwargs):
        if app is not None:
            self.init_app(app, **kwargs)

    def init_app(self, app: Flask, url_prefix: str = "/training") -> None:
        """Register blueprints, commands, services and hooks on `app`."""
        if "lms" in app.extensions:
            raise RuntimeError("LMS is already registered on this app")
        for key, value in lms_config.DEFAULTS.items():
            app.config.setdefault(key, value)
        lms_config.check_production(app.config)
        db = _init_database(app)
        limiter = _init_services(app)
        app.extensions["lms"] = LMSState(db=db, limiter=limiter, url_prefix=url_prefix or "")
        app.url_map.converters["lms_id"] = IdConverter  # before the rules that use it
        _register_blueprints(app, url_prefix or "")
        _register_hooks(app)
        _register_commands(app)
        _init_notifier(app)


def _init_database(app: Flask) -> SQLAlchemy:
    """Use the host's Flask-SQLAlchemy when it has one, else our own; tune only our own."""
    db = app.extensions.get("sqlalchemy")
    if db is None:
        db = _OwnDatabase(
            model_class=Base, session_options=app.config["SQLALCHEMY_SESSION_OPTIONS"])
        db.init_app(app)
        with app.app_context():
            if db.engine.dialect.name == "sqlite":
                _tune_sqlite(db.engine)
    else:
        with app.app_context():
            if db.engine.dialect.name == "sqlite":
                _check_host_sqlite(db.engine)
    if "migrate" not in app.extensions:
        # Our own version table: a host's migrations and ours never collide.
        Migrate(app, db, directory=str(MIGRATIONS_DIR), version_table=ALEMBIC_VERSION_TABLE,
                render_as_batch=True, compare_type=True)
    return db


class _OwnDatabase(SQLAlchemy):
    """Flask-SQLAlchemy for the LMS's own engine, whose PostgreSQL connections are checked at
    checkout by `_check_at_checkout` instead of SQLAlchemy's pre-ping."""

    def _make_engine(self, bind_key, options, app):
        if (make_url(options["url"]).get_backend_name() != "postgresql"
                or app.config.get("LMS_PING_EVERY_CHECKOUT")):
            return super()._make_engine(bind_key, options, app)
        every_checkout = bool(options.get("pool_pre_ping"))
        engine = super()._make_engine(bind_key, {**options, "pool_pre_ping": False}, app)
        _check_at_checkout(engine, every_checkout)
        return engine


# A pooled connection idle for longer than this is pinged at checkout (one round trip) and
# replaced if the database went away meanwhile.
IDLE_PING_SECONDS = 1.0


def _check_at_checkout(engine, every_checkout: bool) -> None:
    """Replace a dead pooled connection before a request uses it, without a round trip for
    a live one. `pool_pre_ping` (on by default, issue 10) asks for every checkout to be
    checked: a backend that was terminated (`pg_terminate_backend`, a restart, a crash)
    leaves its socket readable (the FATAL message, or end of file), which a zero-timeout
    poll sees; only then, or after the connection sat idle for IDLE_PING_SECONDS, is it
    pinged (`SELECT 1`) and replaced if that fails. A live connection under load costs a
    poll instead of a `SELECT 1` per request (docs/PERFORMANCE.md). With pre-ping off, only
    idle connections are pinged. Report transactions ask for custom plans themselves
    (`domain.reports.plans`), so the hot statements keep their prepared plans."""

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection, record):
        record.info["lms_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection, record, _proxy):
        since = record.info.pop("lms_idle_since", None)
        if since is None:  # a new connection: just made, nothing to check
            return
        idle = time.monotonic() - since >= IDLE_PING_SECONDS
        if not idle and not (every_checkout and _has_news(dbapi_connection)):
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # the pool retries with a fresh connection
            raise DisconnectionError(str(error)) from error


def _has_news(dbapi_connection) -> bool:
    """Whether an idle connection's socket has something to read (nothing is expected
    between statements: a readable socket is a dying backend) or is gone."""
    try:
        poller = select.poll()
        poller.register(dbapi_connection.fileno(), select.POLLIN)
        return bool(poller.poll(0))
    except Exception:  # a closed connection has no socket (psycopg raises its own error)
        return True


def _tune_sqlite(engine) -> None:
    """WAL, NORMAL sync, a busy timeout, and write transactions that begin immediately."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # Deferred transactions that later write fail with "database is locked" under
        # several workers; taking the write lock up front makes them wait instead.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _check_host_sqlite(engine) -> None:
    """The host's SQLite engine is the host's to tune: say once what the LMS misses in it."""
    with engine.connect() as connection:
        pragma = connection.exec_driver_sql
        foreign_keys = pragma("PRAGMA foreign_keys").scalar()
        journal_mode = str(pragma("PRAGMA journal_mode").scalar()).lower()
        busy_timeout = pragma("PRAGMA busy_timeout").scalar()
    missing = [] if foreign_keys else ["PRAGMA foreign_keys=ON (cascading deletes rely on it)"]
    if journal_mode != "memory" and (journal_mode != "wal" or not busy_timeout):
        missing.append("PRAGMA journal_mode=WAL, PRAGMA busy_timeout=10000 and write "
                       "transactions that BEGIN IMMEDIATE (else several workers writing "
                       "at once fail with \"database is locked\")")
    if missing:
        log.warning("The LMS shares the host's SQLite engine and leaves its settings alone; "
                    "the host should enable on every connection: %s. See README, "
                    "\"Mounting in a host app\".", "; ".join(missing))


def _init_services(app: Flask) -> Throttles:
    """Login, CSRF, translations and the throttles' counters — reusing the host's services."""
    from .auth.session import init_login

    if not hasattr(app, "login_manager"):
        login_manager = LoginManager()
        login_manager.init_app(app)
    init_login(app.login_manager)
    if "csrf" not in app.extensions:
        # The host protects no form itself: protect the LMS's forms (see _protect_forms),
        # and leave the host's own routes as the host had them.
        app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
        CSRFProtect(app)
    if "babel" not in app.extensions:
        from .i18n import init_babel
        init_babel(app)
    return Throttles(app.config["RATELIMIT_STORAGE_URI"])


def _register_blueprints(app: Flask, url_prefix: str) -> None:
    """One parent blueprint `lms` with the feature blueprints nested under it."""
    from . import errors
    from .blueprints import feature_blueprints

    parent = Blueprint("lms", __name__, template_folder="templates",
                       static_folder="static", static_url_path="/static")
    errors.init_app(app, parent)  # on the blueprint: the host's own routes keep its handlers
    parent.before_request(_protect_forms)
    for blueprint in feature_blueprints():
        parent.register_blueprint(blueprint)
    app.register_blueprint(parent, url_prefix=url_prefix)
    csrf = app.extensions.get("csrf")
    if csrf is not None:
        from .api import api_bp
        csrf.exempt(api_bp)  # token-authenticated; no cookies accepted there


def _protect_forms() -> None:
    """CSRF for the LMS's own forms, whether or not the host checks its routes by default
    (the API blueprint is exempt: token-authenticated, it accepts no cookies)."""
    config = current_app.config
    # `protect()` itself returns for a method it does not check (GET, HEAD, OPTIONS), but
    # only after resolving the view's and the blueprint's exemptions.
    if request.method in config["WTF_CSRF_METHODS"] and config.get("WTF_CSRF_ENABLED", True):
        current_app.extensions["csrf"].protect(apply_exemptions=True)


def _register_hooks(app: Flask) -> None:
    """Session limits and security headers for the LMS's own routes; template helpers."""
    from . import fragments, navigation, ops, security, templating

    security.init_app(app)
    ops.init_app(app)
    navigation.init_app(app)
    templating.init_app(app)
    fragments.init_app(app)


def _register_commands(app: Flask) -> None:
    """`flask lms ...`"""
    from .cli import lms_cli

    app.cli.add_command(lms_cli)


def _init_notifier(app: Flask) -> None:
    """The pluggable notifier named by LMS_NOTIFIER."""
    from .notify import load_notifier

    app.extensions["lms"].notifier = load_notifier(app.config["LMS_NOTIFIER"], app.config)
