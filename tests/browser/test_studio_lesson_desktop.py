"""A weekly lesson made in the studio, in real Chromium at 1366×900: a trainer builds
questions in the form (meeting a Chinese problem beside its field), composes the lesson,
previews it as an officer would with the key shown, and submits it; a second trainer
reviews, moves the publish time and approves. Screenshots under tests/artifacts/."""
import re

import pytest
from factories import Factory
from playwright.sync_api import expect
from sqlalchemy import select

from lms.models import MicroLesson

DESKTOP = {"width": 1366, "height": 900}
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"


@pytest.fixture
def trainers(db, make):
    """Two trainers of the political department, and last week's issue 14."""
    t = make.tree()
    author = make.user(t["city"], roles=("trainer",), name="王建华")
    reviewer = make.user(t["city"], roles=("trainer",), name="李文静")
    make.lesson(issue_no=14, title="第14期 严守政治纪律和政治规矩")
    db.commit()  # SQLite: no transaction of ours may hold the lock while the server works
    return author, reviewer


def sign_out(page, server_url):
    page.click("form.logout button")
    page.wait_for_url(re.compile(r".*/login.*"))


def test_a_trainer_composes_a_weekly_lesson_and_another_approves_it(
        page, server_url, sign_in, shot, trainers, db):
    author, reviewer = trainers
    page.set_viewport_size(DESKTOP)
    sign_in(author.police_no, Factory.PASSWORD)
    page.wait_for_url(f"{server_url}/")
    page.goto(f"{server_url}/studio/lessons")
    page.click("text=新建微课堂")
    page.wait_for_url(re.compile(r".*/studio/lessons/new$"))
    assert page.input_value("input[name=issue_no]") == "15"  # the next free issue
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT08:00", page.input_value("input[name=publish_at]"))

    page.fill("input[name=title]", "第15期 坚持和发展新时代“枫桥经验”")
    page.fill("textarea[name=body_md]",
              "## 学习要点\n\n“枫桥经验”起源于浙江诸暨，核心是“矛盾不上交”。\n\n"
              "1. 依靠群众就地化解矛盾\n2. 把问题解决在基层\n")
    # Question 1: single choice, typed into the form; options reordered with a button.
    page.fill("textarea[name=quiz-0-stem]", "“枫桥经验”起源于哪个省？")
    for j, text in enumerate(("江苏", "浙江", "福建", "广东")):
        page.fill(f"input[name=quiz-0-opt{j}]", text)
    page.check("input[name=quiz-0-correct][value='1']")
    page.click("button[value='move_option:0:1:up']")  # 浙江 to A, its mark with it
    # The button re-shows the page: wait for the new one, not the old one's fields.
    expect(page.locator("input[name=quiz-0-opt0]")).to_have_value("浙江")
    assert page.is_checked("input[name=quiz-0-correct][value='0']")
    page.fill("textarea[name=quiz-0-explanation]", "1963 年浙江诸暨枫桥镇创造了这一经验。")
    page.fill("input[name=quiz-0-tags]", "枫桥经验、基层治理")
    # Question 2: true/false, added with a button; its kind shows its own answer field.
    page.click("button[value='add_question:true_false']")
    page.fill("textarea[name=quiz-1-stem]", "“枫桥经验”的核心是“矛盾不上交”。")
    page.click("button[name=save], input[name=save]")

    problem = page.locator("#err-q1-correct")
    assert "请选择本题的正确答案" in problem.inner_text()
    assert page.input_value("textarea[name=quiz-1-stem]").startswith("“枫桥经验”的核心")
    problem.scroll_into_view_if_needed()
    shot("studio-lesson-question-error-desktop")

    page.check("input[name=quiz-1-truth][value='true']")
    page.click("button[name=preview], input[name=preview]")
    preview = page.locator("#preview")
    assert "“枫桥经验”起源于哪个省？" in preview.inner_text()
    # hidden by the editor's stylesheet, which the re-shown page may still be loading: wait
    expect(page.locator("#preview .st-answer").first).to_be_hidden()
    page.check("#show-lesson-key")
    expect(page.locator("#preview .st-answer").first).to_be_visible()
    assert "答案：A" in page.locator("#preview .st-answer").first.inner_text()
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    page.locator("#preview").scroll_into_view_if_needed()
    shot("studio-lesson-preview-key-desktop")

    page.click("button[name=save], input[name=save]")
    page.wait_for_url(re.compile(r".*/studio/lessons/\d+$"))
    assert "草稿已保存" in page.inner_text(".flash")
    lesson_url = page.url
    page.click("text=民警视角预览")
    page.check("#show-key")
    assert page.locator(".st-right").count() == 2  # A of question 1, 正确 of question 2
    page.evaluate("window.scrollTo(0, 0)")
    shot("studio-lesson-officer-preview-desktop")
    page.goto(lesson_url)
    page.click("button[value=submit]")
    expect(page.locator(".st-head h1")).to_contain_text("待审核")
    assert page.locator("button[value=approve]").count() == 0  # not the author's to approve

    sign_out(page, server_url)
    sign_in(reviewer.police_no, Factory.PASSWORD)
    page.wait_for_url(f"{server_url}/")
    page.goto(f"{server_url}/studio/lessons")
    page.click("text=第15期 坚持和发展新时代“枫桥经验”")
    page.fill("input[name=publish_at]", "2030-01-07T09:30")
    page.fill("input[name=due_at]", "2030-01-13T23:59")
    page.click("text=保存时间")
    assert "已调整发布时间" in page.inner_text(".flash")
    page.click("button[value=approve]")
    expect(page.locator(".flash")).to_contain_text("将于 2030-01-07 09:30 准时发布")
    assert "已发布" in page.inner_text(".st-head h1")
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    page.evaluate("window.scrollTo(0, 0)")
    shot("studio-lesson-approved-desktop")

    db.expire_all()
    row = db.scalar(select(MicroLesson).where(MicroLesson.issue_no == 15))
    assert row.status == "published" and row.publish_at.isoformat() == "2030-01-07T01:30:00"
    db.rollback()  # SQLite: let go of the read before the server writes again
    page.goto(f"{server_url}/studio/lessons")
    shot("studio-lessons-list-desktop")


