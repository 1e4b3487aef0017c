"""The token endpoint, bearer auth and JSON errors (DESIGN §5)."""
from factories import Factory


def get_token(client, user, password=Factory.PASSWORD):
    response = client.post("/api/v1/auth/token",
                           json={"police_no": user.police_no, "password": password})
    assert response.status_code == 200, response.json
    return response.json["token"]


def test_token_then_me(make, client):
    officer = make.user(name="陈静")
    token = get_token(client, officer)
    assert len(token) >= 43  # 256 random bits, url-safe base64
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json["police_no"] == officer.police_no and me.json["name"] == "陈静"
    assert me.json["unit"]["code"] == officer.unit.code
    assert me.json["roles"] == ["officer"] and me.json["points"] == 0


def test_bad_credentials_get_one_message(make, client):
    officer = make.user()
    wrong = client.post("/api/v1/auth/token", json={"police_no": officer.police_no,
                                                    "password": "wrong password!!"})
    unknown = client.post("/api/v1/auth/token", json={"police_no": "nobody",
                                                      "password": "wrong password!!"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json == unknown.json
    assert wrong.json["error"]["code"] == "invalid_credentials"


def test_token_is_not_accepted_in_the_url(make, client):
    token = get_token(client, make.user())
    assert client.get(f"/api/v1/me?access_token={token}").status_code == 401
    assert client.get(f"/api/v1/me?token={token}").status_code == 401


def test_token_is_revoked_by_a_password_change(make, client, runner):
    officer = make.user()
    token = get_token(client, officer)
    result = runner.invoke(args=["lms", "set-password", officer.police_no,
                                 "--password", "a brand new passphrase"])
    assert result.exit_code == 0, result.output
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}
                      ).status_code == 401


def test_expired_token_is_refused(app, make, client, monkeypatch):
    from datetime import timedelta
    monkeypatch.setitem(app.config, "LMS_TOKEN_TTL", timedelta(seconds=-1))
    token = get_token(client, make.user())
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}
                      ).status_code == 401


def test_json_errors_everywhere(client):
    for response, status in [
        (client.get("/api/v1/nowhere"), 404),
        (client.delete("/api/v1/me"), 405),
        (client.get("/api/v1/me"), 401),
        (client.post("/api/v1/auth/token", data="not json", content_type="application/json"), 400),
        (client.post("/api/v1/auth/token", json=["a", "list"]), 400),
        (client.post("/api/v1/auth/token", json={"police_no": 1, "password": 2}), 400),
        (client.post("/api/v1/auth/token", data=b"x" * (3 * 1024 * 1024),
                     content_type="application/json"), 413),
    ]:
        assert response.status_code == status
        assert set(response.json["error"]) == {"code", "message"}


def test_token_endpoint_is_rate_limited(make, client):
    officer = make.user()
    for _ in range(5):
        client.post("/api/v1/auth/token", json={"police_no": officer.police_no,
                                                "password": "wrong password!!"})
    response = client.post("/api/v1/auth/token", json={"police_no": officer.police_no,
                                                       "password": Factory.PASSWORD})
    assert response.status_code == 429
    assert response.json["error"]["code"] == "too_many_requests"
