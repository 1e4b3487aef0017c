"""The sign-in journey in real Chromium, at phone and desktop size."""
from factories import Factory


def test_login_page_and_officer_home_on_a_phone(page, server_url, make, sign_in, shot):
    page.set_viewport_size({"width": 390, "height": 844})
    officer = make.user(name="李娜", unit=make.unit("平江派出所党支部"))
    page.goto(f"{server_url}/login")
    assert page.locator("h1").inner_text() == "登录铸魂学堂"
    shot("login-phone")
    sign_in(officer.police_no, Factory.PASSWORD)
    page.wait_for_url(f"{server_url}/")
    assert "李娜，您好" in page.locator("h1").inner_text()
    assert "平江派出所党支部" in page.locator(".hello").inner_text()
    shot("home-officer-phone")


def test_wrong_password_shows_one_message(page, server_url, make, sign_in):
    officer = make.user()
    sign_in(officer.police_no, "not the password at all")
    assert "警号或密码错误" in page.locator(".flash-error").inner_text()
    sign_in("999999999", "not the password at all")
    assert "警号或密码错误" in page.locator(".flash-error").inner_text()


def test_admin_pages_on_desktop(page, server_url, make, sign_in, shot):
    page.set_viewport_size({"width": 1366, "height": 900})
    tree = make.tree()
    admin = make.user(tree["city"], roles=("officer", "admin", "supervisor"), name="王强")
    make.user(tree["branch_a"], name="赵敏")
    sign_in(admin.police_no, Factory.PASSWORD)
    page.wait_for_url(f"{server_url}/")
    page.goto(f"{server_url}/admin/users")
    assert page.locator("table.table tbody tr").count() == 2
    shot("admin-users-desktop")


def test_deep_link_wrong_password_then_right_on_a_phone(page, server_url, make, shot,
                                                         external_requests):
    page.set_viewport_size({"width": 390, "height": 844})
    officer = make.user(name="李娜")
    page.goto(f"{server_url}/notifications")
    assert "/login?next=" in page.url
    page.fill("input[name=police_no]", officer.police_no)
    page.fill("input[name=password]", "not the password at all")
    page.click("button[type=submit]")
    flash = page.locator(".flash-error")
    assert "警号或密码错误" in flash.inner_text()
    box = flash.bounding_box()
    assert box["y"] + box["height"] <= page.locator("section.card").bounding_box()["y"] + 1
    assert box["width"] > 300  # full width above the form, not a squeezed side column
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.get_attribute("input[name=password]", "inputmode") is None
    shot("login-wrong-password-phone")
    page.click("text=忘记密码？请联系本单位管理员")
    assert "本单位的铸魂学堂管理员" in page.locator("main").inner_text()
    shot("login-help-phone")
    page.click("text=返回登录")
    page.fill("input[name=police_no]", officer.police_no)
    page.fill("input[name=password]", Factory.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server_url}/notifications")
