"""Defects found walking every role through the 2026-12-03 demo in Chromium, each pinned by
the user's view of it (docs/WALKTHROUGH-2026-12-03.md)."""
import re
from datetime import datetime, timedelta

from factories import Factory

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"
NOW = datetime(2026, 12, 3, 1, 0)  # Thursday of week 49, 09:00 in Shanghai
LONG_TITLE = "第15期 党支部标准化规范化建设与“两汇报、两跟进、三到位”支部工作制度的落实情况回头看"


def _in_english(page):
    page.locator("footer button", has_text="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"


def test_secretary_dashboard_on_a_phone_in_english(page, server_url, make, sign_in, shot,
                                                     frozen_clock):
    branch = make.unit("观前派出所党支部")
    secretary = make.user(branch, roles=("officer", "supervisor"), name="陈静")
    make.user(branch)
    make.lesson_due(datetime(2026, 11, 29, 23, 59), title=LONG_TITLE)
    make.lesson_due(datetime(2026, 11, 29, 23, 59) - timedelta(weeks=1))
    page.set_viewport_size(PHONE)
    sign_in(secretary.police_no, Factory.PASSWORD)
    page.wait_for_url(f"{server_url}/")
    page.goto(f"{server_url}/supervise/")
    assert page.evaluate(NO_SIDEWAYS_SCROLL)  # the lesson picker's long title stays inside
    assert "2026年第" in page.locator("select[name=period]").inner_text()
    _in_english(page)
    shot("walk-secretary-dashboard-en-phone")
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    periods = page.locator("select[name=period] option").all_inner_texts()
    assert periods and all(re.fullmatch(r"(Week \d+, |Q[1-4] )?\d{4}", p) for p in periods), periods
    assert "年第" not in page.locator("main").inner_text()
    assert "Export: Excel" in page.locator("main").inner_text()  # not "Export:Excel"


def test_quarter_leaderboard_names_the_quarter_in_english(page, server_url, make, sign_in,
                                                          frozen_clock):
    officer = make.user(make.unit("平江派出所党支部"), name="李娜")
    page.set_viewport_size(PHONE)
    sign_in(officer.police_no, Factory.PASSWORD)
    page.wait_for_url(f"{server_url}/")
    page.goto(f"{server_url}/profile/leaderboard?period=quarter")
    assert re.search(r"本季度 · \d{4}年第[1-4]季度", page.locator("main").inner_text())
    _in_english(page)
    tab = page.locator("nav.cw-tabs a[aria-current=page]").inner_text()
    assert re.fullmatch(r"This quarter · Q[1-4] \d{4}", tab), tab


def test_the_claim_page_names_only_the_activities_this_officer_may_claim(db, page, server_url,
                                                                        make, sign_in):
    from lms.domain.claims import rules
    rules.seed_defaults(db)
    db.commit()
    branch = make.unit("平江派出所党支部")
    officer, lecturer = make.user(branch), make.user(branch, roles=("officer", "trainer"))
    db.close()  # SQLite: no read transaction left open while the server writes
    page.set_viewport_size(PHONE)
    sign_in(officer.police_no, Factory.PASSWORD)
    page.wait_for_url(f"{server_url}/")
    page.goto(f"{server_url}/points/")
    intro = page.locator(".claim-form > p.muted").first.inner_text()
    assert "（支部活动、走学参观）" in intro and "主讲课堂" not in intro
    assert page.locator("select[name=rule] option").all_inner_texts() == ["支部活动", "走学参观"]
    page.goto(f"{server_url}/logout")
    page.context.clear_cookies()
    sign_in(lecturer.police_no, Factory.PASSWORD)
    page.wait_for_url(f"{server_url}/")
    page.goto(f"{server_url}/points/")
    intro = page.locator(".claim-form > p.muted").first.inner_text()
    assert "（主讲课堂、支部活动、走学参观）" in intro


def test_every_desktop_nav_entry_is_in_sight_in_english(page, server_url, make, sign_in, shot):
    everyone = make.user(make.unit("政治部", "department"),
                         roles=("officer", "trainer", "supervisor", "admin"))
    page.set_viewport_size(DESKTOP)
    sign_in(everyone.police_no, Factory.PASSWORD)
    page.wait_for_url(f"{server_url}/")
    for language in ("zh", "en"):
        if language == "en":
            _in_english(page)
        nav = page.locator("header nav.nav")
        labels = nav.locator("a").all_inner_texts()
        assert len(labels) >= 12, labels
        assert nav.evaluate("n => n.scrollWidth <= n.clientWidth"), "entries scrolled out of sight"
        for link in nav.locator("a").all():
            box = link.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= DESKTOP["width"], link
    assert "Audit log" in labels
    shot("walk-admin-nav-en-desktop")


# Each role's reachable pages in the demo, crawled by following links: none may answer 404
# or 500. Ids and slugs are collapsed so each page shape is fetched twice at most.
SKIP = re.compile(r"/logout|/language/|/export|/download|/evidence|/codes|\.(csv|xlsx|png|jpg)\b")
ROLES = {"officer": "000004", "secretary": "000005", "supervisor": "000002",
         "trainer": "000003", "admin": "000001"}


def _shape(path):
    path = re.sub(r"/\d+", "/N", path)
    return re.sub(r"/[a-z0-9]+(-[a-z0-9]+)+", "/S", path.split("?")[0]) + (
        "?" + re.sub(r"=[^&]*", "", path.split("?")[1]) if "?" in path else "")


def test_no_dead_link_in_any_roles_reach(runner, page, server_url, sign_in):
    from lms.domain.demo import bureau
    from lms.paths import COURSES_DIR
    assert runner.invoke(args=["lms", "sync-courses", str(COURSES_DIR)]).exit_code == 0
    assert runner.invoke(args=["lms", "demo", "--officers", "30"]).exit_code == 0
    dead = []
    for role, police_no in ROLES.items():
        page.context.clear_cookies()
        sign_in(police_no, bureau.DEMO_PASSWORD)
        page.wait_for_url(f"{server_url}/")
        queue, seen, shapes, fetched = ["/"], {"/"}, {}, 0
        while queue and fetched < 80:
            path = queue.pop(0)
            shape = _shape(path)
            if shapes.get(shape, 0) >= 2:
                continue
            shapes[shape] = shapes.get(shape, 0) + 1
            response = page.request.get(server_url + path)
            fetched += 1
            if response.status >= 400:
                dead.append((role, path, response.status))
                continue
            if "html" not in response.headers.get("content-type", ""):
                continue
            for href in re.findall(r'href="(/[^"#]*)"', response.text()):
                href = href.replace("&amp;", "&")
                if href not in seen and not SKIP.search(href) and not href.startswith("/static"):
                    seen.add(href)
                    queue.append(href)
        assert fetched >= 10, (role, fetched)
    assert dead == []
