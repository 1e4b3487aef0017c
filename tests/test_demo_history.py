"""The demo shows the product: a year of attempts behind the completions, points, mistake
notebooks and reports; last sign-ins; notifications; a county worth ranking; logins of
every role; plausible issue numbers."""
import re
from collections import Counter, defaultdict
from datetime import datetime

import pytest
from sqlalchemy import func, select

from lms.domain.demo import bureau
from lms.domain.reports import unitstats
from lms.models import (
    Attempt,
    Completion,
    MicroLesson,
    Mistake,
    Notification,
    PointsEntry,
    Unit,
    User,
)
from lms.paths import COURSES_DIR

pytestmark = pytest.mark.usefixtures("frozen_clock")

NOW = datetime(2026, 12, 3, 8, 0)  # a Thursday: the shipped lessons, then two more issues


@pytest.fixture
def demo(runner, db):
    """The shipped courses and a 300-officer demo built on them, as `make run` does."""
    assert runner.invoke(args=["lms", "sync-courses", str(COURSES_DIR)]).exit_code == 0
    result = runner.invoke(args=["lms", "demo", "--officers", "300"])
    assert result.exit_code == 0, result.output
    db.expire_all()
    return result


def test_every_completion_is_backed_by_its_attempts(demo, db):
    attempts = defaultdict(list)
    for a in db.scalars(select(Attempt).order_by(Attempt.submitted_at, Attempt.id)):
        attempts[(a.user_id, a.item_id)].append(a)
    completions = db.scalars(select(Completion).where(Completion.item_type == "lesson")).all()
    assert len(attempts) == len(completions) > 300 * 40
    for c in completions:
        tried = attempts[(c.user_id, c.item_id)]
        assert c.attempts == len(tried)
        assert c.first_score == tried[0].score
        assert c.best_score == max(a.score for a in tried)
        if c.status == "completed":
            assert tried[-1].passed and tried[-1].submitted_at == c.first_completed_at
            assert not any(a.passed for a in tried[:-1])
        else:
            assert not any(a.passed for a in tried)
    statuses = Counter(c.status for c in completions)
    assert statuses["in_progress"] > 0  # some tried, failed and never came back
    assert sum(1 for tried in attempts.values() if len(tried) > 1) > 0  # and some retook it


def test_points_paid_by_attempts_match_the_ledger_and_the_summary_is_exact(demo, db):
    paid = dict(db.execute(select(Attempt.user_id, func.sum(Attempt.points_awarded))
                           .group_by(Attempt.user_id)).all())
    ledger = dict(db.execute(select(PointsEntry.user_id, func.sum(PointsEntry.points))
                             .where(PointsEntry.source_type == "lesson")
                             .group_by(PointsEntry.user_id)).all())
    assert paid == {user: n for user, n in ledger.items()}
    perfect = {(p.user_id, p.source_id) for p in db.scalars(
        select(PointsEntry).where(PointsEntry.rule == "lesson_perfect"))}
    firsts = {(c.user_id, c.item_id) for c in db.scalars(select(Completion).where(
        Completion.status == "completed", Completion.first_score == 100))}
    assert perfect == firsts  # the bonus is for a perfect first attempt only
    assert unitstats.drift(db) == {}


def test_the_mistake_notebooks_hold_every_wrong_answer(demo, db):
    wrong = Counter()
    for results, user in db.execute(select(Attempt.results, Attempt.user_id)):
        wrong.update((user, r["question_id"]) for r in results if not r["correct"])
    notebook = {(m.user_id, m.question_id): m.wrong_count for m in db.scalars(select(Mistake))}
    assert notebook == dict(wrong) and len(notebook) > 300


def test_no_two_lessons_share_a_quiz(demo, db):
    quizzes = Counter(db.scalars(select(MicroLesson.quiz_id)))
    assert quizzes and max(quizzes.values()) == 1


def test_the_notebook_names_the_lesson_the_mistake_was_made_in(demo, db, client, login):
    officer = db.scalar(select(User).where(User.police_no == "000004"))
    attempt = db.scalar(select(Attempt).where(Attempt.user_id == officer.id,
                                              Attempt.score < 100)
                        .order_by(Attempt.submitted_at.desc()))
    lesson = db.get(MicroLesson, attempt.item_id)
    login("000004", bureau.DEMO_PASSWORD)
    page = client.get("/mistakes").text
    assert lesson.title in page


