"""The web layer's shared pieces: the per-app state, the request's database session, and
small request-parsing helpers. Imports no blueprint, so every view can import it."""
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import current_app, request
from flask.sessions import SecureCookieSessionInterface
from flask_sqlalchemy import SQLAlchemy
from werkzeug.routing import IntegerConverter

from .domain.claims.claims import Settings
from .domain.learning import hours
from .ratelimit import Throttles

# The databases' INTEGER: a larger id cannot exist, and passing it on makes SQLite raise
# OverflowError and PostgreSQL a DataError — a 500 for what is a client's typo.
MAX_ID = 2**31 - 1
MAX_PAGE = 100_000


class IdConverter(IntegerConverter):
    """`<lms_id:name>`: a positive integer that fits a database id, else the route 404s."""

    def __init__(self, url_map):
        super().__init__(url_map, min=1, max=MAX_ID)


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, minus work that changes nothing: the serializer is
    built once per set of keys (Flask builds one to open and again to save each session),
    a request without cookies is not parsed for one, and an empty session that nothing
    changed is not looked at for a cookie to set."""

    _serializer: tuple = (None, None)  # (keys, serializer)

    def get_signing_serializer(self, app):
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        built_for, serializer = self._serializer
        if built_for != keys:
            serializer = super().get_signing_serializer(app)
            self._serializer = (keys, serializer)
        return serializer

    def open_session(self, app, request):
        if app.secret_key and not request.environ.get("HTTP_COOKIE"):
            return self.session_class()  # what Flask opens when the cookie is missing
        return super().open_session(app, request)

    def save_session(self, app, session, response):
        if not session and not session.modified:  # no cookie to set nor to delete
            if session.accessed:
                response.vary.add("Cookie")
            return
        super().save_session(app, session, response)


def page_arg(name: str = "page") -> int:
    """The 1-based page number of a listing, clamped to a sane range."""
    return min(max(1, request.args.get(name, 1, type=int)), MAX_PAGE)


@dataclass
class LMSState:
    """Per-app state, kept in `app.extensions["lms"]` (the extension never stores the app)."""

    db: SQLAlchemy
    limiter: Throttles  # the counters of the sign-in and check-in throttles
    url_prefix: str
    notifier: Any = None
    extras: dict = field(default_factory=dict)


def newcomer_grace() -> timedelta:
    """LMS_NEWCOMER_GRACE_DAYS: how long a newcomer owes no lesson (docs/WHO-OWES.md)."""
    return timedelta(days=current_app.config["LMS_NEWCOMER_GRACE_DAYS"])


def state() -> LMSState:
    """The LMS state of the current app."""
    return current_app.extensions["lms"]


def db_session():
    """The SQLAlchemy session of the current app (the host's when mounted as a plugin)."""
    return current_app.extensions["lms"].db.session


@contextmanager
def unit_of_work() -> Iterator:
    """The request's session for one change: committed when the block ends, rolled back
    whole if anything in it raises (a refusal included), so no half-change survives."""
    db = db_session()
    try:
        yield db
    except BaseException:
        db.rollback()
        raise
    db.commit()


@contextmanager
def read_connection() -> Iterator:
    """A connection for one statement read outside the request's transaction. On
    PostgreSQL it is in autocommit: a single statement sees one snapshot, so BEGIN and
    COMMIT would only add two round trips. Elsewhere (SQLite: development and tests) it is
    the request's own session's connection, under that database's transaction rules."""
    engine = current_app.extensions["lms"].db.engine
    if engine.dialect.name != "postgresql":
        with session_connection() as conn:
            yield conn
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        yield conn


@contextmanager
def session_connection() -> Iterator:
    """The request's session's connection, inside its transaction: a `connect` for the
    lesson reads (`lessonview.read_for_*`) that must see what the request writes."""
    yield db_session().connection()


@contextmanager
def outside_transaction() -> Iterator:
    """The request's session for reads that need no transaction of their own (the session's
    user, at the start of a request). On PostgreSQL, when nothing has begun yet, its
    statements run on an autocommit connection, which the block gives back to the pool: one
    round trip each, no BEGIN and COMMIT around them; what the request does next begins a
    transaction of its own as ever. Elsewhere, or inside a transaction, it is the session as
    it stands."""
    session = db_session()()  # the request's Session behind the scoped proxy
    if session.in_transaction() or session.get_bind().dialect.name != "postgresql":
        yield session
        return
    session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    try:
        yield session
    except BaseException:
        session.rollback()
        raise
    session.commit()  # no round trip in autocommit: it only ends the session's use of it


def hours_rule():
    """LMS_HOURS and LMS_HOURS_TARGET as the study-hours rule (docs/POINTS-AND-HOURS.md)."""
    config = current_app.config
    return hours.rule_from(config["LMS_HOURS"], config["LMS_HOURS_TARGET"])


def claim_settings():
    """LMS_EVIDENCE_* and LMS_CLAIM_WINDOW_DAYS for points claims; images under instance/."""
    config = current_app.config
    folder = config["LMS_EVIDENCE_DIR"] or Path(current_app.instance_path) / "evidence"
    return Settings(Path(folder), int(config["LMS_EVIDENCE_MAX_BYTES"]),
                    int(config["LMS_EVIDENCE_MAX_PIXELS"]), int(config["LMS_CLAIM_WINDOW_DAYS"]))
