"""Two flows from the walk through the pages, in real Chromium: an admin deactivates a leaver
with a reason (desktop) and reads it back in the audit log; and a newcomer's lesson list at
phone size tells what they owe (due, overdue) from what they may study (选学)."""
from datetime import timedelta

import pytest
from factories import Factory

from lms.models import Completion, utcnow

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


@pytest.fixture
def leaver(db, make):
    unit = make.unit("观前派出所党支部")
    admin = make.user(unit, roles=("officer", "admin"), name="王建国")
    officer = make.user(unit, name="张春鹏")
    db.commit()  # SQLite: no transaction of ours may hold the lock while the server works
    return admin, officer


def test_an_admin_deactivates_a_leaver_with_a_reason(page, server_url, leaver, sign_in, shot):
    admin, officer = leaver
    page.set_viewport_size(DESKTOP)
    sign_in(admin.police_no, Factory.PASSWORD)
    page.wait_for_url(f"{server_url}/")
    page.goto(f"{server_url}/admin/users?q={officer.police_no}")
    row = page.locator("tbody tr", has_text=officer.police_no)
    assert "正常" in row.inner_text()

    # No reason: the browser refuses to send the form, and nothing happens.
    row.get_by_role("button", name="停用账号").click()
    assert page.locator("form.deactivate input[name=reason]:invalid").count() == 1
    assert "正常" in page.locator("tbody tr", has_text=officer.police_no).inner_text()

    row.get_by_role("textbox", name="停用原因").fill("调离公安机关")
    shot("walk-admin-1-deactivate-reason")
    row.get_by_role("button", name="停用账号").click()
    page.wait_for_load_state()
    assert f"已停用 {officer.name} 的账号。" in page.locator(".flash-success").inner_text()
    row = page.locator("tbody tr", has_text=officer.police_no)
    assert "停用" in row.inner_text() and row.locator("form.deactivate").count() == 0
    shot("walk-admin-2-deactivated")

    page.goto(f"{server_url}/admin/audit")
    event = page.locator("tbody tr", has_text=officer.police_no).first
    text = event.inner_text()
    assert "停用账号" in text and "调离公安机关" in text and admin.police_no in text
    assert "\\u" not in page.locator("main").inner_text()  # the reason is not shown as escapes
    shot("walk-admin-3-audit")


@pytest.fixture
def newcomer(db, make):
    """Joined ten days ago (owing from three days ago, after the week's grace): last week's
    lesson is owed (overdue), this week's is due, one due before that is optional, and an
    older one they did anyway."""
    now = utcnow()
    officer = make.user(make.unit("平江派出所党支部"), name="王明",
                        joined_at=now - timedelta(days=10))
    lessons = {}
    for issue, (published, due) in {13: (-30, -24), 14: (-16, -10), 15: (-8, -1),
                                      16: (-1, 5)}.items():
        lessons[issue] = make.lesson(title=f"第{issue}期 课程{issue}", issue_no=issue,
                                     publish_at=now + timedelta(days=published),
                                     due_at=now + timedelta(days=due))
    db.flush()
    db.add(Completion(user_id=officer.id, item_type="lesson", item_id=lessons[13].id,
                      status="completed", first_completed_at=now - timedelta(days=1),
                      best_score=80, first_score=60, attempts=2))
    db.commit()
    return officer, lessons


def test_the_phone_list_tells_owed_lessons_from_optional_ones(page, server_url, newcomer,
                                                              sign_in, shot):
    officer, lessons = newcomer
    page.set_viewport_size(PHONE)
    sign_in(officer.police_no, Factory.PASSWORD)
    page.wait_for_url(f"{server_url}/")
    page.goto(f"{server_url}/lessons")
    rows = page.locator("li.lesson-row")
    assert rows.count() == 4

    def row(issue):
        return page.locator("li.lesson-row", has_text=f"第{issue}期 课程{issue}")
    assert row(16).locator(".badge").inner_text() == "待完成"
    assert row(15).locator(".badge").inner_text() == "已逾期"
    assert row(14).locator(".badge").inner_text() == "选学"
    assert row(13).locator(".badge").inner_text() == "已完成"
    # Optional is not overdue: no deadline long past, not the overdue colour.
    assert "截止" not in row(14).inner_text() and "约" in row(14).inner_text()
    assert "status-optional" in row(14).get_attribute("class")
    overdue_bar = row(15).locator("a").evaluate("e => getComputedStyle(e).borderLeftColor")
    optional_bar = row(14).locator("a").evaluate("e => getComputedStyle(e).borderLeftColor")
    assert optional_bar != overdue_bar
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot("walk-lessons-optional-phone")

    row(14).locator("a").click()
    page.wait_for_url(f"{server_url}/lessons/{lessons[14].id}")
    meta = page.locator(".lesson-meta").inner_text()
    assert "选学" in meta and "截止" not in meta

    page.goto(f"{server_url}/profile")
    done = page.locator("table.completions tbody tr", has_text="第13期 课程13")
    assert done.locator("td.num").all_inner_texts() == ["60", "80"]  # first score, then best
    table = page.locator(".table-wrap", has=page.locator("table.completions"))
    assert table.evaluate("e => e.scrollWidth <= e.clientWidth")  # all four columns in view
    shot("walk-profile-first-score-phone")
