"""Zhuhun LMS (铸魂学堂): political training for a police bureau, as a Flask app or plugin."""
import os

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import config as lms_config
from . import errors
from .extension import LMS
from .ops import logs
from .web import SessionInterface

__all__ = ["LMS", "create_app"]


def create_app(config: dict | None = None) -> Flask:
    """The standalone app: a bare Flask app with the LMS mounted at the root."""
    app = Flask(__name__, instance_relative_config=True, static_folder=None)
    app.session_interface = SessionInterface()  # a host app keeps its own
    configure(app, config)
    if not app.testing:  # pytest's log capture stays in charge under test
        log_format = app.config["LMS_LOG_FORMAT"] or (
            "json" if app.config["LMS_ENV"] == "production" else "text")
        logs.configure(log_format, app.config["LMS_LOG_LEVEL"])
    LMS().init_app(app, url_prefix="")
    errors.init_standalone(app)  # the app is the LMS: unmatched URLs get its pages too
    trust_proxies(app, app.config["LMS_TRUSTED_PROXIES"])
    return app


def trust_proxies(app: Flask, hops: int) -> None:
    """Behind `hops` reverse proxies, take the client's address, scheme and host from their
    X-Forwarded-* headers (Werkzeug's ProxyFix); with 0, trust no forwarded header at all,
    since a client could write them itself. A host app that mounts the LMS does this itself."""
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops,
                                x_port=hops, x_prefix=hops)


def configure(app: Flask, overrides: dict | None) -> None:
    """Defaults → instance/config.py → environment → the mapping passed in (tests)."""
    app.config.from_mapping(lms_config.DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    app.config.update(lms_config.environment_overrides())
    app.config.update(overrides or {})
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{app.instance_path}/lms.sqlite3"
    if app.config["LMS_ENV"] == "production":
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True
    elif not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = lms_config.instance_secret_key(app.instance_path)
