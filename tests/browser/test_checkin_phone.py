"""Classroom check-in in real Chromium: the code on the room's screen, typed on a phone."""
from datetime import datetime

import pytest
from factories import Factory

from lms.auth.session import passwords
from lms.domain.classrooms import checkins
from lms.domain.classrooms import lifecycle as rooms

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
NOW = datetime(2026, 11, 20, 10, 0)  # 18:00 in Shanghai
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"


@pytest.fixture
def session(db, make, frozen_clock):
    """Tonight's session of an accepted classroom of a station's branch (the clock at NOW)."""
    branch = make.unit("平江派出所党支部", parent=make.unit("平江派出所", "station"))
    kind = make.classroom_type("组织生活“样板课堂”", key="model")
    room = make.classroom("“三会一课”规范化示范观摩", kind, branch)
    trainer = make.user(branch, roles=("trainer",))
    meeting = rooms.schedule(db, trainer, room, datetime(2026, 11, 20, 18, 30),
                             "学习新修订的《中国共产党纪律处分条例》", None, "Asia/Shanghai")
    db.commit()
    return meeting, trainer, room.slug  # read now: a lazy load later would hold SQLite's lock


def test_checking_in_on_a_phone(page, server_url, make, db, sign_in, shot, session):
    page.set_viewport_size(PHONE)
    meeting, trainer, _ = session
    code = checkins.open_checkin(db, trainer, meeting, passwords().hash_code, NOW)
    db.commit()
    officer = make.user(name="李娜")
    sign_in(officer.police_no, Factory.PASSWORD)
    page.wait_for_url(f"{server_url}/")

    page.goto(f"{server_url}/classrooms")
    page.get_by_role("link", name="课堂签到").click()
    page.wait_for_url(f"{server_url}/classrooms/checkin")
    field = page.locator("input[name=code]")
    box = field.bounding_box()
    assert box["height"] >= 48 and box["width"] >= 300  # a thumb-sized target
    field.fill(code.lower())
    assert field.evaluate("e => getComputedStyle(e).textTransform") == "uppercase"
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    shot("checkin-phone")

    page.get_by_role("button", name="签到", exact=True).click()
    page.wait_for_url(f"{server_url}/classrooms/checkin")
    done = page.locator(".checkin-done")
    assert "签到成功" in done.inner_text() and "党建积分 +3" in done.inner_text()
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    shot("checkin-phone-done")


def test_a_wrong_code_on_a_phone(page, server_url, make, sign_in, session):
    page.set_viewport_size(PHONE)
    sign_in(make.user().police_no, Factory.PASSWORD)
    page.wait_for_url(f"{server_url}/")
    page.goto(f"{server_url}/classrooms/checkin")
    page.fill("input[name=code]", "ZZZZZZ")
    page.get_by_role("button", name="签到", exact=True).click()
    assert "签到码不正确" in page.locator("[role=alert]").inner_text()
    assert page.locator("input[name=code]").input_value() == "ZZZZZZ"


def test_the_code_on_the_rooms_screen(page, server_url, sign_in, shot, session):
    page.set_viewport_size(DESKTOP)
    _, trainer, slug = session
    sign_in(trainer.police_no, Factory.PASSWORD)
    page.wait_for_url(f"{server_url}/")
    page.goto(f"{server_url}/classrooms/{slug}")
    page.get_by_role("button", name="开启签到").click()
    letters = page.locator(".checkin-code span")
    assert letters.count() == checkins.CODE_LENGTH
    assert set("".join(letters.all_inner_texts())) <= set(checkins.CODE_ALPHABET)
    assert letters.first.bounding_box()["height"] >= 100  # legible from the back of a room
    card = page.locator(".checkin-screen").bounding_box()
    last = letters.last.bounding_box()
    assert last["x"] + last["width"] <= card["x"] + card["width"]
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    assert "20:30 前有效" in page.locator(".checkin-screen").inner_text()
    shot("checkin-code-screen")
    page.goto(f"{server_url}/classrooms/{slug}")
    assert "签到中" in page.locator(".session").inner_text()
    assert "重新生成签到码" in page.locator(".session").inner_text()
