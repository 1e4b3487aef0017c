"""The summary's assigned counts (officers who owe each lesson for each unit) stay equal to
`policy.owed` after everything that changes who owes a lesson: a lesson synced or written
in the studio, a new due time or audience, a roster import that adds, moves or deactivates
an officer, a newcomer inside the grace period; `drift()` sees a wrong count and `rebuild`
repairs it; a quarter report's assigned figures are those counts."""
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from factories import ONE_QUESTION_QUIZ, lesson_source
from sqlalchemy import func, select, update

from lms.domain.org import policy
from lms.domain.org import roster as roster_import
from lms.domain.org.passwords import Passwords
from lms.domain.reports import periods, rollup, unitstats
from lms.domain.studio import lessonreview, lessonwork, scheduling
from lms.models import LessonUnitStats, MicroLesson, User

NOW = datetime(2026, 11, 18, 2, 0)  # Wednesday 10:00 in Shanghai
TZ = "Asia/Shanghai"
PASSWORDS = Passwords(time_cost=1, memory_cost=8, parallelism=1)
LESSON_FILE = lesson_source("2026-11-16 08:00", "2026-11-22 23:59")


def owed_counts(db) -> dict[tuple[int, int], int]:
    """(lesson, unit) → officers owing it, counted straight from `policy.owed`."""
    owed = policy.owed()
    return {(lesson, unit): n for lesson, unit, n in db.execute(
        select(owed.c.lesson_id, owed.c.unit_id, func.count())
        .group_by(owed.c.lesson_id, owed.c.unit_id))}


def stored_counts(db) -> dict[tuple[int, int], int]:
    """(lesson, unit) → the summary's assigned count, where it is not 0."""
    return {(r.lesson_id, r.unit_id): r.assigned for r in db.scalars(
        select(LessonUnitStats).where(LessonUnitStats.assigned > 0))}


def check(db) -> dict[tuple[int, int], int]:
    """No drift, and the summary's assigned counts are `policy.owed`'s; returns them."""
    db.expire_all()
    assert unitstats.drift(db) == {}
    counts = stored_counts(db)
    assert counts == owed_counts(db)
    return counts


def import_roster(db, tmp_path: Path, lines: list[str], now: datetime = NOW) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("police_no,name,unit_code,roles,party_member,joined_on,active\n"
                      + "".join(line + "\n" for line in lines), encoding="utf-8")
    plan, problems = roster_import.read_roster(db, roster)
    assert problems == []
    roster_import.apply_roster(db, plan, PASSWORDS, now=now)
    db.commit()


@pytest.fixture
def world(make):
    t = make.tree()
    people = {name: make.user(t[where]) for name, where in (
        ("a1", "branch_a"), ("a2", "branch_a"), ("b1", "branch_b"), ("sa", "station_a"))}
    return t, people


def test_a_synced_lesson_is_assigned_and_a_new_audience_recounts_it(db, world, runner,
                                                                     tmp_path):
    t, _ = world
    lessons = tmp_path / "courses" / "lessons"
    lessons.mkdir(parents=True)
    (tmp_path / "courses" / "catalog.yml").write_text("categories: []\nclassroom_types: []\n",
                                                          "utf-8")
    path = lessons / "01-zhongcheng.md"
    path.write_text(LESSON_FILE, "utf-8")
    assert runner.invoke(args=["lms", "sync-courses", str(tmp_path / "courses")]).exit_code == 0
    lesson = db.scalar(select(MicroLesson).where(MicroLesson.slug == "zhongcheng"))
    assert check(db) == {(lesson.id, t["branch_a"].id): 2, (lesson.id, t["branch_b"].id): 1,
                         (lesson.id, t["station_a"].id): 1}

    path.write_text(lesson_source("2026-11-16 08:00", "2026-11-22 23:59", ("CB",)), "utf-8")
    assert runner.invoke(args=["lms", "sync-courses", str(tmp_path / "courses")]).exit_code == 0
    assert check(db) == {(lesson.id, t["branch_b"].id): 1}


def test_studio_lessons_created_published_and_rescheduled_are_assigned(db, make, world):
    t, _ = world
    author = make.user(t["city"], roles=("trainer",))
    reviewer = make.user(t["city"], roles=("trainer",))
    form = lessonwork.LessonInput(
        issue_no=15, title="第15期", summary="", body_md="正文。",
        publish_at=datetime(2026, 11, 23, 8, 0), due_at=datetime(2026, 11, 29, 23, 59),
        quiz_yaml=ONE_QUESTION_QUIZ)
    lesson = lessonwork.save_lesson(db, author, form, TZ)  # a draft: owed once it is out
    db.commit()
    assert sum(check(db).values()) == 4
    lesson = lessonwork.save_lesson(db, author, replace(form, audience=(t["county_a"].id,)),
                                    TZ, lesson=lesson)
    db.commit()
    assert check(db) == {(lesson.id, t["branch_a"].id): 2, (lesson.id, t["station_a"].id): 1}
    lessonreview.transition(db, author, lesson, "submit", NOW)
    lessonreview.transition(db, reviewer, lesson, "approve", NOW)
    db.commit()
    check(db)

    # A newcomer joining now owes it only once their grace period ends before it is due.
    newcomer = make.user(t["branch_a"], joined_at=NOW)
    assert check(db)[(lesson.id, t["branch_a"].id)] == 3
    local = lambda moment: moment + timedelta(hours=8)  # noqa: E731  Shanghai wall clock
    assert NOW + timedelta(days=6) < newcomer.owes_from < NOW + timedelta(days=9)
    assert scheduling.reschedule(db, author, lesson, local(lesson.publish_at),
                                 local(NOW + timedelta(days=6)), TZ)
    db.commit()
    assert check(db)[(lesson.id, t["branch_a"].id)] == 2
    assert scheduling.reschedule(db, author, lesson, local(lesson.publish_at),
                                 local(NOW + timedelta(days=9)), TZ)
    db.commit()
    assert check(db)[(lesson.id, t["branch_a"].id)] == 3


