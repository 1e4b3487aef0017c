"""The per-(lesson, unit) completion summary the reports read stays equal to a fresh
recompute from lms_completion after every operation that can change it, and the dashboard
built on it equals the same report computed in Python from the raw rows."""
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.domain.org import accounts, directory
from lms.domain.org import roster as roster_import
from lms.domain.org.passwords import Passwords
from lms.domain.quiz import attempts, quizview
from lms.domain.reports import rollup, unitstats
from lms.domain.studio import scheduling
from lms.models import Completion, LessonUnitStats, MicroLesson, Unit, User

RULES = {"lesson_on_time": 5, "lesson_late": 2, "lesson_perfect": 2}
NOW = datetime(2026, 11, 18, 2, 0)
TZ = "Asia/Shanghai"


def submit(db, user, lesson, answers, key, at):
    attempts.submit(db, user.id, quizview.lesson_item(lesson), answers, key, at, RULES)
    db.commit()


def raw_report(db, root: Unit, lessons: list[MicroLesson], now: datetime) -> dict:
    """{child code: (assigned, completed, on_time, overdue, score_sum, scored)} and the total,
    straight from users and completions (lessons for everyone, no audience)."""
    units = list(db.scalars(select(Unit)))
    officers = [u for u in db.scalars(select(User)) if u.active and u.is_officer]
    path_of = {u.id: u.path for u in units}
    done = {(c.user_id, c.item_id): c for c in db.scalars(select(Completion).where(
        Completion.item_type == "lesson", Completion.status == "completed"))}
    out = {}
    buckets = [(u.code, lambda unit_id, u=u: path_of[unit_id].startswith(u.path))
               for u in units if u.parent_id == root.id]
    buckets.append((root.code + "*", lambda unit_id: unit_id == root.id))  # its own officers
    for code, holds in buckets:
        cell = [0] * 6
        for officer in officers:
            if not holds(officer.unit_id):
                continue
            for lesson in lessons:
                c = done.get((officer.id, lesson.id))
                cell[0] += 1
                if c is not None:
                    cell[1] += 1
                    cell[2] += c.first_completed_at <= lesson.due_at
                    cell[4] += c.best_score or 0
                    cell[5] += c.best_score is not None
                elif lesson.due_at < now:
                    cell[3] += 1
        if code != root.code + "*" or cell[0]:
            out[code] = tuple(cell)
    out["total"] = tuple(map(sum, zip(*out.values())))
    return out


def summary_report(db, root: Unit, lessons: list[MicroLesson], now: datetime) -> dict:
    """The same figures from the reports (which read the summary), lesson by lesson."""
    out: dict[str, tuple] = {}
    for lesson in lessons:
        selection = rollup.Selection(lesson=rollup.find_lesson(db, lesson.id))
        report = rollup.completion_by_child(db, root, selection, now)
        rows = [(r.unit.code + ("*" if r.own else ""), r.counts) for r in report.rows]
        for key, c in rows + [("total", report.total)]:
            figures = (c.assigned, c.completed, c.on_time, c.overdue, c.score_sum, c.scored)
            out[key] = tuple(map(sum, zip(out.get(key, (0,) * 6), figures)))
        assert report.total == sum((r.counts for r in report.rows), type(report.total)())
    return out


def check(db, root, lessons, now=NOW):
    """No drift, and the dashboard equals the raw computation."""
    assert unitstats.drift(db) == {}
    assert summary_report(db, root, lessons, now) == raw_report(db, root, lessons, now)


@pytest.fixture
def world(db, make):
    t = make.tree()
    people = {name: make.user(t[where]) for name, where in (
        ("a1", "branch_a"), ("a2", "branch_a"), ("a3", "branch_a"), ("b1", "branch_b"),
        ("b2", "branch_b"), ("sa", "station_a"))}
    lesson = make.lesson(publish_at=NOW - timedelta(days=2), due_at=NOW + timedelta(days=1))
    return t, people, [lesson]


def test_submissions_on_time_late_and_better_retakes_keep_the_summary_exact(db, make, world):
    t, p, lessons = world
    lesson = lessons[0]
    wrong2, right = make.answers(lesson.quiz, wrong=("q2",)), make.answers(lesson.quiz)
    submit(db, p["a1"], lesson, wrong2, "k1", NOW)  # pass on time
    check(db, t["city"], lessons)
    submit(db, p["a1"], lesson, make.answers(lesson.quiz, wrong=("q1", "q2", "q3")), "k2",
           NOW)  # a fail after a pass changes nothing
    check(db, t["city"], lessons)
    submit(db, p["b1"], lesson, make.answers(lesson.quiz, wrong=("q1", "q2", "q3")), "k1",
           NOW)  # a fail alone: an in-progress row, not counted
    check(db, t["city"], lessons)
    late = NOW + timedelta(days=3)
    submit(db, p["a2"], lesson, wrong2, "k1", late)  # late pass
    check(db, t["city"], lessons, late)
    submit(db, p["a2"], lesson, right, "k2", late)  # better retake: score rises, still late
    submit(db, p["a1"], lesson, right, "k3", late)  # better retake of an on-time pass
    submit(db, p["a1"], lesson, right, "k3", late)  # the same key again: a replay
    check(db, t["city"], lessons, late)
    row = db.get(LessonUnitStats, (lesson.id, t["branch_a"].id))
    assert (row.completed, row.on_time, row.score_sum, row.scored) == (2, 1, 200, 2)


