"""Escalating reminders: only the incomplete, never twice, officer → branch → county on time."""
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from lms.domain.learning import completion
from lms.domain.reminders import escalation
from lms.models import Notification

TZ = "Asia/Shanghai"
DUE = datetime(2026, 11, 20, 10, 0)  # 18:00 on a Friday in Shanghai
PUBLISHED = DUE - timedelta(days=5)
HOUR, DAY = timedelta(hours=1), timedelta(days=1)


class RecordingNotifier:
    """Remembers every batch it is handed."""

    def __init__(self):
        self.batches = []

    def deliver(self, notifications):
        self.batches.append(list(notifications))

    @property
    def delivered(self):
        return [n for batch in self.batches for n in batch]


@pytest.fixture
def org(make):
    """Two counties, a branch each: officers a1, a2 (branch A), b1 (branch B), and a
    supervisor sitting in each branch and each county (supervisors are not officers here)."""
    units = make.tree()
    people = {
        "a1": make.user(units["branch_a"], name="张一"),
        "a2": make.user(units["branch_a"], name="张二"),
        "b1": make.user(units["branch_b"], name="李一"),
        "sup_a": make.user(units["branch_a"], roles=("supervisor",), name="支书甲"),
        "sup_b": make.user(units["branch_b"], roles=("supervisor",), name="支书乙"),
        "county_a": make.user(units["county_a"], roles=("supervisor",), name="县领导甲"),
        "county_b": make.user(units["county_b"], roles=("supervisor",), name="县领导乙"),
    }
    return units, people


@pytest.fixture
def lesson(make):
    return make.lesson(title="第14期 行动支部", publish_at=PUBLISHED, due_at=DUE)


def run(db, now, notifier=None):
    return escalation.plan_and_send(db, now, TZ, notifier or RecordingNotifier())


def complete(db, user, lesson, at):
    completion.mark_completed(db, user.id, "lesson", lesson.id, at, score=100, attempted=True)
    db.commit()


def received(db, kind):
    """{user_id: [dedupe_key, ...]} of the stored notifications of one kind."""
    result = {}
    for user_id, key in db.execute(select(Notification.user_id, Notification.dedupe_key)
                                   .where(Notification.kind == kind).order_by(Notification.id)):
        result.setdefault(user_id, []).append(key)
    return result


def ids(*users):
    return {user.id for user in users}


def test_a_new_lesson_is_announced_to_every_officer_once(db, org, lesson):
    _, p = org
    report = run(db, PUBLISHED + HOUR)
    assert report.new == 3
    assert set(received(db, "lesson_new")) == ids(p["a1"], p["a2"], p["b1"])
    note = db.scalar(select(Notification).where(Notification.user_id == p["a1"].id))
    assert note.title == "本周微课已发布" and note.link == f"/lessons/{lesson.id}"
    assert "2026-11-20 18:00" in note.body  # the due time in the bureau's zone
    assert run(db, PUBLISHED + 2 * HOUR).total == 0


def test_the_due_reminder_goes_only_to_officers_who_have_not_completed(db, org, lesson):
    _, p = org
    complete(db, p["a1"], lesson, DUE - 2 * DAY)
    report = run(db, DUE - 12 * HOUR)
    assert report.due == 2
    assert received(db, "lesson_due") == {p["a2"].id: [f"lesson-due:{lesson.id}"],
                                          p["b1"].id: [f"lesson-due:{lesson.id}"]}


def test_no_due_reminder_more_than_a_day_ahead(db, org, lesson):
    assert run(db, DUE - DAY - HOUR).due == 0
    assert run(db, DUE - DAY + HOUR).due == 3


def test_running_twice_sends_nothing_the_second_time(db, org, lesson):
    first, second = RecordingNotifier(), RecordingNotifier()
    assert run(db, DUE + 4 * DAY, first).total > 0
    assert run(db, DUE + 4 * DAY, second).total == 0
    assert second.batches == []


