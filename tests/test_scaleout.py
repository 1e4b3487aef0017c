"""Scale-out: two gunicorn instances on loopback sharing PostgreSQL and Redis behave as one
app — a browser session and an API token from one work on the other, and the sign-in
limits are counted once across both. Runs where PostgreSQL and Redis are (CI)."""
import http.cookiejar
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest
import redis

pytestmark = pytest.mark.slow
PASSWORD = "scale-out-password-2026"

APP_MODULE = """
import json, os
from lms import create_app
app = create_app(json.loads(os.environ["SCALEOUT_CONFIG"]))
"""


def redis_up() -> bool:
    try:
        return redis.Redis(host="127.0.0.1", port=6379, socket_timeout=1).ping()
    except redis.RedisError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def two_instances(app, tmp_path_factory):
    """Two gunicorn servers of the test's database (its PostgreSQL schema) and one Redis."""
    with app.app_context():
        dialect = app.extensions["lms"].db.engine.dialect.name
    if dialect != "postgresql" or not redis_up():
        pytest.skip("needs PostgreSQL (DATABASE_URL) and Redis on 127.0.0.1:6379")
    tmp_path = tmp_path_factory.mktemp("scaleout")
    (tmp_path / "scaleout_app.py").write_text(APP_MODULE)
    config = {
        "SECRET_KEY": app.config["SECRET_KEY"],  # one secret, as in a real deployment
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "SQLALCHEMY_ENGINE_OPTIONS": app.config["SQLALCHEMY_ENGINE_OPTIONS"],
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
        "LMS_LOGIN_LIMIT": "3 per 15 minutes",
        "LMS_ARGON2": app.config["LMS_ARGON2"],
        "LMS_LOG_FORMAT": "text",
    }
    env = {**os.environ, "SCALEOUT_CONFIG": json.dumps(config)}
    env.pop("DATABASE_URL", None)
    servers, bases = [], []
    for _ in range(2):
        port = free_port()
        servers.append(subprocess.Popen(
            [os.path.join(os.path.dirname(sys.executable), "gunicorn"), "--chdir",
             str(tmp_path), "-w", "1", "-b", f"127.0.0.1:{port}", "--log-level", "warning",
             "scaleout_app:app"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT))
        bases.append(f"http://127.0.0.1:{port}")
    try:
        for base in bases:
            wait_until_serving(base)
        yield bases
    finally:
        for server in servers:
            server.terminate()
            server.wait(10)


def wait_until_serving(base: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"{base} did not start")


def call(opener, url, data=None, headers=None):
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with opener.open(request, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def officer(make, db):
    user = make.user(police_no=uuid.uuid4().hex[:8], password=PASSWORD)
    db.commit()
    return user


def test_a_browser_session_from_one_instance_works_on_the_other(two_instances, make, db):
    a, b = two_instances
    user = officer(make, db)
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    status, page = call(browser, a + "/login")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    form = {"police_no": user.police_no, "password": PASSWORD}
    if token:
        form["csrf_token"] = token.group(1)
    status, _ = call(browser, a + "/login", urllib.parse.urlencode(form).encode())
    assert status == 200
    status, page = call(browser, b + "/profile")
    assert status == 200 and user.name in page  # signed out, /profile would show /login


def test_an_api_token_from_one_instance_works_on_the_other(two_instances, make, db):
    a, b = two_instances
    user = officer(make, db)
    plain = urllib.request.build_opener()
    status, body = call(plain, a + "/api/v1/auth/token", json.dumps(
        {"police_no": user.police_no, "password": PASSWORD}).encode(),
        {"Content-Type": "application/json"})
    assert status == 200
    token = json.loads(body)["token"]
    status, body = call(plain, b + "/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert status == 200 and json.loads(body)["police_no"] == user.police_no


def test_sign_in_limits_are_counted_across_instances(two_instances, make, db):
    a, b = two_instances
    user = officer(make, db)
    plain = urllib.request.build_opener()

    def sign_in(base, password):
        return call(plain, base + "/api/v1/auth/token", json.dumps(
            {"police_no": user.police_no, "password": password}).encode(),
            {"Content-Type": "application/json"})[0]

    assert [sign_in(base, "wrong-password-0") for base in (a, b, a)] == [401, 401, 401]
    assert sign_in(b, "wrong-password-0") == 429  # the fourth failure, on the other instance