def test_roster_moves_deactivation_and_role_changes_keep_the_summary_exact(db, make, world,
                                                                            tmp_path: Path):
    t, p, lessons = world
    lesson = lessons[0]
    for name in ("a1", "a2", "b1", "sa"):
        submit(db, p[name], lesson, make.answers(lesson.quiz), "k1", NOW)
    check(db, t["city"], lessons)

    # The roster moves a1 to branch B and makes a2 a trainer only.
    roster = tmp_path / "roster.csv"
    roster.write_text("police_no,name,unit_code,roles,party_member\n"
                      f"{p['a1'].police_no},{p['a1'].name},BB,officer,1\n"
                      f"{p['a2'].police_no},{p['a2'].name},BA,trainer,1\n", encoding="utf-8")
    plan, problems = roster_import.read_roster(db, roster)
    assert problems == []
    roster_import.apply_roster(db, plan, Passwords(time_cost=1, memory_cost=8, parallelism=1),
                               now=NOW)
    db.commit()
    db.expire_all()
    check(db, t["city"], lessons)
    assert db.get(LessonUnitStats, (lesson.id, t["branch_b"].id)).completed == 2

    accounts.deactivate(db, db.get(User, p["b1"].id), NOW)  # before the lesson is due
    db.commit()
    check(db, t["city"], lessons)

    admin = make.user(t["city"], roles=("admin",))
    directory.change_roles(db, admin, db.get(User, p["sa"].id), {"supervisor"}, ip=None,
                           now=NOW)
    db.commit()
    check(db, t["city"], lessons)
    directory.change_roles(db, admin, db.get(User, p["sa"].id), {"officer", "supervisor"},
                           ip=None, now=NOW + timedelta(hours=1))
    db.commit()
    check(db, t["city"], lessons)


def test_a_new_due_time_recounts_on_time(db, make, world):
    t, p, lessons = world
    lesson = lessons[0]
    submit(db, p["a1"], lesson, make.answers(lesson.quiz), "k1", NOW)
    author = make.user(t["city"], roles=("trainer",))
    local = lambda moment: moment + timedelta(hours=8)  # noqa: E731  Shanghai wall clock
    assert scheduling.reschedule(db, author, lesson, local(lesson.publish_at),
                                 local(NOW - timedelta(hours=1)), TZ)
    db.commit()
    check(db, t["city"], lessons, NOW + timedelta(days=3))
    assert db.get(LessonUnitStats, (lesson.id, t["branch_a"].id)).on_time == 0


def test_orm_written_completions_are_counted_by_an_explicit_rebuild(db, make, world):
    t, p, lessons = world
    lesson = lessons[0]
    row = Completion(user_id=p["b2"].id, item_type="lesson", item_id=lesson.id,
                     status="completed", first_completed_at=NOW, best_score=80, attempts=1,
                     last_activity_at=NOW)
    db.add(row)
    db.commit()
    assert unitstats.drift(db) != {}  # nothing counts behind the caller's back
    unitstats.rebuild(db, lesson_ids=[lesson.id], officer_ids=[p["b2"].id])
    db.commit()
    check(db, t["city"], lessons)


def test_the_host_session_class_carries_no_lms_listener(app):
    """The plugin must not change its host's session class (a flush hook on it would run in
    every session of the host application)."""
    names = ("before_flush", "after_flush", "after_flush_postexec", "after_begin",
             "before_commit", "after_commit", "after_rollback", "after_attach")
    hooks = [fn for name in names for fn in getattr(Session().dispatch, name)
             if getattr(fn, "__module__", "").startswith("lms")]
    assert hooks == []


def test_the_demo_build_leaves_an_exact_summary(db, make, runner):
    make.lesson()  # the demo's weekly history reuses a real lesson
    result = runner.invoke(args=["lms", "demo", "--officers", "300"])
    assert result.exit_code == 0, result.output
    db.expire_all()
    assert unitstats.drift(db) == {}
    assert db.scalar(select(LessonUnitStats.completed)) is not None
    root = db.scalar(select(Unit).where(Unit.parent_id.is_(None)))
    now = datetime.utcnow()
    lessons = list(db.scalars(select(MicroLesson).where(
        MicroLesson.status == "published", MicroLesson.publish_at <= now)
        .order_by(MicroLesson.due_at.desc()).limit(3)))
    assert summary_report(db, root, lessons, now) == raw_report(db, root, lessons, now)