def test_the_notifier_receives_exactly_the_new_notifications(db, org, lesson):
    _, p = org
    notifier = RecordingNotifier()
    run(db, DUE - 12 * HOUR, notifier)  # the announcement and the due reminder
    stored_before = set(db.scalars(select(Notification.id)))
    assert sorted(n.id for n in notifier.delivered) == sorted(stored_before)
    complete(db, p["a1"], lesson, DUE - HOUR)
    later = RecordingNotifier()
    report = run(db, DUE + HOUR, later)
    new_ids = set(db.scalars(select(Notification.id))) - stored_before
    assert sorted(n.id for n in later.delivered) == sorted(new_ids)
    assert len(new_ids) == report.total == 2 + 2  # a2 and b1 overdue; two branch digests


def test_overdue_goes_to_the_officer_and_the_branch_supervisors_not_yet_the_county(
        db, org, lesson):
    _, p = org
    complete(db, p["a1"], lesson, DUE - HOUR)
    report = run(db, DUE + HOUR)
    assert (report.overdue, report.branch, report.county) == (2, 2, 0)
    assert set(received(db, "lesson_overdue")) == ids(p["a2"], p["b1"])
    assert received(db, "overdue_branch") == {
        p["sup_a"].id: [f"overdue-branch:{lesson.id}:{p['a2'].unit_id}:0"],
        p["sup_b"].id: [f"overdue-branch:{lesson.id}:{p['b1'].unit_id}:0"]}


def test_the_branch_digest_says_how_many_and_who(db, org, lesson):
    units, p = org
    complete(db, p["a1"], lesson, DUE + HOUR)
    run(db, DUE + 2 * HOUR)
    digest = db.scalar(select(Notification).where(Notification.user_id == p["sup_a"].id))
    assert "1 人" in digest.title and "第14期 行动支部" in digest.title
    assert units["branch_a"].name in digest.body and "1 人未完成" in digest.body
    assert f"张二（{p['a2'].police_no}）" in digest.body and "张一" not in digest.body


def test_a_digest_calls_a_branch_its_branch_and_any_other_unit_its_unit(db, make, org, lesson):
    units, p = org
    make.user(units["county_a"], name="县机关民警")  # sits in the county's own office
    for user in (p["a1"], p["b1"]):
        complete(db, user, lesson, DUE - HOUR)
    run(db, DUE + HOUR)  # a2 (branch A) and the county office's officer are missing
    titles = {n.user_id: n.title for n in db.scalars(
        select(Notification).where(Notification.kind == "overdue_branch"))}
    assert set(titles) == ids(p["sup_a"], p["county_a"])
    assert titles[p["sup_a"].id].startswith("本支部逾期未学 1 人")
    assert titles[p["county_a"].id].startswith("本单位逾期未学 1 人")


def test_the_county_hears_after_three_more_days(db, org, lesson):
    units, p = org
    run(db, DUE + HOUR)
    assert run(db, DUE + 3 * DAY - HOUR).county == 0
    report = run(db, DUE + 3 * DAY + HOUR)
    assert (report.branch, report.county) == (0, 2)
    assert received(db, "overdue_county") == {
        p["county_a"].id: [f"overdue-county:{lesson.id}:{units['county_a'].id}:0"],
        p["county_b"].id: [f"overdue-county:{lesson.id}:{units['county_b'].id}:0"]}
    digest = db.scalar(select(Notification).where(Notification.user_id == p["county_a"].id))
    assert "2 人" in digest.title and units["branch_a"].name in digest.body
    assert "张一" in digest.body and "张二" in digest.body and "李一" not in digest.body


def test_digests_repeat_every_seven_days_while_overdue(db, org, lesson):
    _, p = org
    moments = [DUE + HOUR, DUE + 3 * DAY + HOUR, DUE + 6 * DAY, DUE + 7 * DAY + HOUR,
               DUE + 10 * DAY + HOUR, DUE + 14 * DAY + HOUR]
    reports = [run(db, moment) for moment in moments]
    assert [(r.branch, r.county) for r in reports] == [
        (2, 0), (0, 2), (0, 0), (2, 0), (0, 2), (2, 0)]
    assert [key.rsplit(":", 1)[1] for key in received(db, "overdue_branch")[p["sup_a"].id]] == [
        "0", "1", "2"]
    # The officer's own overdue notice comes once, in the first overdue week.
    assert received(db, "lesson_overdue")[p["a1"].id] == [f"lesson-overdue:{lesson.id}"]


