"""The officer's week at phone size in real Chromium: home → read → quiz → result → profile →
mistakes; and the same quiz with JavaScript switched off."""
from datetime import timedelta

import pytest
from factories import Factory

from lms.models import utcnow

PHONE = {"width": 390, "height": 844}
BODY = """## 为什么要建“行动支部”

急难险重任务一线,往往是最考验党组织战斗力的地方。本局在重大安保、专项行动中坚持“支部建在项目上、党旗插在阵地上”,组建临时党支部和行动支部。

> 临时党支部主要组织党员开展政治学习,教育、管理、监督党员。

## 三个要点

1. 书记、副书记和委员由批准其成立的党组织指定;
2. 一般不发展党员、不处分处置党员、不收缴党费;
3. 任务结束,临时党支部自然撤销。
"""


@pytest.fixture
def week(db, make):
    """An officer, this week's lesson, and last week's (overdue)."""
    officer = make.user(name="李娜", unit=make.unit("平江派出所党支部"))
    now = utcnow()
    make.lesson(title="第13期 廉洁从警“十不准”", issue_no=13,
                publish_at=now - timedelta(days=8), due_at=now - timedelta(days=2))
    lesson = make.lesson(title="第14期 战时党建与“行动支部”", issue_no=14, body_md=BODY,
                         summary="讲清临时党组织的组建规范,让党旗在一线高高飘扬。",
                         publish_at=now - timedelta(days=1), due_at=now + timedelta(days=5))
    db.commit()  # SQLite: no transaction of ours may hold the lock while the server works
    return officer, lesson


def answer_quiz(page, wrong: bool):
    """Tick answers like a person: q2 and q4 wrong when `wrong`."""
    questions = page.locator("fieldset.question")
    questions.nth(0).locator("label", has_text="由批准其成立的党组织指定").click()
    for text in (["先锋引领"] if wrong else ["先锋引领", "关心关爱", "正风肃纪"]):
        questions.nth(1).locator("label", has_text=text).click()
    questions.nth(2).locator("label", has_text="正确").click()
    questions.nth(3).locator("input[type=text]").fill("排" if wrong else "连")
    questions.nth(4).locator("label", has_text="反馈所在单位党组织").click()


def test_officer_journey_on_a_phone(page, server_url, week, sign_in, shot):
    officer, lesson = week
    page.set_viewport_size(PHONE)
    sign_in(officer.police_no, Factory.PASSWORD)
    page.wait_for_url(f"{server_url}/")
    card = page.locator(".this-week")
    assert "第14期 战时党建与“行动支部”" in card.inner_text()
    assert "开始学习" in card.inner_text()
    assert card.bounding_box()["y"] < PHONE["height"]  # this week's lesson without scrolling
    assert "1 期微课已逾期" in page.inner_text("main")
    shot("journey-1-home")

    card.get_by_role("link", name="开始学习").click()
    page.wait_for_url(f"{server_url}/lessons/{lesson.id}")
    assert "三个要点" in page.locator(".prose").inner_text()
    assert page.locator("fieldset.question").count() == 5
    shot("journey-2-lesson")

    answer_quiz(page, wrong=True)
    shot("journey-3-answered")
    page.get_by_role("button", name="提交答案").click()
    page.wait_for_url(f"{server_url}/attempts/*")
    assert page.locator(".score strong").inner_text() == "60"
    assert page.locator(".review-item.wrong").count() == 2
    assert page.locator(".review-item.right").count() == 3
    wrong_fill = page.locator(".review-item").nth(3)
    assert "排" in wrong_fill.inner_text() and "连" in wrong_fill.locator(
        ".correct-answer").inner_text()
    assert "越是战时越要从严管理" in page.locator(".review-item").nth(1).inner_text()
    assert "获得积分 +5" in page.inner_text("main")
    shot("journey-4-result")

    page.locator(".tabbar").get_by_role("link", name="学习档案").click()  # the phone's tabs
    page.wait_for_url(f"{server_url}/profile")
    assert "第14期 战时党建与“行动支部”" in page.locator("table.completions").inner_text()
    assert "60" in page.locator("table.completions").inner_text()
    page.locator("details.points-detail > summary").click()  # folded below the record
    assert "按时完成微课" in page.locator("table.points").inner_text()
    assert page.locator(".stat strong").first.inner_text() == "5"
    shot("journey-5-profile")

    page.locator("details.more > summary").click()  # 错题本 sits under 更多 on a phone
    page.locator(".more-menu").get_by_role("link", name="错题本").click()
    page.wait_for_url(f"{server_url}/mistakes")
    stems = page.locator("fieldset.mistake legend").all_inner_texts()
    assert len(stems) == 2
    assert any("战时党建工作机制" in s for s in stems)
    assert any("三湾改编" in s for s in stems)
    shot("journey-6-mistakes")

    page.locator(".tabbar").get_by_role("link", name="微课堂").click()
    page.wait_for_url(f"{server_url}/lessons")
    rows = page.locator(".lesson-row")
    assert rows.count() == 2
    # 待补学 comes first: the overdue lesson, then this week's (done) one under its month
    assert "已逾期" in rows.nth(0).inner_text() and "已完成" in rows.nth(1).inner_text()
    shot("journey-7-lessons")


def test_the_quiz_works_without_javascript(phone_without_js, server_url, week):
    officer, lesson = week
    page = phone_without_js(officer)
    page.locator(".this-week").get_by_role("link", name="开始学习").click()
    page.wait_for_url(f"{server_url}/lessons/{lesson.id}")
    answer_quiz(page, wrong=False)
    page.get_by_role("button", name="提交答案").click()
    page.wait_for_url(f"{server_url}/attempts/*")
    assert page.locator(".score strong").inner_text() == "100"
    assert "获得积分 +7" in page.inner_text("main")
