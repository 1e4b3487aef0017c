"""Points for an activity in real Chromium at phone size: an officer claims a study visit
with a photo, the branch secretary sees the photo and approves."""
from datetime import datetime

import pytest
from factories import Factory
from PIL import Image, ImageDraw
from sqlalchemy import select

from lms.domain.claims import rules
from lms.models import PointsClaim, PointsEntry

PHONE = {"width": 390, "height": 844}
NOW = datetime(2026, 11, 18, 2, 0)  # 10:00 in Shanghai
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"


@pytest.fixture
def people(app, db, make, frozen_clock, tmp_path, monkeypatch):
    """A branch with its secretary and an officer; the default rules; a photo on disk."""
    monkeypatch.setitem(app.config, "LMS_EVIDENCE_DIR", str(tmp_path / "evidence"))
    rules.seed_defaults(db)
    branch = make.unit("平江派出所党支部", parent=make.unit("平江派出所", "station"))
    secretary = make.user(branch, roles=("officer", "supervisor"), name="王书记")
    officer = make.user(branch, name="李娜")
    photo = tmp_path / "visit.jpg"
    image = Image.new("RGB", (640, 480), (236, 240, 245))
    draw = ImageDraw.Draw(image)
    draw.rectangle((60, 120, 580, 420), fill=(190, 30, 45))
    draw.polygon([(40, 130), (320, 30), (600, 130)], fill=(150, 20, 30))
    for x in range(110, 560, 90):
        draw.rectangle((x, 200, x + 40, 420), fill=(245, 220, 160))
    image.save(photo, "JPEG", quality=85)
    db.commit()
    return secretary.police_no, officer.police_no, officer.id, photo


def test_an_officer_claims_a_study_visit_and_the_secretary_approves(
        page, server_url, db, sign_in, shot, people):
    secretary_no, officer_no, officer_id, photo = people
    page.set_viewport_size(PHONE)
    sign_in(officer_no, Factory.PASSWORD)
    page.wait_for_url(f"{server_url}/")
    page.goto(f"{server_url}/profile")
    page.get_by_role("link", name="申报活动积分").click()
    page.wait_for_url(f"{server_url}/points/")
    page.select_option("select[name=rule]", "study_visit")
    page.fill("input[name=occurred_on]", "2026-11-15")
    page.fill("textarea[name=note]", "随支部沿第3条走学线路到平江路党建品牌单位参观学习")
    page.set_input_files("input[name=evidence]", str(photo))
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    shot("points-claim-phone")
    page.get_by_role("button", name="提交申报").click()
    page.wait_for_url(f"{server_url}/points/")
    assert "已提交申报" in page.inner_text("body")
    assert "待审批" in page.inner_text(".claim-list")
    shot("points-claim-sent-phone")

    page.context.clear_cookies()
    sign_in(secretary_no, Factory.PASSWORD)
    page.wait_for_url(f"{server_url}/")
    page.goto(f"{server_url}/points/review")
    card = page.locator("section.claim").first
    assert "李娜" in card.inner_text() and "走学参观" in card.inner_text()
    img = card.locator("img.claim-photo")
    img.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth === 640",
                           arg=img.element_handle())
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    shot("points-review-phone")
    card.get_by_role("button", name="批准").click()
    page.wait_for_url(f"{server_url}/points/review")
    assert "已批准，积分已记入" in page.inner_text("body")
    shot("points-approved-phone")

    db.expire_all()
    assert db.scalar(select(PointsClaim.status)) == "approved"
    assert db.execute(select(PointsEntry.rule, PointsEntry.points)
                      .where(PointsEntry.user_id == officer_id)).all() == [("study_visit", 5)]