def test_a_completion_between_runs_stops_further_reminders(db, org, lesson):
    _, p = org
    run(db, DUE + HOUR)
    complete(db, p["a1"], lesson, DUE + 2 * DAY)
    complete(db, p["a2"], lesson, DUE + 2 * DAY)
    report = run(db, DUE + 7 * DAY + HOUR)
    assert report.branch == 1  # branch B only: branch A is done
    assert [keys[-1] for keys in received(db, "overdue_branch").values()] == [
        f"overdue-branch:{lesson.id}:{p['a2'].unit_id}:0",
        f"overdue-branch:{lesson.id}:{p['b1'].unit_id}:1"]
    run(db, DUE + 10 * DAY + HOUR)
    assert set(received(db, "overdue_county")) == ids(p["county_b"])


def test_after_a_run_nothing_is_left_to_plan(db, org, lesson):
    # The planner skips what was sent (so repeated runs stay cheap), not only the insert.
    for moment in (PUBLISHED + HOUR, DUE - 12 * HOUR, DUE + 4 * DAY, DUE + 8 * DAY):
        assert run(db, moment).total > 0
        assert escalation.plan(db, moment, TZ) == {step: [] for step in escalation.STEPS}


def test_a_department_counts_as_a_county(db, make, org):
    units, _ = org
    department = make.unit("政治部", "department", units["city"])
    section = make.unit("组织科党支部", "branch", department)
    officer = make.user(section, name="赵一")
    head = make.user(department, roles=("supervisor",))
    lesson = make.lesson(publish_at=PUBLISHED, due_at=DUE, audience=[department])
    run(db, DUE + 4 * DAY)
    digest = db.scalar(select(Notification).where(Notification.user_id == head.id))
    assert digest.dedupe_key == f"overdue-county:{lesson.id}:{department.id}:0"
    assert f"赵一（{officer.police_no}）" in digest.body


def test_when_everyone_has_completed_nobody_is_reminded(db, org, lesson):
    _, p = org
    for officer in ("a1", "a2", "b1"):
        complete(db, p[officer], lesson, DUE - DAY)
    assert run(db, DUE - 12 * HOUR).due == 0
    assert run(db, DUE + 4 * DAY).total == 0


def test_an_audience_restricted_lesson_reminds_only_its_audience(db, make, org):
    units, p = org
    restricted = make.lesson(publish_at=PUBLISHED, due_at=DUE, audience=[units["county_a"]])
    report = run(db, DUE - 12 * HOUR)
    assert (report.new, report.due) == (2, 2)
    assert set(received(db, "lesson_due")) == ids(p["a1"], p["a2"])
    run(db, DUE + 4 * DAY)
    assert set(received(db, "overdue_branch")) == ids(p["sup_a"])
    assert set(received(db, "overdue_county")) == ids(p["county_a"])
    assert all(key.endswith(f":{restricted.id}") for keys in received(db, "lesson_due").values()
               for key in keys)


def test_inactive_accounts_and_non_officers_get_no_reminders(db, make, org, lesson):
    units, p = org
    gone = make.user(units["branch_a"], active=False)
    trainer = make.user(units["branch_a"], roles=("trainer",))
    make.user(units["branch_b"], roles=("supervisor",), active=False)
    run(db, DUE - 12 * HOUR)
    run(db, DUE + HOUR)
    everyone = {user_id for kind in ("lesson_new", "lesson_due", "overdue_branch")
                for user_id in received(db, kind)}
    assert not everyone & ids(gone, trainer)
    assert set(received(db, "overdue_branch")) == ids(p["sup_a"], p["sup_b"])


def test_drafts_unpublished_and_future_lessons_are_left_alone(db, make, org):
    make.lesson(publish_at=PUBLISHED, due_at=DUE, status="draft")
    make.lesson(publish_at=DUE + DAY, due_at=DUE + 8 * DAY)
    assert run(db, DUE - 12 * HOUR).total == 0
    assert run(db, DUE + 12 * HOUR).total == 0  # the draft is overdue; the other not yet out


