"""A small HTTP client for the benchmarks: API tokens, form sign-in with CSRF, JSON calls.

Cookies are carried by hand: the app sets `Secure` cookies in production, which a cookie jar
would refuse to send over plain http://127.0.0.1.
"""
import http.client
import json
import re
import secrets
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode, urlsplit

from _common import BENCH_PASSWORD, connect

COOKIE_NAME = "lms_session"


class Http:
    """One keep-alive connection to the bench server."""

    def __init__(self, base_url: str):
        parts = urlsplit(base_url)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict | None = None) -> tuple[int, dict, bytes]:
        self.conn.request(method, path, body=body, headers=headers or {})
        response = self.conn.getresponse()
        data = response.read()
        return response.status, response, data

    def json(self, method: str, path: str, payload=None, token: str | None = None):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        body = None if payload is None else json.dumps(payload).encode()
        status, _response, data = self.request(method, path, body, headers)
        return status, (json.loads(data) if data else None)

    def close(self) -> None:
        self.conn.close()


def issue_tokens(numbers: list[str], dbname: str) -> list[str]:
    """Bearer tokens for the bench accounts (12 h), written into the bench database as
    `POST /api/v1/auth/token` writes them once the password is checked (the domain's
    `accounts.hash_token`). Through the API a thousand accounts meet the sign-in throttle:
    100 sign-ins per address in 15 minutes, then 2 s each (15 min for 1,024 in one run)."""
    from lms.domain.org.accounts import hash_token

    tokens = [secrets.token_urlsafe(32) for _ in numbers]
    now = datetime.now(UTC).replace(tzinfo=None)
    with connect(dbname) as conn:
        ids = dict(conn.execute("SELECT police_no, id FROM lms_user WHERE police_no = ANY(%s)",
                                (numbers,)).fetchall())
        with conn.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO lms_api_token (user_id, token_hash, created_at, expires_at) "
                "VALUES (%s, %s, %s, %s)",
                [(ids[number], hash_token(token), now, now + timedelta(hours=12))
                 for number, token in zip(numbers, tokens, strict=True)])
    return tokens


def _cookie(response) -> str | None:
    for header in response.headers.get_all("Set-Cookie") or ():
        name, _, rest = header.partition("=")
        if name.strip() == COOKIE_NAME:
            return f"{COOKIE_NAME}={rest.split(';', 1)[0]}"
    return None


def sign_in(base_url: str, police_no: str) -> str:
    """Sign in through the HTML form (CSRF token from the page); returns the Cookie header."""
    client = Http(base_url)
    try:
        status, response, page = client.request("GET", "/login")
        match = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page) or \
            re.search(rb'value="([^"]+)"[^>]*name="csrf_token"', page)
        cookie = _cookie(response)
        if status != 200 or not match or not cookie:
            raise RuntimeError(f"login page: HTTP {status}, csrf {bool(match)}, cookie {cookie}")
        form = urlencode({"csrf_token": match.group(1).decode(), "police_no": police_no,
                          "password": BENCH_PASSWORD, "next": ""}).encode()
        status, response, _ = client.request(
            "POST", "/login", form, {"Content-Type": "application/x-www-form-urlencoded",
                                     "Cookie": cookie})
        signed_in = _cookie(response)
        if status not in (302, 303) or not signed_in:
            raise RuntimeError(f"sign-in of {police_no}: HTTP {status}")
        return signed_in
    finally:
        client.close()


def in_parallel(function, base_url: str, numbers: list[str], workers: int = 4) -> list[str]:
    """`function(base_url, police_no)` for every number, a few at a time, in order."""
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(lambda number: function(base_url, number), numbers))


def _cache_path(kind: str, dbname: str):
    import tempfile
    from pathlib import Path
    return Path(tempfile.gettempdir()) / f"lms-bench-{kind}-{dbname}.json"


def credentials(kind: str, base_url: str, numbers: list[str],
                dbname: str) -> tuple[list[str], float | None]:
    """Bearer tokens (`kind` "token", `issue_tokens`) or session cookies ("cookie", signed
    in through the real form, a few at a time) for the bench users.

    Reused from a cache in the temp folder while they still work (tokens live 12 h; cookies
    are signed with the server's SECRET_KEY, which serve.py makes fresh, so they rarely
    survive). Returns them and the seconds spent making them (None when all came from the
    cache).
    """
    import time
    path = _cache_path(kind, dbname)
    cached = json.loads(path.read_text()) if path.exists() else {}
    values = [cached.get(number) for number in numbers]
    if all(values) and _still_valid(kind, base_url, values[0]):
        return values, None
    start = time.perf_counter()
    values = (issue_tokens(numbers, dbname) if kind == "token"
              else in_parallel(sign_in, base_url, numbers))
    seconds = time.perf_counter() - start
    path.write_text(json.dumps(dict(zip(numbers, values))))
    path.chmod(0o600)
    return values, seconds


def _still_valid(kind: str, base_url: str, value: str) -> bool:
    client = Http(base_url)
    try:
        if kind == "token":
            status, _ = client.json("GET", "/api/v1/me/profile", token=value)
            return status == 200
        status, _response, _body = client.request("GET", "/profile", headers={"Cookie": value})
        return status == 200
    finally:
        client.close()
