"""POST /api/v1/auth/token."""
from flask import current_app, request

from ..auth.service import sign_in
from ..domain.org.accounts import issue_token
from ..web import unit_of_work
from .blueprint import api_bp
from .common import ApiError, json_body


@api_bp.post("/auth/token")
def create_token():
    """Exchange a police number and password for a bearer token."""
    data = json_body()
    police_no, password = data.get("police_no"), data.get("password")
    if not isinstance(police_no, str) or not isinstance(password, str):
        raise ApiError(400, "bad_request", "需要字符串字段 police_no 和 password")
    result = sign_in(police_no, password, request.remote_addr or "", channel="api")
    if result.blocked:
        raise ApiError(429, "too_many_requests", "尝试次数过多，请稍后再试")
    if result.user is None or result.needs_activation:
        # One message whether the number exists or not; activation happens in the browser.
        raise ApiError(401, "invalid_credentials", "警号或密码错误")
    with unit_of_work() as db:
        token, expires = issue_token(db, result.user, current_app.config["LMS_TOKEN_TTL"])
    return {"token": token, "expires_at": expires.isoformat() + "Z"}
