"""The phone's bottom tab bar with the unread badge on 消息; desktop keeps its top bar."""
from factories import Factory

from lms.domain.reminders import inbox


def _unread(db, user, n):
    for i in range(n):
        inbox.notify(db, [user.id], "reminder", f"第{i}条提醒", "请按时学习。", None, f"t{i}")
    db.commit()


def test_bottom_tabs_with_unread_badge_on_a_phone(page, server_url, db, make, sign_in, shot):
    page.set_viewport_size({"width": 390, "height": 844})
    officer = make.user(name="李娜")
    make.lesson(title="第5期 本周")
    _unread(db, officer, 3)
    sign_in(officer.police_no, Factory.PASSWORD)
    page.wait_for_url(f"{server_url}/")
    assert page.locator(".topbar .nav").is_hidden()  # no scrolling strip on a phone
    tabs = page.locator(".tabbar > .tab")
    assert [t.replace("\n", "").strip() for t in tabs.all_inner_texts()] == [
        "首页", "微课堂", "学习档案", "消息3", "更多"]
    bar = page.locator(".tabbar").bounding_box()
    assert bar["y"] + bar["height"] == 844 and bar["width"] == 390  # pinned to the bottom
    assert page.locator(".tabbar .unread").first.inner_text() == "3"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot("nav-tabs-phone")
    page.locator("details.more > summary").click()
    menu = page.locator(".more-menu")
    assert menu.is_visible()
    assert menu.locator("a").all_inner_texts() == ["课件", "课堂", "错题本"]
    shot("nav-more-open-phone")
    menu.get_by_role("link", name="错题本").click()
    page.wait_for_url(f"{server_url}/mistakes")
    page.get_by_role("link", name="消息").last.click()
    page.wait_for_url(f"{server_url}/notifications")
    page.get_by_role("button", name="全部标为已读").click()
    assert page.locator(".tabbar .unread").count() == 0


def test_more_opens_without_javascript(phone_without_js, server_url, db, make):
    admin = make.user(roles=("officer", "admin", "supervisor"), name="王强")
    page = phone_without_js(admin)
    assert page.locator(".tabbar > .tab").count() == 5  # 4 tabs and 更多, whatever the roles
    page.locator("details.more > summary").click()
    labels = page.locator(".more-menu a").all_inner_texts()
    assert "审计日志" in labels and "用户" in labels
    page.locator(".more-menu a", has_text="审计日志").click()
    page.wait_for_url(f"{server_url}/admin/audit*")
    assert "is-active" in page.locator("details.more").get_attribute("class")


def test_desktop_keeps_the_top_bar_with_the_badge(page, server_url, db, make, sign_in, shot):
    page.set_viewport_size({"width": 1366, "height": 900})
    officer = make.user(name="李娜")
    _unread(db, officer, 2)
    sign_in(officer.police_no, Factory.PASSWORD)
    page.wait_for_url(f"{server_url}/")
    assert page.locator(".tabbar").is_hidden()
    assert page.locator(".topbar .nav").get_by_role("link", name="消息").inner_text() == "消息2"
    shot("nav-desktop")


def test_unread_notifications_are_cards_like_the_read_ones(page, server_url, db, make,
                                                           sign_in, shot):
    """The badge's style (`.unread`: a gold pill) stays on the count: the inbox marks an
    unread notification's card with the same class, and it must not become a gold oval."""
    page.set_viewport_size({"width": 390, "height": 844})
    officer = make.user(name="李娜")
    _unread(db, officer, 2)
    sign_in(officer.police_no, Factory.PASSWORD)
    page.wait_for_url(f"{server_url}/")
    page.goto(f"{server_url}/notifications")
    page.locator("article.notification.unread").last.get_by_role(
        "button", name="标为已读").click()
    page.wait_for_url(f"{server_url}/notifications*")
    unread, read = page.locator("article.notification.unread"), page.locator("article.read")
    assert unread.count() == 1 and read.count() == 1
    assert page.locator(".tabbar .unread").inner_text() == "1"
    shot("inbox-unread-card-phone")
    card, other = unread.bounding_box(), read.bounding_box()
    assert card["width"] == other["width"]  # a full-width card, not a pill sized to its text
    style = unread.evaluate("e => [getComputedStyle(e).borderRadius, getComputedStyle(e).display]")
    assert style == read.evaluate(
        "e => [getComputedStyle(e).borderRadius, getComputedStyle(e).display]")
