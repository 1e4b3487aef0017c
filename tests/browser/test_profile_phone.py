"""The profile on a phone: this year's figures and the monthly bars come before the record."""
from datetime import timedelta

from factories import Factory

from lms.domain.learning import points
from lms.models import utcnow


def test_profile_year_first_on_a_phone(page, server_url, db, make, sign_in, shot):
    page.set_viewport_size({"width": 390, "height": 844})
    officer = make.user(name="李娜")
    now = utcnow()
    for n in range(25):
        lesson = make.lesson(title=f"第{n + 1}期 微课", publish_at=now - timedelta(days=7 * n + 8),
                             due_at=now - timedelta(days=7 * n + 2))
        if n % 3:
            make.completion(officer, lesson, now - timedelta(days=7 * n + 3))
            points.award(db, officer.id, "lesson_on_time", "lesson", lesson.id, 5,
                         at=now - timedelta(days=7 * n + 3))
    db.commit()
    sign_in(officer.police_no, Factory.PASSWORD)
    page.wait_for_url(f"{server_url}/")
    page.goto(f"{server_url}/profile")
    year = page.locator("section.year").bounding_box()
    assert year["y"] < page.locator("#record").bounding_box()["y"]
    assert year["y"] + year["height"] < 2 * 844  # the year fits in about two screens
    assert page.locator("table.bars svg.bar").count() >= 2
    assert page.locator("table.completions tbody tr").count() == 16  # 16 done, one page
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(shot("profile-year-phone").with_name("profile-year-phone-top.png")))
    page.set_viewport_size({"width": 1366, "height": 900})
    page.screenshot(path=str(shot("profile-year-desktop").with_name("profile-year-desktop-top.png")))
