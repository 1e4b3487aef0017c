"""Shared pieces of the API: bearer-token auth and request parsing."""
from functools import wraps

from flask import g, request

from ..domain.org.accounts import user_for_token
from ..models import User
from ..web import db_session


class ApiError(Exception):
    """A client error with the API's code and message."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def token_user() -> User | None:
    """The user of the request's bearer token; tokens are never read from the URL."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return user_for_token(db_session(), token.strip())


def token_required(view):
    """Require a valid bearer token; the user is in `g.api_user`."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        user = token_user()
        if user is None:
            raise ApiError(401, "unauthorized", "缺少或无效的访问令牌")
        g.api_user = user
        return view(*args, **kwargs)
    return wrapper


def json_body() -> dict:
    """The request's JSON object, or a 400 ApiError."""
    if not request.is_json:
        raise ApiError(400, "bad_request", "请求体必须是 JSON (Content-Type: application/json)")
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, "bad_request", "请求体必须是 JSON 对象")
    return data
