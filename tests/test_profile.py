"""The learning profile, the home page's lesson card, and the points ledger."""
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from lms.domain.learning import lessons, points, profile
from lms.models import PointsEntry

NOW = datetime(2026, 11, 18, 2, 0)
pytestmark = pytest.mark.usefixtures("frozen_clock")


def weekly(make, weeks_ago: int, **kwargs):
    publish = NOW - timedelta(days=1 + 7 * weeks_ago)
    return make.lesson(publish_at=publish, due_at=publish + timedelta(days=6), **kwargs)


# --- points ledger -------------------------------------------------------------------------

def test_award_pays_once_per_user_rule_and_source(db, make):
    officer = make.user()
    assert points.award(db, officer.id, "courseware_read", "courseware", 7, 1)
    assert not points.award(db, officer.id, "courseware_read", "courseware", 7, 1)
    assert points.award(db, officer.id, "courseware_read", "courseware", 8, 1)
    assert points.award(db, officer.id, "courseware_quiz", "courseware", 7, 2)
    db.commit()
    assert points.total(db, officer.id) == 4
    assert db.scalar(select(func.count()).select_from(PointsEntry)) == 3


def test_history_is_newest_first(db, make):
    officer = make.user()
    points.award(db, officer.id, "lesson_on_time", "lesson", 1, 5, at=NOW - timedelta(days=7))
    points.award(db, officer.id, "lesson_late", "lesson", 2, 2, at=NOW)
    db.commit()
    assert [(line.rule, line.points) for line in points.history(db, officer.id)] == [
        ("lesson_late", 2), ("lesson_on_time", 5)]


# --- which lesson is "this week's" ---------------------------------------------------------

def test_this_weeks_lesson_is_the_latest_published_to_me(db, make):
    tree = make.tree()
    officer = make.user(tree["branch_a"])
    weekly(make, 2)
    mine = weekly(make, 1, audience=[tree["county_a"]])
    weekly(make, 0, audience=[tree["county_b"]])  # newer, but not for my county
    make.lesson(publish_at=NOW + timedelta(days=1), due_at=NOW + timedelta(days=7))
    assert lessons.current(db, officer, NOW).id == mine.id


def test_due_overdue_and_done(db, make):
    officer = make.user()
    old, current = weekly(make, 2), weekly(make, 0)

    def status():
        return {row.id: row.status for row in lessons.list_for_user(db, officer, NOW)}

    assert status() == {old.id: "overdue", current.id: "due"}
    make.attempt(officer, old)
    assert status() == {old.id: "done", current.id: "due"}


# --- the profile page ----------------------------------------------------------------------

def test_profile_shows_this_weeks_lesson_first_then_completions_and_points(
        db, make, client, login):
    officer = make.user(name="李娜")
    earlier = weekly(make, 1, title="第13期 廉洁从警")
    current = weekly(make, 0, title="第14期 行动支部")
    make.attempt(officer, earlier, wrong=("q2",), at=NOW - timedelta(days=6))
    login(officer.police_no)
    page = client.get("/profile").text
    assert page.index("第14期 行动支部") < page.index("第13期 廉洁从警")
    assert "待完成" in page  # this week's, not yet done
    assert "2026-11-12 10:00" in page  # completed 2026-11-12 02:00 UTC, shown in Shanghai
    assert ">80<" in page  # best score
    assert "按时完成微课" in page and "+5" in page
    assert current.id != earlier.id


def test_profile_is_printable(make, client, login):
    officer = make.user()
    login(officer.police_no)
    page = client.get("/profile").text
    assert "print-only" in page and "打印" in page


def test_profile_domain_counts_assigned_and_done(db, make):
    officer = make.user()
    first, _ = weekly(make, 1), weekly(make, 0)
    make.attempt(officer, first, at=NOW - timedelta(days=6))
    built = profile.build(db, officer, NOW)
    assert (built.lessons_assigned, built.lessons_done, built.points) == (2, 1, 7)
    assert {(line.rule, line.title) for line in built.history} == {
        ("lesson_on_time", first.title), ("lesson_perfect", first.title)}


# --- the home page card --------------------------------------------------------------------

def test_home_shows_this_weeks_lesson_first(make, client, login):
    officer = make.user()
    weekly(make, 1, title="第13期 廉洁从警")
    weekly(make, 0, title="第14期 行动支部", summary="临时党组织的组建规范。")
    login(officer.police_no)
    page = client.get("/").text
    card = page[page.index('class="card this-week'):]
    assert card.index("第14期 行动支部") < card.index("开始学习")
    assert "临时党组织的组建规范。" in card
    assert "您有 1 期微课已逾期未完成" in page


def test_home_card_says_done_after_passing(db, make, client, login):
    officer = make.user()
    current = weekly(make, 0)
    make.attempt(officer, current)
    login(officer.police_no)
    page = client.get("/").text
    assert "已完成" in page and "再学一遍" in page and "最高 100 分" in page


def test_home_has_no_lesson_card_for_non_officers(make, client, login):
    trainer = make.user(roles=("trainer",))
    weekly(make, 0, title="第14期 行动支部")
    login(trainer.police_no)
    assert "第14期 行动支部" not in client.get("/").text
