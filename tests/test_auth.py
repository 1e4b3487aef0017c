"""Sign-in, activation, sessions and the login limit."""



def test_login_page_is_chinese(client):
    page = client.get("/login")
    assert page.status_code == 200
    assert "登录铸魂学堂" in page.text


def test_officer_signs_in_and_sees_home(make, login, client):
    officer = make.user(name="张伟")
    response = login(officer.police_no, follow_redirects=True)
    assert response.status_code == 200
    assert "张伟，您好" in response.text
