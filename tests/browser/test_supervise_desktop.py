"""Supervision in real Chromium at desktop size: the dashboard with its SVG charts, the
drill-down, and the 通报 as it prints on A4."""
import random
import re
from datetime import datetime, timedelta

import pytest
from factories import Factory

from lms.domain.reports import unitstats
from lms.models import Attendance, Classroom, ClassroomType, ClassSession, Completion, PointsEntry

DESKTOP = {"width": 1366, "height": 900}
NOW = datetime(2026, 12, 1, 2, 0)  # Tuesday of week 49, 10:00 in Shanghai
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = ["伟", "芳", "娜", "敏", "静", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明", "超",
         "秀英", "建华", "志强", "海燕", "晓东", "国庆", "丽娟", "文博", "春梅"]
COUNTIES = [("城关分局", .97), ("开发区分局", .9), ("江北县公安局", .84), ("南山县公安局", .72),
            ("交警支队", .58), ("刑侦支队", .93)]


@pytest.fixture
def bureau(db, make, frozen_clock):
    """Six units under the city, two stations each with two branches, ten weekly lessons."""
    rng = random.Random(48)
    city = make.unit("市公安局", "bureau", code="SZ")
    officers = []
    for c, (name, share) in enumerate(COUNTIES):
        county = make.unit(name, "county", city, code=f"C{c}")
        for s in range(2):
            station = make.unit(f"{name[:2]}{'东西'[s]}派出所", "station", county, code=f"C{c}S{s}")
            for b in range(2):
                branch = make.unit(f"{station.name}第{'一二'[b]}党支部", "branch", station,
                                   code=f"C{c}S{s}B{b}")
                for _ in range(rng.randint(3, 6)):
                    person = rng.choice(SURNAMES) + rng.choice(GIVEN)
                    officers.append((make.user(branch, name=person), share))
    lessons = [make.lesson_due(datetime(2026, 10, 4, 23, 59) + timedelta(weeks=n),
                               title=f"政治练兵小课堂第{n + 1}期") for n in range(10)]
    rows = []
    for n, lesson in enumerate(lessons):
        for officer, share in officers:
            chance = share - .12 + n * .015
            if rng.random() < chance:
                at = lesson.due_at - timedelta(hours=rng.choice([60, 30, 5])) \
                    if rng.random() < .85 else lesson.due_at + timedelta(hours=20)
                if at > NOW:  # this week's lesson: some have done it since Monday
                    at = lesson.publish_at + timedelta(hours=rng.randint(1, 60))
                if at > NOW:
                    continue
                rows.append(Completion(user_id=officer.id, item_type="lesson",
                                       item_id=lesson.id, status="completed",
                                       first_completed_at=at, best_score=rng.randint(60, 100),
                                       attempts=1, last_activity_at=at))
                rows.append(PointsEntry(user_id=officer.id, rule="lesson_on_time",
                                        points=5 if at <= lesson.due_at else 2,
                                        source_type="lesson", source_id=lesson.id, at=at))
    db.add_all(rows)
    unitstats.rebuild(db)  # completions written past record_completion
    kind = ClassroomType(key="model", name="组织生活“样板课堂”")
    db.add(kind)
    db.flush()
    branches = sorted({officer.unit_id for officer, _ in officers})
    for n, unit_id in enumerate(branches[::2]):
        room = Classroom(slug=f"room-{n}", type_id=kind.id, unit_id=unit_id, title="样板课堂")
        db.add(room)
        db.flush()
        for k in range(rng.randint(1, 3)):
            session = ClassSession(classroom_id=room.id, topic="主题党课",
                                   starts_at=datetime(2026, 10, 10 + 9 * k, 1))
            db.add(session)
            db.flush()
            db.add_all(Attendance(session_id=session.id, user_id=officer.id)
                       for officer, _ in officers
                       if officer.unit_id == unit_id and rng.random() < .8)
    db.commit()
    boss = make.user(city, roles=("supervisor",), name="周建国")
    return {"boss": boss, "lessons": lessons}


def test_dashboard_on_desktop(page, server_url, sign_in, shot, bureau):
    page.set_viewport_size(DESKTOP)
    sign_in(bureau["boss"].police_no, Factory.PASSWORD)
    page.wait_for_url(f"{server_url}/")
    page.click("nav.nav >> text=完成情况")
    page.wait_for_url(re.compile(r".*/supervise/.*"))
    page.select_option("select[name=period]", "2026Q4")
    page.click(".sv-filter button[type=submit]")
    page.wait_for_url(re.compile(r".*period=2026Q4.*"))
    assert page.locator("h1").inner_text().startswith("市公安局")
    assert page.locator(".sv-chart").count() == 2
    assert page.locator("svg.sv-chart rect.sv-bar").count() == 6
    assert page.locator("svg.sv-chart circle.sv-dot").count() == 10
    assert page.locator(".sv-table tbody tr").count() == 6
    assert page.locator(".sv-table tfoot th").first.inner_text() == "合计"
    shot("dashboard-desktop")

    page.click(".sv-table >> text=交警支队")
    assert page.locator("h1").inner_text().startswith("交警支队")
    assert page.locator(".sv-crumbs a").first.inner_text() == "市公安局"
    page.click(".sv-table tbody tr >> nth=0 >> a")
    page.click(".sv-table tbody tr >> nth=0 >> a")
    assert "党支部" in page.locator("h1").inner_text()
    assert page.locator("#officers tbody tr").count() >= 3


def test_tongbao_prints_on_a4(page, server_url, sign_in, shot, bureau):
    page.set_viewport_size(DESKTOP)
    sign_in(bureau["boss"].police_no, Factory.PASSWORD)
    page.wait_for_url(f"{server_url}/")
    page.emulate_media(media="print")
    page.goto(f"{server_url}/supervise/tongbao?period=2026Q4")
    assert not page.locator(".topbar").is_visible()
    assert not page.locator(".sv-filter").is_visible()
    title = page.locator(".tb-title").inner_text()
    assert "2026年第4季度" in title and "通报" in title
    assert page.locator(".tb-table tbody tr").count() == 24
    assert page.locator(".tb-flagged").count() == 3  # the bottom tenth of 24 branches
    assert page.locator(".tb-flagged").first.locator(".tb-mark").inner_text() == "后进"
    shot("tongbao-print")
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    assert re.search(rb"/MediaBox \[0 0 59[45](\.\d+)? 84[12](\.\d+)?\]", pdf)  # A4 in points
