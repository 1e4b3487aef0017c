"""The profile on a phone: this year's figures and a bar per month first, the record paged."""
import re
from datetime import datetime, timedelta

import pytest

from lms.domain.learning import lessons, points, yearview

NOW = datetime(2026, 11, 18, 2, 0)  # 18 November, 10:00 in Shanghai
TZ = "Asia/Shanghai"
pytestmark = pytest.mark.usefixtures("frozen_clock")


def _lesson(make, due):
    return make.lesson(publish_at=due - timedelta(days=6), due_at=due)


def test_the_year_counts_owed_done_and_points_by_local_month(db, make):
    officer = make.user()
    october_done = _lesson(make, datetime(2026, 10, 10, 2))
    _lesson(make, datetime(2026, 10, 20, 2))  # owed, not done
    _lesson(make, datetime(2026, 10, 31, 17))  # 1 November 01:00 local: a November lesson
    _lesson(make, datetime(2025, 12, 20, 2))  # last year: not counted
    _lesson(make, datetime(2026, 11, 20, 2))  # due later this month: owed in November
    make.completion(officer, october_done, datetime(2026, 10, 9, 2))
    points.award(db, officer.id, "lesson_on_time", "lesson", october_done.id, 5,
                 at=datetime(2026, 10, 9, 2))
    points.award(db, officer.id, "courseware_read", "courseware", 3, 1,
                 at=datetime(2026, 10, 31, 17))  # November locally
    points.award(db, officer.id, "courseware_read", "courseware", 4, 1,
                 at=datetime(2025, 12, 31, 15))  # 23:00 on 31 December 2025: last year
    db.commit()
    year = yearview.build(db, officer.id, lessons.list_for_user(db, officer, NOW), NOW, TZ)
    assert (year.year, year.owed, year.done, year.points) == (2026, 4, 1, 6)
    assert [m.month for m in year.months] == list(range(1, 12))
    october, november = year.months[9], year.months[10]
    assert (october.owed, october.done, october.percent, october.points) == (2, 1, 50, 5)
    assert (november.owed, november.done, november.percent, november.points) == (2, 0, 0, 1)
    assert year.max_points == 5


def test_the_profile_shows_the_year_first_and_pages_the_record(db, make, login, client):
    officer = make.user()
    for n in range(23):
        lesson = make.lesson(title=f"记录{n:02d}", publish_at=NOW - timedelta(days=100 + n),
                             due_at=NOW - timedelta(days=94 + n))
        make.completion(officer, lesson, NOW - timedelta(days=95 + n))
    login(officer.police_no)
    page = client.get("/profile").text
    assert page.index("2026 年学习情况") < page.index("完成记录")
    assert len(re.findall(r"记录\d\d</td>", page)) == 20
    assert "第 1 / 2 页" in page and "/profile?page=2#record" in page
    second = client.get("/profile?page=2").text
    assert "记录22</td>" in second and "记录00</td>" not in second
    assert 'href="/profile?all=1"' in page  # folded and paged on screen, whole on paper
    everything = client.get("/profile?all=1").text
    assert len(re.findall(r"记录\d\d</td>", everything)) == 23
