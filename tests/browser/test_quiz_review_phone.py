"""The review policy and the unanswered summary at phone size in real Chromium: a failed
attempt says which questions were wrong and shows no key; a passing retake shows the key and
the explanations; an incomplete form comes back as a "尚有 N 题未作答" page that keeps what
was already answered."""
from datetime import timedelta

import pytest
from factories import Factory

from lms.models import utcnow

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def lesson_week(db, make):
    officer = make.user(name="王强", unit=make.unit("平江派出所党支部"))
    now = utcnow()
    lesson = make.lesson(title="第14期 战时党建与“行动支部”", issue_no=14,
                         publish_at=now - timedelta(days=1), due_at=now + timedelta(days=5))
    db.commit()  # SQLite: no transaction of ours may hold the lock while the server works
    return officer, lesson


def answer(page, right: bool, only=(0, 1, 2, 3, 4)):
    """Answer the five questions like a person; wrong on q1, q2 and q4 unless `right`."""
    questions = page.locator("fieldset.question")
    if 0 in only:
        questions.nth(0).locator("label", has_text="由批准其成立的党组织指定" if right
                                 else "党员大会选举").click()
    if 1 in only:
        for text in (["先锋引领", "关心关爱", "正风肃纪"] if right else ["先锋引领"]):
            questions.nth(1).locator("label", has_text=text).click()
    if 2 in only:
        questions.nth(2).locator("label", has_text="正确").click()
    if 3 in only:
        questions.nth(3).locator("input[type=text]").fill("连" if right else "排")
    if 4 in only:
        questions.nth(4).locator("label", has_text="反馈所在单位党组织").click()


def test_the_key_waits_for_a_pass_and_an_incomplete_form_is_summarised(
        page, server_url, lesson_week, sign_in, shot):
    officer, lesson = lesson_week
    page.set_viewport_size(PHONE)
    sign_in(officer.police_no, Factory.PASSWORD)
    page.wait_for_url(f"{server_url}/")
    page.goto(f"{server_url}/lessons/{lesson.id}")

    answer(page, right=False)
    page.get_by_role("button", name="提交答案").click()
    page.wait_for_url(f"{server_url}/attempts/*")
    main = page.locator("main")
    assert page.locator(".score strong").inner_text() == "40"
    assert page.locator(".review-item.wrong").count() == 3
    assert page.locator(".correct-answer").count() == 0
    assert page.locator(".explain").count() == 0 and page.locator(".tag.right").count() == 0
    assert "通过测验、用完作答次数或过了截止时间后" in main.inner_text()
    assert "越是战时越要从严管理" not in main.inner_text()
    shot("quiz-review-1-failed-no-key")

    assert page.locator(".actions .btn.primary").inner_text() == "重新测验"
    page.goto(f"{server_url}/")  # the home card says so too, never "开始学习 · 最高 0 分"
    card = page.locator(".this-week")
    assert "未通过，最高 40 分" in card.inner_text() and "开始学习" not in card.inner_text()
    shot("quiz-review-0-home-after-failing")
    card.get_by_role("link", name="重新测验").click()
    page.wait_for_url(f"{server_url}/lessons/{lesson.id}#quiz")
    answer(page, right=True, only=(0, 3))
    page.evaluate("document.querySelector('form.quiz').noValidate = true")
    page.get_by_role("button", name="提交答案").click()
    page.wait_for_url(f"{server_url}/lessons/{lesson.id}/attempts")
    summary = page.locator(".incomplete")
    assert "尚有 3 题未作答" in summary.inner_text()
    assert summary.locator("a").all_inner_texts() == ["第 2 题", "第 3 题", "第 5 题"]
    assert page.locator("fieldset.question.missing").count() == 3
    kept = page.locator("fieldset.question")
    assert kept.nth(0).locator("input:checked").count() == 1
    assert kept.nth(3).locator("input[type=text]").input_value() == "连"
    shot("quiz-review-2-incomplete")

    answer(page, right=True, only=(1, 2, 4))
    page.get_by_role("button", name="提交答案").click()
    page.wait_for_url(f"{server_url}/attempts/*")
    assert page.locator(".score strong").inner_text() == "100"
    assert page.locator(".correct-answer").count() == 5
    assert "越是战时越要从严管理" in page.locator("main").inner_text()
    shot("quiz-review-3-passed-with-key")
