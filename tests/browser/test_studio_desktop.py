"""The studio editor at desktop size in real Chromium: a trainer writes a real courseware
item, meets a line-numbered quiz error, saves, previews and sends it for review."""
import re

import pytest
from factories import Factory
from playwright.sync_api import expect

from lms.domain.coursefiles import quizfile, yamldump
from lms.domain.coursefiles.reader import load_course_tree
from lms.paths import COURSES_DIR

DESKTOP = {"width": 1366, "height": 900}
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"


@pytest.fixture
def sanhui(db, make):
    """The real 三会一课 item from the courses folder, and a trainer with its category."""
    tree, problems = load_course_tree(COURSES_DIR)
    assert tree is not None, problems
    spec = next(c for c in tree.courseware if c.slug == "sanhui-yike-guifan")
    category = next(c for c in tree.categories if c.key == spec.category)
    make.category(category.name, key=category.key)
    trainer = make.user(make.unit("市局政治部", "department"), roles=("trainer",),
                        name="王建华")
    db.commit()  # SQLite: no transaction of ours may hold the lock while the server works
    return trainer, spec


def test_editing_courseware_on_desktop(page, server_url, sign_in, shot, sanhui):
    trainer, spec = sanhui
    page.set_viewport_size(DESKTOP)
    sign_in(trainer.police_no, Factory.PASSWORD)
    page.wait_for_url(f"{server_url}/")
    page.click("nav.nav >> text=课件编写")
    page.wait_for_url(re.compile(r".*/studio/$"))
    page.click("text=新建课件")

    quiz = yamldump.dump_yaml({"quiz": quizfile.quiz_mapping(spec.quiz)})
    page.fill("input[name=title]", spec.title)
    page.fill("input[name=slug]", "sanhui-yike-guifan")
    page.select_option("select[name=category]", spec.category)
    page.fill("input[name=lecturer]", spec.lecturer or "市局政治部")
    page.fill("input[name=estimated_minutes]", str(spec.estimated_minutes))
    page.fill("input[name=min_read_seconds]", str(spec.min_read_seconds))
    page.fill("textarea[name=summary]", spec.summary)
    page.check("input[name=featured]")
    page.fill("textarea[name=body_md]", spec.body_md)
    page.click("button[value='mode:yaml']")  # the advanced tab keeps what was typed
    expect(page.locator("textarea[name=quiz_yaml]")).to_be_visible()
    assert page.input_value("input[name=title]") == spec.title
    page.fill("textarea[name=quiz_yaml]", quiz.replace("answer: D", "answer: E", 1))
    page.fill("input[name=note]", "根据市局最新规范修订")
    page.click("button[name=save], input[name=save]")

    problems = page.locator(".st-problems li")
    expect(problems).to_have_count(1)  # the re-shown page, not the one the click left
    assert re.fullmatch(r"第 \d+ 行：答案 'E' 不在选项 A, B, C, D 之中",
                        problems.first.inner_text())
    assert page.locator("textarea[name=quiz_yaml]").get_attribute("aria-invalid") == "true"

    page.fill("textarea[name=quiz_yaml]", quiz)
    page.click("button[name=save], input[name=save]")
    page.wait_for_url(f"{server_url}/studio/courseware/sanhui-yike-guifan")
    assert "已保存" in page.inner_text(".flash")
    assert page.locator(".st-revisions li").count() == 1
    page.click("button[name=preview], input[name=preview]")
    assert "（未保存）" in page.inner_text("#preview h2")
    assert page.locator("#preview .prose h2").count() >= 2

    form, side = (page.locator(s).bounding_box() for s in (".st-form", ".st-side"))
    assert side["x"] >= form["x"] + form["width"]  # workflow beside the form, not below
    assert form["width"] >= 760
    body = page.locator("textarea[name=body_md]").bounding_box()
    assert body["height"] >= 360 and body["width"] >= form["width"] - 60
    fields = [page.locator(f"[name={n}]").bounding_box() for n in ("category", "lecturer")]
    assert abs(fields[0]["height"] - fields[1]["height"]) < 1  # select and input line up
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    page.evaluate("document.activeElement.blur(); window.scrollTo(0, 0)")
    shot("studio-edit-desktop")

    page.click("button[value=submit]")
    expect(page.locator(".st-head h1")).to_contain_text("待审核")
    assert page.locator("button[value=approve]").count() == 0
    assert page.locator("fieldset.st-fields[disabled]").count() == 1
