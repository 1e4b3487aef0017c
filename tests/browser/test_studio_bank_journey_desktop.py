"""Issue 12's journey in real Chromium at 1366×900: a trainer builds a question in the form,
imports five questions from the downloaded Excel template, composes a weekly lesson that
draws from the bank, previews it with the key and submits it; a second trainer reviews,
approves and schedules it for now; an officer then sees it, gets a draw and answers.
Screenshots under tests/artifacts/."""
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from factories import Factory
from playwright.sync_api import expect
from sqlalchemy import select

from lms.models import Attempt, MicroLesson, Question, QuestionBank

DESKTOP = {"width": 1366, "height": 900}
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"
FIVE = (  # 题型, 题干, 选项A–D, 答案, 解析, 标签, 题目编号
    ("单选", "“枫桥经验”起源于哪个省？", "浙江", "江苏", "福建", "广东", "A",
     "1963 年浙江诸暨枫桥镇。", "枫桥经验", "fq-1"),
    ("判断", "“枫桥经验”的核心是“矛盾不上交”。", "", "", "", "", "对", "", "枫桥经验", "fq-2"),
    ("多选", "新时代“枫桥经验”强调哪些？", "依靠群众", "就地化解", "矛盾上交", "", "AB",
     "", "枫桥经验，基层治理", "fq-3"),
    ("单选", "“枫桥经验”创造于哪一年？", "1963 年", "1978 年", "1990 年", "", "A", "",
     "枫桥经验", "fq-4"),
    ("判断", "化解矛盾应把问题解决在基层。", "", "", "", "", "对", "", "枫桥经验",
     "fq-5"),
)

RIGHT = {"起源于哪个省": ["浙江"], "核心是": ["正确"], "强调哪些": ["依靠群众", "就地化解"],
         "创造于哪一年": ["1963 年"], "解决在基层": ["正确"]}


@pytest.fixture
def people(db, make):
    t = make.tree()
    author = make.user(t["city"], roles=("trainer",), name="王建华")
    reviewer = make.user(t["city"], roles=("trainer",), name="李文静")
    officer = make.user(t["branch_a"], name="陈民警")
    make.category("党建实务培训", key="practice")
    make.lesson(issue_no=14, title="第14期 严守政治纪律和政治规矩")
    db.commit()  # SQLite: no transaction of ours may hold the lock while the server works
    return author, reviewer, officer


def sign_out(page):
    page.click("form.logout button")
    page.wait_for_url(re.compile(r".*/login.*"))


def fill_template(path, target):
    """The downloaded template with its samples replaced by FIVE, as a trainer would."""
    book = openpyxl.load_workbook(path)
    sheet = book.worksheets[0]
    sheet.delete_rows(2, sheet.max_row)
    for kind, stem, a, b, c, d, answer, explanation, tags, key in FIVE:
        sheet.append([kind, stem, a, b, c, d, "", "", answer, explanation, tags, key])
    book.save(target)