def test_the_question_editor_works_without_javascript(browser, server_url, trainers):
    author, _ = trainers
    context = browser.new_context(java_script_enabled=False, viewport=DESKTOP)
    try:
        page = context.new_page()
        page.goto(f"{server_url}/login")
        page.fill("input[name=police_no]", author.police_no)
        page.fill("input[name=password]", Factory.PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{server_url}/")
        page.goto(f"{server_url}/studio/lessons/new")
        refresh = page.locator("button[value=refresh]")
        assert refresh.is_visible()  # the kind change needs its button without JavaScript
        page.fill("textarea[name=quiz-0-stem]", "哪些属于“三会”？")
        page.select_option("select[name=quiz-0-kind]", "multiple")
        refresh.click()
        assert page.locator("input[name=quiz-0-correct][type=checkbox]").count() == 4
        page.click("button[value='add_option:0']")
        assert page.locator("input[name^=quiz-0-opt]").count() == 5
        page.fill("input[name=quiz-0-opt4]", "党小组会")
        page.click("button[value='move_option:0:4:up']")
        expect(page.locator("input[name=quiz-0-opt3]")).to_have_value("党小组会")
        page.click("button[value='add_question:fill_blank']")
        assert page.locator("textarea[name=quiz-1-answers]").count() == 1
        page.click("button[value='remove_question:1']")
        assert page.locator("textarea[name=quiz-1-answers]").count() == 0
        assert page.input_value("textarea[name=quiz-0-stem]") == "哪些属于“三会”？"
    finally:
        context.close()
