"""The demo as people meet it, in real Chromium: the county supervisor's sorted tables, the
trainer's per-question statistics and the officer's mistake notebook, all from the demo's
year of attempts."""
import re
from datetime import datetime

import pytest

from lms.domain.demo import bureau
from lms.paths import COURSES_DIR

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
NOW = datetime(2026, 12, 3, 8, 0)


@pytest.fixture
def demo(runner, frozen_clock):
    assert runner.invoke(args=["lms", "sync-courses", str(COURSES_DIR)]).exit_code == 0
    result = runner.invoke(args=["lms", "demo", "--officers", "300"])
    assert result.exit_code == 0, result.output


def test_the_county_supervisor_sorts_the_demo_county(demo, page, server_url, sign_in, shot):
    page.set_viewport_size(DESKTOP)
    sign_in("000002", bureau.DEMO_PASSWORD)
    page.wait_for_url(f"{server_url}/")
    page.goto(f"{server_url}/supervise/")
    page.click("table.sv-table thead >> text=完成率")
    page.wait_for_url(re.compile(r".*sort=rate.*"))
    header = page.locator("th[aria-sort]")
    assert header.inner_text().startswith("完成率") and header.get_attribute(
        "aria-sort") == "descending"
    table = page.locator("table.sv-table").first  # the units; the officers' table follows
    units = table.locator("tbody tr td:first-child").all_inner_texts()
    rates = [float(t.rstrip("%")) for t in table.locator(
        "tbody td[data-label=完成率]").all_inner_texts()]
    assert units[-1].endswith("（本级）")  # the county's own officers: not ranked with units
    assert len(rates) >= 4 and rates[:-1] == sorted(rates[:-1], reverse=True)
    shot("demo-dashboard-sorted-desktop")
    page.goto(f"{server_url}/supervise/tongbao")
    assert page.locator(".tb-cutoff").inner_text().startswith("截至")
    page.click(".tb-table thead >> text=首次平均分")
    page.wait_for_url(re.compile(r".*sort=first_average.*"))
    assert page.locator(".tb-table tbody tr").count() >= 4
    shot("demo-tongbao-sorted-desktop")


def test_the_trainer_and_the_officer_see_the_years_attempts(demo, page, server_url, sign_in,
                                                            shot, db):
    from sqlalchemy import select

    from lms.models import MicroLesson
    lesson_id = db.scalar(select(MicroLesson.id).where(MicroLesson.issue_no == 202552))
    db.close()  # SQLite: no read transaction left open while the server writes
    page.set_viewport_size(DESKTOP)
    sign_in("000003", bureau.DEMO_PASSWORD)
    page.wait_for_url(f"{server_url}/")
    page.goto(f"{server_url}/studio/lessons/{lesson_id}/stats")
    assert "2025年度第52期" in page.locator("h1").inner_text()
    attempts = int(re.search(r"(\d+)", page.locator(".st-summary-line").inner_text()).group(1))
    assert attempts > 200
    shot("demo-lesson-stats-desktop")
    page.goto(f"{server_url}/logout")
    page.context.clear_cookies()
    page.set_viewport_size(PHONE)
    sign_in("000004", bureau.DEMO_PASSWORD)
    page.wait_for_url(f"{server_url}/")
    page.goto(f"{server_url}/mistakes")
    assert page.locator("form").count() >= 1
    shot("demo-mistakes-phone")