def test_a_lesson_drawing_from_the_bank_from_form_to_officer(
        page, server_url, sign_in, shot, people, db, tmp_path):
    author, reviewer, officer = people
    page.set_viewport_size(DESKTOP)
    sign_in(author.police_no, Factory.PASSWORD)
    page.wait_for_url(f"{server_url}/")

    # 1. A question built in the form (a courseware quiz).
    page.goto(f"{server_url}/studio/courseware/new")
    page.fill("input[name=slug]", "fengqiao-jingyan")
    page.fill("input[name=title]", "新时代“枫桥经验”")
    page.select_option("select[name=category]", "practice")
    page.fill("textarea[name=body_md]", "“枫桥经验”起源于浙江诸暨。")
    page.click("button[value='add_question:single']")
    page.fill("textarea[name=quiz-0-stem]", "“枫桥经验”起源于哪个省？")
    for j, text in enumerate(("江苏", "浙江", "福建")):
        page.fill(f"input[name=quiz-0-opt{j}]", text)
    page.check("input[name=quiz-0-correct][value='1']")
    page.click("button[name=save], input[name=save]")
    page.wait_for_url(re.compile(r".*/studio/courseware/fengqiao-jingyan$"))
    assert "已保存" in page.inner_text(".flash")

    # 2. Five questions imported from the downloaded template.
    page.goto(f"{server_url}/studio/banks")
    with page.expect_download() as download:
        page.click("text=下载导入模板（.xlsx）")
    template = tmp_path / "template.xlsx"
    download.value.save_as(template)
    filled = tmp_path / "枫桥经验题库.xlsx"
    fill_template(template, filled)
    page.set_input_files("input[name=file]", str(filled))
    page.fill("input[name=bank]", "fengqiao")
    page.fill("input[name=name]", "枫桥经验题库")
    page.click("text=检查并导入")
    page.wait_for_url(re.compile(r".*/studio/banks$"))
    assert "新增 5 道" in page.locator(".flash").first.inner_text()

    # 3. A weekly lesson drawing three of them.
    page.goto(f"{server_url}/studio/lessons/new")
    page.fill("input[name=title]", "第15期 坚持和发展新时代“枫桥经验”")
    page.fill("textarea[name=body_md]", "## 学习要点\n\n“枫桥经验”的核心是“矛盾不上交”。\n")
    page.click("button[value='source:draw']")
    # A submit button re-shows the page: wait for the new page, not the old one's elements.
    expect(page.locator("#draws")).to_be_visible()
    expect(page.locator(".st-qe-fixed")).to_be_hidden()
    # studio.js is deferred: under load the page can show before its change listener exists
    page.wait_for_load_state("domcontentloaded")
    with page.expect_navigation():  # choosing the bank lists its tags (studio.js presses 列出标签)
        page.select_option("select[name=quiz-d0-bank]", "fengqiao")
    assert "枫桥经验（5）" in page.inner_text(".st-draw-tags")
    page.fill("input[name=quiz-d0-tag]", "枫桥经验")
    page.fill("input[name=quiz-d0-count]", "6")
    page.click("button[name=save], input[name=save]")
    problem = page.locator("#err-d0-count")
    assert "只有 5 道题，不够抽 6 道" in problem.inner_text()
    problem.scroll_into_view_if_needed()
    shot("bank-journey-draw-error-desktop")

    page.fill("input[name=quiz-d0-count]", "3")
    page.click("button[name=preview], input[name=preview]")
    preview = page.locator("#preview")
    assert "每位民警开始作答时各自随机抽题" in preview.inner_text()
    assert preview.locator("fieldset.question").count() == 3
    page.check("#show-lesson-key")
    assert preview.locator(".st-answer").first.is_visible()
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    preview.scroll_into_view_if_needed()
    shot("bank-journey-preview-key-desktop")

    page.click("button[name=save], input[name=save]")
    page.wait_for_url(re.compile(r".*/studio/lessons/\d+$"))
    lesson_url = page.url
    page.click("text=民警视角预览")
    page.check("#show-key")
    assert page.locator("fieldset.question").count() == 3
    assert page.locator(".st-answer").first.is_visible()
    page.evaluate("window.scrollTo(0, 0)")
    shot("bank-journey-officer-preview-desktop")
    page.goto(lesson_url)
    page.click("button[value=submit]")
    expect(page.locator(".st-head h1")).to_contain_text("待审核")
    sign_out(page)

    # 4. The second trainer reviews, schedules it for now and approves.
    sign_in(reviewer.police_no, Factory.PASSWORD)
    page.wait_for_url(f"{server_url}/")
    page.goto(lesson_url)
    now = datetime.now(ZoneInfo("Asia/Shanghai")).replace(second=0, microsecond=0)
    page.fill("input[name=publish_at]", now.strftime("%Y-%m-%dT%H:%M"))
    page.fill("input[name=due_at]", (now + timedelta(days=6)).strftime("%Y-%m-%dT%H:%M"))
    page.click("text=保存时间")
    expect(page.locator(".flash")).to_contain_text("已调整发布时间")
    page.click("button[value=approve]")
    expect(page.locator(".st-head h1")).to_contain_text("已发布")
    page.evaluate("window.scrollTo(0, 0)")
    shot("bank-journey-approved-desktop")
    sign_out(page)

    # 5. The officer finds it, gets a draw of three and answers.
    sign_in(officer.police_no, Factory.PASSWORD)
    page.wait_for_url(f"{server_url}/")
    page.goto(f"{server_url}/lessons")
    page.click("text=坚持和发展新时代“枫桥经验”")
    questions = page.locator("fieldset.question")
    expect(questions).to_have_count(3)
    drawn = [questions.nth(i).locator("legend").inner_text() for i in range(3)]
    page.reload()
    assert [questions.nth(i).locator("legend").inner_text() for i in range(3)] == drawn
    for i, legend in enumerate(drawn):  # options are shuffled: pick them by their text
        stem = next(stem for stem in RIGHT if stem in legend)
        for text in RIGHT[stem]:
            questions.nth(i).locator("label", has_text=text).click()
    shot("bank-journey-officer-quiz-desktop")
    page.click("form.quiz button[type=submit]")
    expect(page.locator("main")).to_contain_text("答对 3 / 3 题")
    shot("bank-journey-officer-result-desktop")

    db.expire_all()
    lesson = db.scalar(select(MicroLesson).where(MicroLesson.issue_no == 15))
    attempt = db.scalar(select(Attempt).where(Attempt.item_id == lesson.id,
                                              Attempt.item_type == "lesson"))
    assert attempt.status == "submitted" and len(attempt.question_ids) == 3
    assert attempt.score == 100
    banked = set(db.scalars(select(Question.id).where(Question.bank_id.is_not(None))))
    assert set(attempt.question_ids) <= banked
    db.rollback()


def test_draw_rules_are_edited_without_javascript(browser, server_url, people, db):
    author = people[0]
    bank = QuestionBank(key="fengqiao", name="枫桥经验题库", description="")
    db.add(bank)
    db.flush()
    db.add(Question(bank_id=bank.id, key="fq-1", position=1, kind="true_false",
                    stem="“枫桥经验”的核心是“矛盾不上交”。", options=[], answer=True,
                    explanation="", tags=["枫桥经验"]))
    db.commit()
    context = browser.new_context(java_script_enabled=False, viewport=DESKTOP)
    try:
        page = context.new_page()
        page.goto(f"{server_url}/login")
        page.fill("input[name=police_no]", author.police_no)
        page.fill("input[name=password]", Factory.PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{server_url}/")
        page.goto(f"{server_url}/studio/lessons/new")
        page.fill("textarea[name=quiz-0-stem]", "留在固定题目里的题干")
        page.click("button[value='source:draw']")
        expect(page.locator("#draws")).to_be_visible()
        page.select_option("select[name=quiz-d0-bank]", "fengqiao")
        page.click("#d-0 button[value=refresh]")  # 列出标签: no script to press it
        assert "枫桥经验（1）" in page.inner_text(".st-draw-tags")
        page.click("button[value=add_draw]")
        expect(page.locator("li.st-draw")).to_have_count(2)
        assert page.input_value("select[name=quiz-d1-bank]") == "fengqiao"
        page.click("button[value='remove_draw:1']")
        expect(page.locator("li.st-draw")).to_have_count(1)
        page.click("button[value='source:fixed']")
        expect(page.locator("#draws")).to_be_hidden()
        expect(page.locator("textarea[name=quiz-0-stem]")).to_have_value("留在固定题目里的题干")
    finally:
        context.close()
