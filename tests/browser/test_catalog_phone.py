"""The catalogue and a real courseware item on a phone, in Chromium."""
from datetime import datetime

import pytest
from factories import Factory

from lms.domain.coursefiles.reader import load_course_tree
from lms.domain.learning import completion
from lms.paths import COURSES_DIR

PHONE = {"width": 390, "height": 844}
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"
INSIDE_THE_TEXT_COLUMN = """t => {
    const box = t.getBoundingClientRect(), column = t.closest('.prose').getBoundingClientRect();
    return box.left >= column.left && box.right <= column.right + 0.5
        && getComputedStyle(t).overflowX === 'auto';
}"""


@pytest.fixture
def practice(make):
    """The 党建实务培训 category with its real courseware from the courses folder."""
    tree, problems = load_course_tree(COURSES_DIR)
    assert tree is not None, problems
    spec = next(c for c in tree.categories if c.key == "practice")
    category = make.category(spec.name, key=spec.key, description=spec.description)
    items = {}
    for cw in tree.courseware:
        if cw.category == "practice":
            items[cw.slug] = make.courseware(
                cw.title, category, body_md=cw.body_md, slug=cw.slug, summary=cw.summary,
                featured=cw.featured, estimated_minutes=cw.estimated_minutes,
                min_read_seconds=cw.min_read_seconds, lecturer=cw.lecturer,
                quiz=cw.quiz is not None)
    return items


def test_catalogue_and_reading_page_on_a_phone(page, server_url, make, db, sign_in, shot,
                                               practice):
    page.set_viewport_size(PHONE)
    officer = make.user(name="李娜", unit=make.unit("平江派出所党支部"))
    learned = practice["tanxin-tanhua"]
    completion.mark_completed(db, officer.id, "courseware", learned.id, datetime(2026, 11, 2))
    db.commit()
    sign_in(officer.police_no, Factory.PASSWORD)
    page.wait_for_url(f"{server_url}/")

    page.goto(f"{server_url}/courseware?category=practice")
    cards = page.locator(".cw-card")
    featured = sum(item.featured for item in practice.values())
    assert cards.count() == len(practice)
    for n in range(featured):
        assert cards.nth(n).locator(".badge", has_text="精品").count() == 1
    assert cards.nth(featured).locator(".badge", has_text="精品").count() == 0
    learned_card = page.locator(".cw-card", has_text=learned.title)
    assert learned_card.locator(".cw-state").inner_text() == "已学"
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    shot("catalog-phone")

    page.locator(".cw-card", has_text="如何规范开展“三会一课”").click()
    page.wait_for_url(f"{server_url}/courseware/sanhui-yike-guifan")
    assert page.locator("h1").inner_text() == "如何规范开展“三会一课”"
    assert "主讲：市局机关党委" in page.locator(".cw-meta").inner_text()
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    assert page.locator(".prose table").first.evaluate(INSIDE_THE_TEXT_COLUMN)
    line = page.locator(".prose p").first.evaluate(
        "p => parseFloat(getComputedStyle(p).lineHeight)"
        " / parseFloat(getComputedStyle(p).fontSize)")
    assert 1.7 <= line <= 2.0
    shot("reading-phone")

    page.get_by_role("button", name="我已读完").click()
    page.wait_for_url(f"{server_url}/courseware/sanhui-yike-guifan")
    assert "请再阅读" in page.locator(".flash").inner_text()


def test_catalogue_search_on_a_phone(page, server_url, make, sign_in, practice):
    page.set_viewport_size(PHONE)
    officer = make.user()
    sign_in(officer.police_no, Factory.PASSWORD)
    page.wait_for_url(f"{server_url}/")
    page.goto(f"{server_url}/courseware")
    page.fill("input[name=q]", "三会")
    page.get_by_role("button", name="搜索").click()
    page.wait_for_url(f"{server_url}/courseware?q=%E4%B8%89%E4%BC%9A")
    titles = page.locator(".cw-title").all_inner_texts()
    assert "如何规范开展“三会一课”" in titles
    expected = [item.title for item in practice.values()
                if "三会" in item.title + item.summary + item.search_text]
    assert sorted(titles) == sorted(expected)


def test_classrooms_on_a_phone(page, server_url, make, sign_in, shot):
    page.set_viewport_size(PHONE)
    tree, problems = load_course_tree(COURSES_DIR)
    assert tree is not None, problems
    types = {t.key: make.classroom_type(t.name, key=t.key, description=t.description,
                                        position=t.position) for t in tree.classroom_types}
    unit = make.unit("平江派出所党支部")
    for n, room in enumerate(tree.classrooms):
        make.classroom(room.title, types[room.type], unit if n == 0 else None,
                       description=room.description, slug=room.slug)
    officer = make.user()
    sign_in(officer.police_no, Factory.PASSWORD)
    page.wait_for_url(f"{server_url}/")
    page.goto(f"{server_url}/classrooms")
    assert page.locator(".room-type h2").count() == len(tree.classroom_types)
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    shot("classrooms-phone")


def test_a_wide_table_scrolls_inside_the_text(page, server_url, make, sign_in):
    page.set_viewport_size(PHONE)
    header = "| " + " | ".join(f"第{n}季度完成情况" for n in range(1, 9)) + " |"
    rows = "\n".join("| " + " | ".join(["已完成"] * 8) + " |" for _ in range(3))
    item = make.courseware("季度台账", body_md=f"{header}\n|{'---|' * 8}\n{rows}")
    officer = make.user()
    sign_in(officer.police_no, Factory.PASSWORD)
    page.wait_for_url(f"{server_url}/")
    page.goto(f"{server_url}/courseware/{item.slug}")
    table = page.locator(".prose table")
    assert table.evaluate(INSIDE_THE_TEXT_COLUMN)
    assert table.evaluate("t => t.scrollWidth > t.clientWidth")
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
