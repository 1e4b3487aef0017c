"""Shared pieces of the API: bearer-token auth and request parsing."""
import json
from functools import wraps

from flask import g, request

from ..domain import text
from ..domain.org.accounts import user_for_token
from ..models import User
from ..security import INVALID_TEXT_API
from ..web import db_session


class ApiError(Exception):
    """A client error with the API's code and message."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def bearer_token() -> str | None:
    """The request's bearer token, if it sent one; tokens are never read from the URL."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def token_user() -> User | None:
    """The user of the request's bearer token."""
    token = bearer_token()
    return None if token is None else user_for_token(db_session(), token)


UNAUTHORIZED = "缺少或无效的访问令牌"


def token_required(view):
    """Require a valid bearer token; the user is in `g.api_user`."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        user = token_user()
        if user is None:
            raise ApiError(401, "unauthorized", UNAUTHORIZED)
        g.api_user = user
        return view(*args, **kwargs)
    return wrapper


# Deeper than any body of the API (an attempt is 3 levels: {"answers": {"12": ["A"]}}) with
# room to grow, and far below the interpreter's recursion limit (1,000), so nothing that
# walks a body later (validation, serialisation, audit) can hit it.
MAX_JSON_DEPTH = 32


def json_body() -> dict:
    """The request's JSON object — the API's one parser of request bodies — or a 400
    ApiError: not JSON, not UTF-8, malformed, nested deeper than MAX_JSON_DEPTH, holding
    NUL or a lone surrogate ("\\ud800" escapes decode to one), or not an object."""
    if not request.is_json:
        raise ApiError(400, "bad_request", "请求体必须是 JSON (Content-Type: application/json)")
    # A leading byte order mark is tolerated, as RFC 8259 allows (Windows tools write one).
    body = text.utf8_text(request.get_data(cache=True).removeprefix(b"\xef\xbb\xbf"))
    if body is None:
        raise ApiError(400, "invalid_text", INVALID_TEXT_API)
    try:
        data = json.loads(body, parse_constant=_no_constant)
    except RecursionError:
        raise ApiError(400, "bad_request", TOO_DEEP) from None
    except ValueError:  # also: an integer of more than 4,300 digits
        raise ApiError(400, "bad_request", "请求体不是合法的 JSON") from None
    _check_tree(data)
    if not isinstance(data, dict):
        raise ApiError(400, "bad_request", "请求体必须是 JSON 对象")
    return data


TOO_DEEP = f"JSON 嵌套超过 {MAX_JSON_DEPTH} 层"


def _no_constant(name: str):
    """NaN and Infinity are not JSON (RFC 8259); Python's parser accepts them by default."""
    raise ValueError(name)


def _check_tree(data) -> None:
    """Depth and text of a parsed body, walked without recursion."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if not text.is_valid_text(value):
                raise ApiError(400, "invalid_text", INVALID_TEXT_API)
        elif isinstance(value, (dict, list)):
            if depth > MAX_JSON_DEPTH:
                raise ApiError(400, "bad_request", TOO_DEEP)
            items = [*value.keys(), *value.values()] if isinstance(value, dict) else value
            stack.extend((item, depth + 1) for item in items)

