"""Sign-in, activation, sessions and the login limit."""
from factories import Factory


def test_login_page_is_chinese(client):
    page = client.get("/login")
    assert page.status_code == 200
    assert "登录铸魂学堂" in page.text


def test_officer_signs_in_and_sees_home(make, login, client):
    officer = make.user(name="张伟")
    response = login(officer.police_no, follow_redirects=True)
    assert response.status_code == 200
    assert "张伟，您好" in response.text


def test_login_fields_carry_no_none_attributes(client):
    page = client.get("/login").text
    assert '"None"' not in page
    assert 'inputmode="numeric"' in page
    assert 'autocomplete="current-password"' in page


def test_forgotten_password_leads_to_whom_to_ask(client):
    page = client.get("/login?next=/lessons/").text
    assert "忘记密码？请联系本单位管理员" in page
    assert "/login/help?next=/lessons/" in page
    help_page = client.get("/login/help?next=/lessons/")
    assert help_page.status_code == 200
    assert "本单位的铸魂学堂管理员" in help_page.text
    assert "/login?next=/lessons/" in help_page.text  # back to the same deep link
    offsite = client.get("/login/help?next=https://evil.example/").text
    assert 'href="/login"' in offsite  # an off-site next is dropped, not passed on


def test_deep_link_survives_a_wrong_password(make, client, login):
    officer = make.user()
    first = client.get("/notifications")
    assert first.status_code == 302
    assert "/login?next=" in first.headers["Location"]
    form = client.get(first.headers["Location"]).text
    assert 'name="next" type="hidden" value="/notifications"' in form
    assert "请先登录，再访问此页面。" in form
    wrong = login(officer.police_no, "wrong password",
                  data={"police_no": officer.police_no, "password": "wrong password",
                        "next": "/notifications"})
    assert wrong.status_code == 401
    assert 'value="/notifications"' in wrong.text
    right = login(officer.police_no, data={"police_no": officer.police_no,
                                           "password": Factory.PASSWORD,
                                           "next": "/notifications"})
    assert right.status_code == 302
    assert right.headers["Location"].endswith("/notifications")