def test_an_old_lesson_is_not_announced_as_new(db, make, org):
    make.lesson(publish_at=DUE - 20 * DAY, due_at=DUE + 2 * DAY)
    assert run(db, DUE - 12 * HOUR).new == 0


def test_a_failing_notifier_does_not_stop_the_run(db, org, lesson):
    class Broken:
        def deliver(self, notifications):
            raise RuntimeError("messaging app down")

    report = run(db, DUE + 4 * DAY, Broken())
    assert report.overdue == 3 and report.branch == 2 and report.county == 2
    assert run(db, DUE + 4 * DAY).total == 0  # stored, so not sent again


@pytest.fixture
def recording(app, monkeypatch):
    notifier = RecordingNotifier()
    monkeypatch.setattr(app.extensions["lms"], "notifier", notifier)
    return notifier


def test_the_command_is_idempotent_and_prints_counts_per_step(runner, db, org, lesson,
                                                              recording):
    # 2026-11-20T17:00 in Shanghai is an hour before the due time.
    first = runner.invoke(args=["lms", "send-reminders", "--now", "2026-11-20T17:00"])
    assert first.exit_code == 0, first.output
    assert "new: 3" in first.output and "due: 3" in first.output
    # Printed on the bureau's clock (LMS_TIMEZONE), as the operator gave it.
    assert "Sent 6 notification(s) as of 2026-11-20 17:00 Asia/Shanghai." in first.output
    assert "UTC" not in first.output
    second = runner.invoke(args=["lms", "send-reminders", "--now", "2026-11-20T17:00"])
    assert second.exit_code == 0
    assert "due: 0" in second.output and "Sent 0 notification(s)" in second.output
    assert len(recording.delivered) == 6


def test_the_command_takes_an_offset_and_refuses_nonsense(runner, db, org, lesson, recording):
    result = runner.invoke(args=["lms", "send-reminders", "--now", "2026-11-24T10:00:00+00:00"])
    assert result.exit_code == 0 and "county: 2" in result.output
    bad = runner.invoke(args=["lms", "send-reminders", "--now", "next tuesday"])
    assert bad.exit_code == 2 and "ISO 8601" in bad.output


def test_supervisor_digests_stop_after_the_chase_window(app, db):
    """A lesson overdue longer than LMS_REMINDER_CHASE_WEEKS no longer produces digests."""
    from datetime import timedelta

    from lms.domain.org import membership
    from lms.domain.reminders import escalation
    from lms.models import MicroLesson, Quiz, Unit, User, utcnow
    now = utcnow()
    city = Unit(code="X0", name="市局", kind="bureau", path="", depth=0)
    db.add(city)
    db.flush()
    city.path = f"/{city.id}/"
    branch = Unit(code="X1", name="某党支部", kind="branch", parent_id=city.id, path="", depth=1)
    db.add(branch)
    db.flush()
    branch.path = f"{city.path}{branch.id}/"
    joined = membership.joining(now - timedelta(weeks=52), timedelta(days=7))
    people = [User(police_no="900001", name="书记", unit_id=branch.id, is_supervisor=True,
                   **joined),
              User(police_no="900002", name="民警", unit_id=branch.id, **joined)]
    db.add_all(people)
    db.flush()
    membership.start(db, [person.id for person in people])
    quiz = Quiz()
    db.add(quiz)
    db.flush()
    for weeks_ago, issue in ((2, 1), (6, 2)):
        due = now - timedelta(weeks=weeks_ago)
        db.add(MicroLesson(issue_no=issue, slug=f"x-{issue}", title=f"第{issue}期",
                           publish_at=due - timedelta(days=6), due_at=due, quiz_id=quiz.id))
    db.commit()
    drafts = escalation.plan_step(db, "branch", now, "Asia/Shanghai",
                                 escalation.Schedule(chase_weeks=4))
    assert [d.title for d in drafts] and all("第1期" in d.title for d in drafts)
    # The digest opens the supervisor's not-yet-done list for that lesson.
    assert all(d.link.startswith("/supervise/pending?lesson=") for d in drafts)
