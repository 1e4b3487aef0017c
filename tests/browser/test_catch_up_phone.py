"""待补学 on a phone: the home alert leads to it, overdue first, the rest folded by month."""
from datetime import timedelta

from factories import Factory

from lms.models import utcnow


def test_home_alert_opens_catch_up_in_order(page, server_url, make, sign_in, shot):
    page.set_viewport_size({"width": 390, "height": 844})
    officer = make.user(name="李娜")
    now = utcnow()
    make.lesson(title="甲 逾期二十天", publish_at=now - timedelta(days=27),
                due_at=now - timedelta(days=20))
    make.lesson(title="乙 逾期三天", publish_at=now - timedelta(days=9),
                due_at=now - timedelta(days=3))
    make.lesson(title="丙 本周", publish_at=now - timedelta(days=1),
                due_at=now + timedelta(days=5))
    for days in (70, 100):
        done = make.lesson(title=f"往期 {days} 天前", publish_at=now - timedelta(days=days),
                           due_at=now - timedelta(days=days - 7))
        make.completion(officer, done, now - timedelta(days=days - 1))
    sign_in(officer.police_no, Factory.PASSWORD)
    page.wait_for_url(f"{server_url}/")
    page.click("text=您有 2 期微课已逾期未完成")
    assert page.url.endswith("/lessons#catch-up")
    titles = page.locator("#catch-up .lesson-title").all_inner_texts()
    assert titles == ["甲 逾期二十天", "乙 逾期三天", "丙 本周"]
    months = page.locator("details.month")
    assert months.count() == 2
    assert months.nth(1).locator(".lesson-title").is_hidden()  # folded until tapped
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.evaluate("window.scrollTo(0, 0)")
    shot("lessons-catch-up-phone")
    months.nth(1).locator("summary").click()
    assert months.nth(1).locator(".lesson-title").is_visible()
    page.set_viewport_size({"width": 1366, "height": 900})
    shot("lessons-catch-up-desktop")
