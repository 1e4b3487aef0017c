"""The navigation: the unread count on 消息, and the phone's tab bar per role."""
import re

from lms.domain.reminders import inbox


def _tabs(html: str) -> list[str]:
    bar = html.split('class="tabbar"')[1].split("</nav>")[0]
    main = bar.split("<details")[0]
    more = ["更多"] if "<details" in bar else []
    return re.findall(r'<span class="tab-label">([^<]+)</span>', main) + more


def test_the_unread_count_shows_on_messages_and_goes_when_read(db, make, login, client):
    officer = make.user()
    inbox.notify(db, [officer.id], "reminder", "提醒", "请按时学习。", None, "a")
    inbox.notify(db, [officer.id], "reminder", "提醒", "请按时学习。", None, "b")
    db.commit()
    login(officer.police_no)
    page = client.get("/lessons").text
    assert page.count('aria-label="2 条未读">2</span>') == 2  # the top bar and the phone tab
    assert client.post("/notifications/read").status_code == 302
    assert "条未读" not in client.get("/lessons").text


def test_the_tab_bar_keeps_to_five_whatever_the_roles(make, login, client):
    officer = make.user()
    login(officer.police_no)
    assert _tabs(client.get("/").text) == ["首页", "微课堂", "学习档案", "消息", "更多"]
    client.post("/logout")
    boss = make.user(roles=("supervisor", "admin"))
    login(boss.police_no)
    assert _tabs(client.get("/").text) == ["首页", "完成情况", "课件编写", "消息", "更多"]


def test_the_navigation_urls_follow_the_script_root_and_the_cache_stays_small(
        app, make, login, client):
    """Behind a proxy the script root can come from the client (X-Forwarded-Prefix): each
    prefix gets its own links, and the per-app cache of them does not grow with them."""
    from lms import navigation
    officer = make.user()
    login(officer.police_no)
    for n in range(navigation.NAV_URL_ROOTS + 6):
        page = client.get("/lessons", environ_overrides={"SCRIPT_NAME": f"/p{n}"}).text
        assert f'href="/p{n}/lessons"' in page
    assert len(app.extensions["lms"].extras["nav_urls"]) <= navigation.NAV_URL_ROOTS
