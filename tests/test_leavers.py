"""Leavers (DESIGN §5 `deactivate`): the CLI, the roster's `active` column and the admin
page's button each end sign-in, every session and every API token at once, audited."""
import re
from datetime import datetime

import pytest
from factories import Factory
from flask import g
from sqlalchemy import select

from lms.models import AuditEvent, User

NOW = datetime(2026, 11, 10, 2, 0)


pytestmark = pytest.mark.usefixtures("frozen_clock")  # stopped at NOW


def bearer(client, user) -> dict:
    response = client.post("/api/v1/auth/token",
                           json={"police_no": user.police_no, "password": Factory.PASSWORD})
    assert response.status_code == 200
    return {"Authorization": f"Bearer {response.json['token']}"}


class Separate:
    """A second browser: pytest-flask keeps one app context (so one `g`) for the whole test,
    where Flask-Login caches the signed-in user and Flask-WTF the CSRF token; each request
    here starts and ends without them."""

    def __init__(self, app):
        self._client = app.test_client()

    def __getattr__(self, method):
        def call(*args, **kwargs):
            _forget()
            response = getattr(self._client, method)(*args, **kwargs)
            _forget()
            return response
        return call


def _forget():
    for cached in ("_login_user", "csrf_token"):
        g.pop(cached, None)


def signed_in_and_token(app, make):
    """An officer with a live browser session (its own client) and a live API token."""
    officer = make.user(make.unit())
    browser = Separate(app)
    browser.post("/login", data={"police_no": officer.police_no, "password": Factory.PASSWORD,
                                 "csrf_token": _csrf(browser.get("/login").text)})
    assert browser.get("/profile").status_code == 200  # the session works first
    api = Separate(app)
    headers = bearer(api, officer)
    assert api.get("/api/v1/me", headers=headers).status_code == 200
    return officer, browser, api, headers


def assert_locked_out(client, officer, browser, api, headers):
    assert browser.get("/profile").status_code in (302, 401)
    assert api.get("/api/v1/me", headers=headers).status_code == 401
    assert client.post("/api/v1/auth/token", json={
        "police_no": officer.police_no, "password": Factory.PASSWORD}).status_code == 401


def test_the_cli_deactivates_with_a_reason(app, db, make, client, runner):
    officer, browser, api, headers = signed_in_and_token(app, make)
    result = runner.invoke(args=["lms", "deactivate", officer.police_no, "--reason", "退休"])
    assert result.exit_code == 0, result.output
    assert "deactivated" in result.output
    assert_locked_out(client, officer, browser, api, headers)
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "user_deactivated"))
    assert event.target == officer.police_no and event.detail["reason"] == "退休"


def test_the_cli_refuses_unknown_numbers_and_changes_nothing(db, make, runner):
    officer = make.user(make.unit())
    result = runner.invoke(args=["lms", "deactivate", officer.police_no, "999999"])
    assert result.exit_code == 1
    assert "999999" in result.output
    db.expire_all()
    assert db.get(User, officer.id).active


def test_the_rosters_active_column_deactivates(app, db, make, client, runner, tmp_path):
    officer, browser, api, headers = signed_in_and_token(app, make)
    path = tmp_path / "roster.csv"
    path.write_text("police_no,name,unit_code,roles,party_member,active\n"
                    f"{officer.police_no},{officer.name},{officer.unit.code},officer,1,0\n",
                    encoding="utf-8")
    result = runner.invoke(args=["lms", "import-roster", str(path)])
    assert result.exit_code == 0, result.output
    assert_locked_out(client, officer, browser, api, headers)


def test_a_bad_active_cell_is_refused_with_its_line(make, runner, tmp_path):
    officer = make.user(make.unit())
    path = tmp_path / "roster.csv"
    path.write_text("police_no,name,unit_code,roles,party_member,active,joined_on\n"
                    f"{officer.police_no},{officer.name},{officer.unit.code},officer,1,yes,\n"
                    f"900001,新人,{officer.unit.code},officer,1,1,2026-02-30\n",
                    encoding="utf-8")
    result = runner.invoke(args=["lms", "import-roster", str(path), "--codes-out",
                                 str(tmp_path / "codes.csv")])
    assert result.exit_code == 1
    assert f"{path}:2: active must be 0 or 1 (found 'yes')" in result.output
    assert (f"{path}:3: joined_on must be a date YYYY-MM-DD from 1900 to 2999 "
            "(found '2026-02-30')") in result.output


def test_the_admin_button_deactivates_with_csrf_and_reason(app, db, make, client, login,
                                                           csrf_on):
    officer, browser, api, headers = signed_in_and_token(app, make)
    admin = make.user(make.unit(), roles=("admin",))
    login(admin.police_no, data={"police_no": admin.police_no, "password": Factory.PASSWORD,
                                 "csrf_token": _csrf(client.get("/login").text)})
    _forget()  # the sign-in renewed the session: no CSRF token cached from before it
    page = client.get(f"/admin/users?q={officer.police_no}")
    assert "停用账号" in page.text
    url = f"/admin/users/{officer.police_no}/deactivate"
    assert client.post(url, data={"reason": "调离"}).status_code == 400  # no CSRF token
    response = client.post(url, data={"reason": "调离", "csrf_token": _csrf(page.text)})
    assert response.status_code == 302
    assert_locked_out(client, officer, browser, api, headers)
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "user_deactivated"))
    assert (event.actor_id, event.detail["reason"]) == (admin.id, "调离")


def test_only_an_admin_may_press_the_button(make, client, login):
    officer = make.user(make.unit())
    supervisor = make.user(officer.unit, roles=("officer", "supervisor"))
    login(supervisor.police_no)
    assert client.post(f"/admin/users/{officer.police_no}/deactivate",
                       data={"reason": "x"}).status_code == 403


def _csrf(text: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', text).group(1)


def test_the_admin_button_wants_a_reason(db, make, client, login):
    officer = make.user(make.unit())
    admin = make.user(make.unit(), roles=("admin",))
    login(admin.police_no)
    response = client.post(f"/admin/users/{officer.police_no}/deactivate",
                           data={"reason": "  "}, follow_redirects=True)
    assert "请填写停用原因，账号未停用。" in response.text
    db.refresh(officer)
    assert officer.active
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "user_deactivated")) is None
