"""The security baseline: CSRF, redirects, login limits, sessions, headers, production guard."""
import re

import pytest
from factories import Factory
from flask import g
from sqlalchemy import select

from lms import create_app
from lms.models import AuditEvent, User


def csrf_token(page_text: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page_text).group(1)


def test_login_without_csrf_token_is_refused(csrf_on, make, client):
    officer = make.user()
    response = client.post("/login", data={"police_no": officer.police_no,
                                           "password": Factory.PASSWORD})
    assert response.status_code == 400
    assert "页面已过期或表单无效" in response.text
    assert client.get("/").status_code == 302  # still signed out


def test_login_with_csrf_token_works(csrf_on, make, client):
    officer = make.user()
    token = csrf_token(client.get("/login").text)
    response = client.post("/login", data={"police_no": officer.police_no,
                                           "password": Factory.PASSWORD, "csrf_token": token})
    assert response.status_code == 302


def test_sign_in_issues_a_new_csrf_secret_and_pages_resend_no_unchanged_cookie(
        csrf_on, make, client):
    officer, lesson = make.user(), make.lesson()
    token = csrf_token(client.get("/login").text)
    with client.session_transaction() as session:
        before = session["csrf_token"]
    client.post("/login", data={"police_no": officer.police_no,
                                "password": Factory.PASSWORD, "csrf_token": token})
    with client.session_transaction() as session:
        secret = session["csrf_token"]  # on the sign-in's own cookie
    assert secret != before
    g.pop("csrf_token", None)  # test requests share `g`; a real request starts without it
    for _ in range(2):
        page = client.get(f"/lessons/{lesson.id}")
        assert page.status_code == 200 and "Set-Cookie" not in page.headers
    answer = client.post("/logout", data={"csrf_token": csrf_token(page.text)})
    assert answer.status_code == 302  # the page's token is good for the new secret
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)",
    "http:/evil.example", " //evil.example",
])
def test_next_never_leaves_the_site(make, login, target):
    officer = make.user()
    response = login(officer.police_no, query_string={"next": target},
                     data={"police_no": officer.police_no, "password": Factory.PASSWORD,
                           "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_next_within_the_site_is_followed(make, login):
    officer = make.user()
    response = login(officer.police_no, data={"police_no": officer.police_no,
                                              "password": Factory.PASSWORD,
                                              "next": "/admin/users?q=1"})
    assert response.headers["Location"] == "/admin/users?q=1"


def test_same_message_for_unknown_number_and_wrong_password(make, login):
    officer = make.user()
    wrong = login(officer.police_no, "a wrong password here")
    unknown = login("no-such-number", "a wrong password here")
    assert wrong.status_code == unknown.status_code == 401
    assert "警号或密码错误" in wrong.text and "警号或密码错误" in unknown.text


def test_failed_logins_from_one_address_are_refused_there_but_colleagues_still_sign_in(
        make, login, db):
    target, colleague = make.user(), make.user()
    for _ in range(5):
        assert login(target.police_no, "guessing wrongly 1").status_code == 401
    assert login(target.police_no, "guessing wrongly 2").status_code == 429
    # From the guessing address the right password waits too (tests/test_signin_throttle.py
    # shows the officer signing in from their own address meanwhile).
    assert login(target.police_no).status_code == 429
    # Same client address, another account: unaffected.
    assert login(colleague.police_no).status_code == 302
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "login_blocked"))


def test_login_is_audited(make, login, db):
    officer = make.user()
    login(officer.police_no, "a wrong password here")
    login(officer.police_no)
    actions = db.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["login_failed", "login"]


def test_session_is_fresh_after_login(make, client, login):
    officer = make.user()
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    login(officer.police_no)
    with client.session_transaction() as session:
        assert "planted" not in session


def test_logout_voids_a_copied_session_cookie(make, client, login):
    officer = make.user()
    login(officer.police_no)
    cookie = client.get_cookie("lms_session").value
    assert client.post("/logout").status_code == 302
    client.set_cookie("lms_session", cookie)  # replay the old cookie
    assert client.get("/").status_code == 302


def signed_out(response) -> bool:
    return response.status_code == 302 and response.location.startswith("/login")


def test_idle_session_expires(make, client, login, frozen_clock):
    officer = make.user()
    login(officer.police_no)
    assert client.get("/").status_code == 200
    frozen_clock.advance(minutes=29)
    assert client.get("/").status_code == 200  # still within 30 minutes; it counts as activity
    frozen_clock.advance(minutes=29)
    assert client.get("/").status_code == 200
    frozen_clock.advance(minutes=31)
    assert signed_out(client.get("/"))
    frozen_clock.advance(minutes=-31)  # the session was ended, not merely judged stale
    assert signed_out(client.get("/"))


def test_absolute_session_limit(make, client, login, frozen_clock):
    officer = make.user()
    login(officer.police_no)
    assert client.get("/").status_code == 200
    for _ in range(28):  # busy all day, never idle: 11 h 40 min
        frozen_clock.advance(minutes=25)
        assert client.get("/").status_code == 200
    frozen_clock.advance(minutes=25)  # 12 h 05 min after signing in
    assert signed_out(client.get("/"))


def test_deactivated_user_is_signed_out(make, client, login, db):
    officer = make.user()
    login(officer.police_no)
    db.get(User, officer.id).active = False
    db.commit()
    assert client.get("/").status_code == 302


def test_session_cookie_flags(make, login):
    officer = make.user()
    response = login(officer.police_no)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"


def test_no_inline_script_or_style_in_pages(make, client, login):
    admin = make.user(roles=("officer", "admin"))
    login(admin.police_no)
    for url in ("/login", "/", "/admin/users", "/admin/units", "/admin/audit"):
        text = client.get(url).text
        assert "<script>" not in text and " style=" not in text, url


def test_oversized_request_is_refused(client):
    response = client.post("/login", data={"police_no": "x" * (3 * 1024 * 1024)})
    assert response.status_code == 413


def test_production_refuses_a_missing_or_weak_secret_key(monkeypatch, tmp_path):
    monkeypatch.setenv("LMS_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    url = f"sqlite:///{tmp_path}/p.sqlite3"
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": url})
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "changeme"})
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "k" * 40,
                      "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0"})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert not app.debug


def test_production_refuses_per_process_limits_unless_single_process(monkeypatch, tmp_path):
    monkeypatch.setenv("LMS_ENV", "production")
    base = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.sqlite3", "SECRET_KEY": "k" * 40}
    with pytest.raises(RuntimeError, match="RATELIMIT_STORAGE_URI"):
        create_app({**base, "RATELIMIT_STORAGE_URI": "memory://"})
    monkeypatch.setenv("LMS_SINGLE_PROCESS", "1")
    assert create_app({**base, "RATELIMIT_STORAGE_URI": "memory://"}).config[
        "LMS_SINGLE_PROCESS"] is True
