"""A classroom's whole journey on phones (390×844) in real Chromium: a branch secretary
applies, an inspector from another county scores every checklist item and accepts, the
lecturer schedules a session and shows its code, an officer checks in and rates it."""
from datetime import datetime

import pytest
from factories import Factory

from lms.models import ChecklistItem

PHONE = {"width": 390, "height": 844}
NOW = datetime(2026, 11, 20, 10, 0)  # 18:00 in Shanghai
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"
pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def people(make, db):
    """Two counties; the model type with a two-item checklist; the four people."""
    tree = make.tree()
    kind = make.classroom_type("组织生活“样板课堂”", key="model")
    db.add_all([ChecklistItem(type_id=kind.id, position=0, weight=30,
                              text="“三会一课”记录完整规范"),
                ChecklistItem(type_id=kind.id, position=1, weight=20, text="党员参与度高")])
    db.commit()
    return {
        "secretary": make.user(tree["branch_a"], roles=("officer", "supervisor"), name="陈静"),
        "inspector": make.user(tree["branch_b"], roles=("officer", "supervisor"), name="周敏"),
        "lecturer": make.user(tree["branch_a"], roles=("officer", "trainer"), name="孙讲师"),
        "officer": make.user(tree["branch_a"], name="刘洋"),
    }


@pytest.fixture
def phone(browser, server_url, external_requests):
    """phone(user): a fresh 390×844 browser signed in as `user`."""
    contexts = []

    def _open(user):
        context = browser.new_context(viewport=PHONE)
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{server_url}/login")
        page.fill("input[name=police_no]", user.police_no)
        page.fill("input[name=password]", Factory.PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{server_url}/")
        return page

    yield _open
    for context in contexts:
        context.close()


def snap(page, name):
    from conftest import ARTIFACTS
    ARTIFACTS.mkdir(exist_ok=True)
    assert page.evaluate(NO_SIDEWAYS_SCROLL), name
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_apply_inspect_accept_schedule_check_in_and_rate(phone, server_url, people):
    secretary = phone(people["secretary"])
    secretary.goto(f"{server_url}/classrooms")
    secretary.get_by_role("link", name="申报课堂").click()
    secretary.select_option("select[name=type]", "model")
    secretary.fill("input[name=title]", "“三会一课”规范化示范观摩")
    secretary.fill("textarea[name=description]", "完整展示支部党员大会和党课的流程。")
    snap(secretary, "classroom-journey-1-apply-phone")
    secretary.get_by_role("button", name="提交申报").click()
    secretary.wait_for_url(f"{server_url}/classrooms/model-*")
    slug = secretary.url.rsplit("/", 1)[1]
    assert "申报中" in secretary.locator(".room-detail").inner_text()

    inspector = phone(people["inspector"])
    inspector.goto(f"{server_url}/classrooms/{slug}")
    inspect = inspector.locator("#inspect")
    inspect.locator("select").nth(0).select_option("9")
    inspect.locator("input").nth(0).fill("会议记录齐全，流程规范")
    inspect.locator("select").nth(1).select_option("7")
    snap(inspector, "classroom-journey-2-score-phone")
    inspector.get_by_role("button", name="保存评分").click()
    inspector.wait_for_url(f"{server_url}/classrooms/{slug}")
    assert "加权得分 82.0" in inspector.locator("#acceptance").inner_text()
    inspector.get_by_label("验收通过").check()
    inspector.fill("#decision-comment", "同意验收，可在全局推广。")
    inspector.get_by_role("button", name="提交结论").click()
    inspector.wait_for_url(f"{server_url}/classrooms/{slug}")
    assert "已验收" in inspector.locator(".room-detail").inner_text()

    secretary.reload()
    seen = secretary.locator("#acceptance").inner_text()
    assert "同意验收" in seen and "会议记录齐全" in seen and "82.0" in seen
    snap(secretary, "classroom-journey-3-accepted-phone")

    lecturer = phone(people["lecturer"])
    lecturer.goto(f"{server_url}/classrooms/{slug}")
    lecturer.fill("input[name=starts_at]", "2026-11-20T18:30")
    lecturer.fill("input[name=topic]", "学习《中国共产党支部工作条例（试行）》")
    lecturer.get_by_role("button", name="安排", exact=True).click()
    lecturer.wait_for_url(f"{server_url}/classrooms/{slug}")
    lecturer.get_by_role("button", name="开启签到").click()
    code = "".join(lecturer.locator(".checkin-code span").all_inner_texts())
    assert len(code) == 6
    snap(lecturer, "classroom-journey-4-code-phone")

    officer = phone(people["officer"])
    officer.goto(f"{server_url}/classrooms/checkin")
    officer.fill("input[name=code]", code)
    officer.get_by_role("button", name="签到", exact=True).click()
    assert "签到成功" in officer.locator(".checkin-done").inner_text()
    officer.get_by_role("link", name="评价本次活动").click()
    rate = officer.locator(".session-rate")
    rate.get_by_label("5").check()
    rate.locator("textarea").fill("联系实际，讲得很透。")
    snap(officer, "classroom-journey-5-rate-phone")
    rate.get_by_role("button", name="提交评价").click()
    assert "我的评价：5 分" in officer.locator(".session").first.inner_text()
    snap(officer, "classroom-journey-6-rated-phone")

    lecturer.goto(f"{server_url}/lecturers/{people['lecturer'].police_no}")
    profile = lecturer.locator("main").inner_text()
    assert "学习《中国共产党支部工作条例（试行）》" in profile and "刘洋" not in profile
    snap(lecturer, "classroom-journey-7-lecturer-phone")

    secretary.goto(f"{server_url}/classrooms/register?type=model&status=accepted")
    row = secretary.locator("table.register tbody tr").first.inner_text()
    assert "“三会一课”规范化示范观摩" in row and "孙讲师" in row
    snap(secretary, "classroom-journey-8-register-phone")
