"""The `LMS` Flask extension: mounts every blueprint, command and service on an app."""
from flask import Blueprint, Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import event

from . import config as lms_config
from .models import Base
from .paths import MIGRATIONS_DIR
from .web import IdConverter, LMSState

ALEMBIC_VERSION_TABLE = "lms_alembic_version"


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
    """Use the host's Flask-SQLAlchemy when it has one, else our own; tune SQLite."""
    db = app.extensions.get("sqlalchemy")
    if db is None:
        _engine_options(app.config)
        db = SQLAlchemy(
            model_class=Base, session_options=app.config["SQLALCHEMY_SESSION_OPTIONS"])
        db.init_app(app)
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            _tune_sqlite(engine)
    if "migrate" not in app.extensions:
        # Our own version table: a host's migrations and ours never collide.
        Migrate(app, db, directory=str(MIGRATIONS_DIR), version_table=ALEMBIC_VERSION_TABLE,
                render_as_batch=True, compare_type=True)
    return db


# psycopg prepares a statement after 5 runs and keeps it across committed transactions;
# PostgreSQL then switched big report aggregates to a ~10x slower generic plan after 5 more
# (docs/PERFORMANCE.md). Custom plans every time avoid that.
PG_CONNECT_OPTIONS = "-c plan_cache_mode=force_custom_plan"


def _engine_options(config) -> None:
    """On PostgreSQL, ask for custom plans unless the host set its own connect_args."""
    url = str(config.get("SQLALCHEMY_DATABASE_URI") or "")
    if not url.startswith(("postgresql", "postgres:")):
        return
    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})  # never mutate DEFAULTS
    if "connect_args" not in options:
        options["connect_args"] = {"options": PG_CONNECT_OPTIONS}
        config["SQLALCHEMY_ENGINE_OPTIONS"] = options


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


def _init_services(app: Flask) -> Limiter:
    """Login, CSRF, translations and rate limiting — reusing the host's where it has them."""
    from .auth.session import init_login

    if not hasattr(app, "login_manager"):
        login_manager = LoginManager()
        login_manager.init_app(app)
    init_login(app.login_manager)
    if "csrf" not in app.extensions:
        CSRFProtect(app)
    if "babel" not in app.extensions:
        from .i18n import init_babel
        init_babel(app)
    limiter = Limiter(get_remote_address, app=app,
                      storage_uri=app.config["RATELIMIT_STORAGE_URI"],
                      key_prefix="lms")
    _drop_idle_limiter_hooks(app, limiter)
    return limiter


def _drop_idle_limiter_hooks(app: Flask, limiter: Limiter) -> None:
    """The LMS only calls `limiter.limiter.test/hit` itself (sign-in and check-in throttles)
    and declares no route limits, so Flask-Limiter's per-request check, header and teardown
    hooks find nothing to do on every request (~0.2 ms each). Remove them unless the
    configuration asks for default, application or meta limits."""
    config = app.config
    if any(config.get(key) for key in ("RATELIMIT_DEFAULT", "RATELIMIT_APPLICATION",
                                       "RATELIMIT_META")):
        return
    ours = {limiter._check_request_limit, limiter._Limiter__release_context}

    def is_ours(hook) -> bool:
        return hook in ours or getattr(hook, "args", None) == (limiter,)

    for hooks in (app.before_request_funcs, app.after_request_funcs,
                  app.teardown_request_funcs):
        if None in hooks:
            hooks[None] = [hook for hook in hooks[None] if not is_ours(hook)]


def _register_blueprints(app: Flask, url_prefix: str) -> None:
    """One parent blueprint `lms` with the feature blueprints nested under it."""
    from .blueprints import feature_blueprints

    parent = Blueprint("lms", __name__, template_folder="templates",
                       static_folder="static", static_url_path="/static")
    for blueprint in feature_blueprints():
        parent.register_blueprint(blueprint)
    app.register_blueprint(parent, url_prefix=url_prefix)
    csrf = app.extensions.get("csrf")
    if csrf is not None:
        from .api import api_bp
        csrf.exempt(api_bp)  # token-authenticated; no cookies accepted there


def _register_hooks(app: Flask) -> None:
    """Session limits, security headers and error pages for the LMS's own routes."""
    from . import errors, navigation, security, templating

    security.init_app(app)
    errors.init_app(app)
    navigation.init_app(app)
    templating.init_app(app)


def _register_commands(app: Flask) -> None:
    """`flask lms ...`"""
    from .cli import lms_cli

    app.cli.add_command(lms_cli)


def _init_notifier(app: Flask) -> None:
    """The pluggable notifier named by LMS_NOTIFIER."""
    from .notify import load_notifier

    app.extensions["lms"].notifier = load_notifier(app.config["LMS_NOTIFIER"], app.config)