def test_the_statistics_page_counts_the_attempts_table(demo, db, client, login):
    login("000003", bureau.DEMO_PASSWORD)  # the trainer
    lessons = db.scalars(select(MicroLesson).order_by(MicroLesson.publish_at.desc())
                         .limit(10)).all()
    counted = 0
    for lesson in lessons[1:4] + lessons[-2:]:
        attempts = db.scalar(select(func.count()).select_from(Attempt).where(
            Attempt.item_type == "lesson", Attempt.item_id == lesson.id,
            Attempt.status == "submitted"))
        page = client.get(f"/studio/lessons/{lesson.id}/stats").text
        shown = re.search(r"已提交的作答：(\d+) 次", page)
        assert shown and int(shown.group(1)) == attempts
        counted += attempts
    assert counted > 300


def test_officers_have_last_sign_ins_and_some_never_signed_in(demo, db):
    users = db.scalars(select(User).where(User.is_officer)).all()
    last = dict(db.execute(select(Completion.user_id, func.max(Completion.last_activity_at))
                           .group_by(Completion.user_id)).all())
    assert all(u.last_login_at == last.get(u.id) for u in users)
    assert sum(u.last_login_at is not None for u in users) > 250


def test_notifications_are_already_there_some_read(demo, db, client, login):
    kinds = Counter(db.scalars(select(Notification.kind)))
    assert sum(kinds.values()) > 300 and len(kinds) >= 3
    read = db.scalar(select(func.count()).where(Notification.read_at.is_not(None)))
    assert 0 < read < sum(kinds.values())
    login("000004", bureau.DEMO_PASSWORD)
    assert "badge" in client.get("/").text


def test_the_demo_county_has_stations_and_branches_to_rank(demo, db, client, login):
    county = db.scalar(select(Unit).where(Unit.code == "C01"))
    kinds = Counter(db.scalars(select(Unit.kind).where(Unit.path.like(f"{county.path}%"),
                                                         Unit.id != county.id)))
    assert kinds["station"] >= 3 and kinds["branch"] >= 4
    login("000002", bureau.DEMO_PASSWORD)
    page = client.get("/supervise/tongbao").text
    assert page.count('class="tb-name') >= 4


def test_demo_logins_cover_every_role_in_different_units(demo, db):
    logins = {u.police_no: u for u in db.scalars(
        select(User).where(User.police_no.in_(bureau.LOGIN_NOTES)))}
    assert len(logins) == len(bureau.LOGINS) >= 9
    places = {(u.unit.kind, u.is_supervisor) for u in logins.values()}
    assert {("bureau", True), ("county", True), ("station", True), ("branch", True)} <= places
    for role in ("officer", "trainer", "admin"):
        holders = [u for u in logins.values() if u.roles == [role] or
                   (role != "officer" and u.has_role(role))]
        assert len({u.unit_id for u in holders}) >= 2, role
    secretaries = [u for no, u in logins.items() if bureau.LOGIN_NOTES[no] == "党支部书记"]
    assert len({u.unit_id for u in secretaries}) == 2
    for no, u in logins.items():  # the output `make run` shows: number, password, role, unit
        line = next(line for line in demo.output.splitlines() if line.strip().startswith(no))
        assert bureau.DEMO_PASSWORD in line and bureau.LOGIN_NOTES[no] in line
        assert u.unit.name in line


def test_if_empty_repeats_every_login_with_role_and_unit(demo, runner):
    again = runner.invoke(args=["lms", "demo", "--officers", "300", "--if-empty"])
    assert again.exit_code == 0
    for no, note in bureau.LOGIN_NOTES.items():
        line = next(line for line in again.output.splitlines() if line.strip().startswith(no))
        assert bureau.DEMO_PASSWORD in line and note in line


def test_back_issues_are_numbered_as_the_previous_season(demo, db):
    lessons = db.scalars(select(MicroLesson).order_by(MicroLesson.publish_at)).all()
    shipped = [lesson for lesson in lessons if lesson.source_path]
    assert [lesson.issue_no for lesson in shipped] == list(range(1, 15))
    assert shipped[0].title.startswith("第1期 ")
    before = [lesson for lesson in lessons if lesson.publish_at < shipped[0].publish_at]
    assert before and all(1000 < lesson.issue_no for lesson in before)
    numbers = [lesson.issue_no for lesson in before]
    assert numbers == list(range(numbers[0], 202553)) and numbers[-1] == 202552
    assert before[-1].title.startswith("2025年度第52期 ")
    after = [lesson for lesson in lessons if lesson.publish_at > shipped[-1].publish_at]
    assert [lesson.issue_no for lesson in after] == list(range(15, 15 + len(after)))
    assert not any(1000 < lesson.issue_no < 100000 for lesson in lessons)
