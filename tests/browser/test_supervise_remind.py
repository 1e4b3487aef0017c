"""The grouped not-yet-done list in real Chromium at desktop and phone size: sort, filter,
tick people and 提醒所选人员 (refused again within the day); plus the pages this pass changed
(dashboard's due week, the 通报 of a running quarter, the studio's lesson order)."""
import re
from datetime import datetime, timedelta

import pytest
from factories import Factory
from sqlalchemy import select

from lms.models import Notification

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
NOW = datetime(2026, 12, 1, 2, 0)  # Tuesday of week 49, 10:00 in Shanghai
NAMES = ["王建军", "李海燕", "张志强", "刘晓东", "陈丽娟", "杨国庆", "黄春梅", "赵文博"]


@pytest.fixture
def county(db, make, frozen_clock):
    """A county with two stations' branches, eight officers, six weekly lessons, mixed done."""
    city = make.unit("市公安局", "bureau", code="SZ")
    county = make.unit("江北县公安局", "county", city, code="JB")
    branches = []
    for s, station_name in enumerate(("城东派出所", "城西派出所")):
        station = make.unit(station_name, "station", county, code=f"JB{s}")
        branches.append(make.unit(f"{station_name}党支部", "branch", station, code=f"JB{s}B"))
    people = [make.user(branches[n % 2], name=name) for n, name in enumerate(NAMES)]
    lessons = [make.lesson_due(datetime(2026, 10, 25, 23, 59) + timedelta(weeks=n),
                               title=f"第{1030 + n}期 政治练兵小课堂")
               for n in range(7)]  # the last is due Sunday 6 December: not yet
    for n, person in enumerate(people):
        for lesson in lessons[: n % 6]:
            make.completion(person, lesson, lesson.due_at - timedelta(hours=3))
    boss = make.user(county, roles=("supervisor",), name="周建国")
    return {"boss": boss, "people": people, "lessons": lessons}


def no_sideways_scroll(page):
    """Neither the page nor any table inside it scrolls sideways (phone: tables are cards)."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    wide = page.evaluate("""[...document.querySelectorAll('.table-wrap, .tb-scroll')]
        .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.className)""")
    assert wide == [], wide


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_grouped_list_sorts_filters_and_reminds_once_a_day(page, server_url, sign_in, shot,
                                                            county, db, size):
    page.set_viewport_size(DESKTOP if size == "desktop" else PHONE)
    sign_in(county["boss"].police_no, Factory.PASSWORD)
    page.wait_for_url(f"{server_url}/")
    page.goto(f"{server_url}/supervise/pending?period=2026Q4")
    rows = page.locator(".sv-people tbody tr")
    assert rows.count() == 8  # one row per person, not per person and lesson
    assert page.locator(".sv-people th[aria-sort=descending]").inner_text().startswith("逾期天数")
    first = rows.first.locator("td").nth(2).inner_text()
    assert first in (NAMES[0], NAMES[6])  # done nothing: the oldest due lesson missed
    no_sideways_scroll(page)
    if size == "phone":  # a card per person, its name on top, labelled lines below
        card = rows.first
        assert card.evaluate("e => getComputedStyle(e).display") == "flex"
        assert "未学（期）" in card.evaluate(
            "e => getComputedStyle(e.querySelector('td[data-label]'), '::before').content"
            " + e.querySelectorAll('td')[4].dataset.label")
        card.screenshot(path=str(shot("pending-grouped-phone").with_name("pending-card-phone.png")))
    shot(f"pending-grouped-{size}")

    page.click(".sv-people th >> text=未学（期）")
    page.wait_for_url(re.compile(r".*sort=owed.*"))
    owed = [int(t) for t in page.locator(".sv-people tbody td:nth-child(5)").all_inner_texts()]
    assert owed == sorted(owed, reverse=True)

    page.select_option(".sv-filter select[name=unit]", "JB0")
    page.click(".sv-filter button[type=submit]")
    page.wait_for_url(re.compile(r".*unit=JB0.*"))
    assert rows.count() == 4 and "城西" not in page.locator(".sv-people").inner_text()

    page.check(f"input[name=user][value='{county['people'][0].id}']")
    page.check(f"input[name=user][value='{county['people'][2].id}']")
    page.click("text=提醒所选人员")
    page.wait_for_load_state()
    assert page.locator(".flash-success").inner_text() == "已向 2 人发送提醒。"
    shot(f"pending-reminded-{size}")
    page.check(f"input[name=user][value='{county['people'][0].id}']")
    page.click("text=提醒所选人员")
    page.wait_for_load_state()
    assert "王建军 今天已提醒过（每人每天一次），未重复发送。" in page.locator(
        ".flash-error").inner_text()
    db.expire_all()
    sent = db.scalars(select(Notification.user_id).where(Notification.kind == "nudge")).all()
    assert sorted(sent) == sorted([county["people"][0].id, county["people"][2].id])


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_dashboard_tongbao_and_studio_pages(page, server_url, sign_in, shot, county, make,
                                            size):
    page.set_viewport_size(DESKTOP if size == "desktop" else PHONE)
    sign_in(county["boss"].police_no, Factory.PASSWORD)
    page.wait_for_url(f"{server_url}/")
    page.goto(f"{server_url}/supervise/")
    assert "2026年第48周" in page.locator("h1").inner_text()
    page.click("text=查看本周进度")
    page.wait_for_url(re.compile(r".*period=2026-W49.*"))
    assert "2026年第49周" in page.locator("h1").inner_text()
    page.goto(f"{server_url}/supervise/")
    no_sideways_scroll(page)
    if size == "phone":
        page.locator(".sv-cards").first.screenshot(
            path=str(shot("dashboard-due-week-phone").with_name("dashboard-cards-phone.png")))
    shot(f"dashboard-due-week-{size}")
    page.goto(f"{server_url}/supervise/tongbao?period=2026Q4")
    assert page.locator(".tb-cutoff").inner_text() == "截至2026-12-01"
    assert "已到期微课6期" in page.locator(".tb-scope").inner_text()
    no_sideways_scroll(page)
    shot(f"tongbao-running-{size}")
    trainer = make.user(county["boss"].unit, roles=("trainer",), name="孙老师")
    page.goto(f"{server_url}/logout")
    page.context.clear_cookies()
    sign_in(trainer.police_no, Factory.PASSWORD)
    page.wait_for_url(f"{server_url}/")
    page.goto(f"{server_url}/studio/lessons")
    now = page.locator(".st-group-now tr:not(.st-group-head) td:nth-child(2) a")
    firsts = now.all_inner_texts()
    assert firsts == ["第1036期 政治练兵小课堂"]  # running now; nothing scheduled later
    past = page.locator(".st-group-past tr:not(.st-group-head) td:nth-child(2) a")
    assert past.all_inner_texts()[:2] == ["第1035期 政治练兵小课堂", "第1034期 政治练兵小课堂"]
    shot(f"studio-lessons-{size}")
