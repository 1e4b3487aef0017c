"""The demo's classrooms as a supervisor sees them on a desktop: the register by type and
state, a classroom's acceptance and sessions, a lecturer's profile."""
import pytest

from lms.domain.demo import bureau
from lms.paths import COURSES_DIR

DESKTOP = {"width": 1366, "height": 900}


@pytest.fixture
def demo(runner):
    assert runner.invoke(args=["lms", "sync-courses", str(COURSES_DIR)]).exit_code == 0
    result = runner.invoke(args=["lms", "demo", "--officers", "300"])
    assert result.exit_code == 0, result.output


def test_the_demo_register_classroom_and_lecturer(page, server_url, sign_in, shot, demo):
    page.set_viewport_size(DESKTOP)
    sign_in("000001", bureau.DEMO_PASSWORD)
    page.wait_for_url(f"{server_url}/")
    counts = {}
    for status in ("applied", "returned", "accepted", "retired"):
        page.goto(f"{server_url}/classrooms/register?type=model&status={status}")
        counts[status] = page.locator("table.register tbody tr td a[href*='/classrooms/']").count()
    assert counts["accepted"] > 5
    page.goto(f"{server_url}/classrooms/register?type=model&status=accepted")
    shot("classrooms-demo-register-desktop")
    page.locator("table.register tbody tr:has(a[href*='/lecturers/']) td a").first.click()
    assert "验收通过" in page.locator("#acceptance").inner_text()
    assert page.locator(".session").count() >= 1
    shot("classrooms-demo-classroom-desktop")
    page.locator(".session a[href*='/lecturers/']").first.click()
    assert "授课记录" in page.locator("main").inner_text()
    shot("classrooms-demo-lecturer-desktop")