def test_a_roster_import_adding_moving_and_deactivating_officers_recounts(db, make, world,
                                                                          tmp_path):
    t, p = world
    lesson = make.lesson(publish_at=NOW - timedelta(days=2), due_at=NOW + timedelta(days=3))
    before = check(db)
    import_roster(db, tmp_path, [
        "900001,新民警,SB,officer,1,2020-01-01,",  # joined long ago: owes it
        f"{p['a1'].police_no},{p['a1'].name},BB,officer,1,,",  # moved to branch B
        f"{p['a2'].police_no},{p['a2'].name},BA,officer,1,,0",  # left
    ])
    after = check(db)
    assert after[(lesson.id, t["branch_b"].id)] == before[(lesson.id, t["branch_b"].id)] + 1
    assert after[(lesson.id, t["station_b"].id)] == 1
    assert (lesson.id, t["branch_a"].id) not in after


def test_a_newcomer_inside_the_grace_period_owes_only_later_lessons(db, make, world,
                                                                     tmp_path):
    t, _ = world
    soon = make.lesson(publish_at=NOW - timedelta(days=2), due_at=NOW + timedelta(days=3))
    later = make.lesson(publish_at=NOW - timedelta(days=2), due_at=NOW + timedelta(days=10))
    import_roster(db, tmp_path, [f"900002,新民警,BB,officer,1,{date(2026, 11, 18)},"])
    newcomer = db.scalar(select(User).where(User.police_no == "900002"))
    assert soon.due_at < newcomer.owes_from < later.due_at  # a week's grace
    counts = check(db)
    assert counts[(soon.id, t["branch_b"].id)] == 1
    assert counts[(later.id, t["branch_b"].id)] == 2


def test_drift_reports_a_wrong_assigned_count_and_rebuild_repairs_it(db, make, world):
    t, _ = world
    lesson = make.lesson(publish_at=NOW - timedelta(days=2), due_at=NOW + timedelta(days=3))
    key = (lesson.id, t["branch_a"].id)
    db.execute(update(LessonUnitStats).where(LessonUnitStats.lesson_id == lesson.id,
                                             LessonUnitStats.unit_id == t["branch_a"].id)
               .values(assigned=LessonUnitStats.assigned + 1))
    db.commit()
    found = unitstats.drift(db)
    assert list(found) == [key]
    stored, fresh = found[key]
    assert (stored[-1], fresh[-1]) == (3, 2) and stored[:-1] == fresh[:-1]
    unitstats.rebuild(db, lesson_ids=[lesson.id])
    db.commit()
    check(db)

    db.execute(LessonUnitStats.__table__.delete().where(LessonUnitStats.lesson_id == lesson.id))
    db.commit()
    assert set(unitstats.drift(db)) == set(owed_counts(db))  # every owed row is missing
    unitstats.rebuild(db, unit_ids=[t["branch_a"].id, t["branch_b"].id, t["station_a"].id])
    db.commit()
    check(db)


def test_a_quarter_reports_assigned_counts_are_policy_owed(db, make, world, tmp_path):
    t, _ = world
    quarter = periods.quarter_of(date(2026, 11, 18), TZ)
    everyone = make.lesson(publish_at=NOW - timedelta(days=20), due_at=NOW - timedelta(days=14))
    for_a = make.lesson(publish_at=NOW - timedelta(days=2), due_at=NOW + timedelta(days=3),
                        audience=[t["county_a"]])
    make.lesson(publish_at=NOW + timedelta(days=1), due_at=NOW + timedelta(days=8))  # not out
    import_roster(db, tmp_path, [f"900003,新民警,BA,officer,1,{date(2026, 11, 10)},"])
    report = rollup.completion_by_child(db, t["city"], rollup.Selection(period=quarter), NOW)
    owed = policy.owed([everyone.id, for_a.id])
    by_unit = dict(db.execute(select(policy.MemberUnit.path, func.count())
                              .join(owed, owed.c.unit_id == policy.MemberUnit.id)
                              .group_by(policy.MemberUnit.path)).all())
    expected = {row.unit.code: sum(n for path, n in by_unit.items()
                                   if path.startswith(row.unit.path))
                for row in report.rows if not row.own}
    assert {row.unit.code: row.counts.assigned for row in report.rows} == expected
    assert report.total.assigned == sum(by_unit.values()) == 4 + 4  # the newcomer: for_a


def test_a_unit_moved_by_the_org_import_recounts_who_owes(db, make, world, runner, tmp_path):
    # station A (and its branch) moves under county B, which a lesson addresses: its officers
    # owe that lesson from now on, and the county A lesson no longer (DESIGN §6: supervisors
    # must believe every number)
    t, _ = world
    to_b = make.lesson(publish_at=NOW - timedelta(days=2), due_at=NOW + timedelta(days=3),
                       audience=(t["county_b"],))
    to_a = make.lesson(publish_at=NOW - timedelta(days=2), due_at=NOW + timedelta(days=3),
                       audience=(t["county_a"],))
    assert (to_b.id, t["branch_a"].id) not in check(db)
    units = tmp_path / "units.csv"
    units.write_text("code,name,kind,parent_code\nSA,A派出所,station,CB\n", encoding="utf-8")
    assert runner.invoke(args=["lms", "import-units", str(units)]).exit_code == 0
    counts = check(db)
    assert counts[(to_b.id, t["branch_a"].id)] == 2 and counts[(to_b.id, t["station_a"].id)] == 1
    assert (to_a.id, t["branch_a"].id) not in counts
