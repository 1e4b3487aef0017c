"""The forms' CSRF token: Flask-WTF's own, made without two costs it pays on every page.

Flask-WTF's `generate_csrf` builds a serializer per request and lets itsdangerous try zlib
on the payload, a quoted 40-digit hex string that compression never shortens (~50 µs for
nothing, the largest part of a page's token). The token here is the same: the same raw
value in the session, the same salt and signature, kept on `g` under the same name for the
rest of the request, so Flask-WTF checks it as its own.
"""
import hashlib
import os

from flask import current_app, g, session
from flask_wtf.csrf import generate_csrf
from itsdangerous import URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode
from itsdangerous.url_safe import URLSafeSerializerMixin

SALT = "wtf-csrf-token"  # Flask-WTF's


class _Serializer(URLSafeTimedSerializer):
    """itsdangerous' URL-safe timed serializer, never compressing (its loads reads both)."""

    def dump_payload(self, obj) -> bytes:
        return base64_encode(super(URLSafeSerializerMixin, self).dump_payload(obj))


def csrf_token() -> str:
    """The request's CSRF token, as `flask_wtf.csrf.generate_csrf()` gives it."""
    config = current_app.config
    field = config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    secret = config.get("WTF_CSRF_SECRET_KEY", current_app.secret_key)
    if not field or not secret:
        return generate_csrf()  # it says what is missing
    if field not in g:
        if field not in session:
            session[field] = hashlib.sha1(os.urandom(64)).hexdigest()
        try:
            setattr(g, field, _serializer(secret).dumps(session[field]))
        except TypeError:  # not a string: Flask-WTF replaces it
            return generate_csrf()
    return g.get(field)


def _serializer(secret) -> _Serializer:
    """Built once per secret key (a key rotation builds the next)."""
    extras = current_app.extensions["lms"].extras
    built = extras.get("csrf_serializer")
    if built is None or built[0] != secret:
        built = extras["csrf_serializer"] = (secret, _Serializer(secret, salt=SALT))
    return built[1]


def init_app(app) -> None:
    """Templates' `csrf_token()` is this one where it was Flask-WTF's (a host's own stays)."""
    if app.jinja_env.globals.get("csrf_token") is generate_csrf:
        app.jinja_env.globals["csrf_token"] = csrf_token
