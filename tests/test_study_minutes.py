"""The study-minutes summary (`lms_study_minutes`) stays equal to a recount from
lms_completion after every kind of write, and the study hours read through it equal the sum
over every completion, for any period, instant, time zone and hours rule."""
import random
from datetime import datetime, timedelta

import pytest
from races import behind_the_lock
from sqlalchemy import select, update

from lms.auth.session import passwords
from lms.domain.classrooms import checkins
from lms.domain.classrooms import lifecycle as rooms
from lms.domain.learning import catalog, completion, hours, studyminutes
from lms.domain.org import accounts
from lms.domain.quiz import attempts, quizview, regrade
from lms.domain.reports import periods, unitactivity, unitstats
from lms.models import ClassSession, Completion, Courseware, Question, StudyMinutes

NOW = datetime(2026, 11, 18, 2, 0)
RULES = {"lesson_on_time": 5, "lesson_late": 2, "lesson_perfect": 2, "courseware_quiz": 3}
pytestmark = pytest.mark.usefixtures("frozen_clock")

HOURS_RULES = [hours.DEFAULT_RULE,  # lessons 15 min, courseware and sessions their own
               hours.rule_from({"lesson": 0.5, "courseware": 1, "session": 2}, 24),
               hours.rule_from({"lesson": 0, "courseware": "estimated"}, 10)]


def raw_minutes(db, rule, start, end) -> dict:
    """{(officer, item type): minutes} summed in Python over every completion row."""
    own = {("courseware", c.id): c.estimated_minutes for c in db.scalars(select(Courseware))}
    own.update({("session", s.id): s.duration_minutes for s in db.scalars(select(ClassSession))})
    out: dict = {}
    for c in db.scalars(select(Completion).where(Completion.status == "completed")):
        if not (start <= c.first_completed_at < end):
            continue
        fixed = getattr(rule, c.item_type)
        worth = fixed if fixed is not None else own.get((c.item_type, c.item_id), 0)
        out[(c.user_id, c.item_type)] = out.get((c.user_id, c.item_type), 0) + worth
    return {key: value for key, value in out.items() if value}


def read_minutes(db, rule, start, end, now=None) -> dict:
    """The same through `hours.earned` (summary plus edges)."""
    part = hours.earned(rule, start, end, now=now)
    return {(user, kind): int(minutes) for user, kind, minutes in db.execute(select(part))
            if minutes}


def spans():
    """Periods the reports ask for (local years, quarters and weeks through several instants,
    in two time zones) and arbitrary stretches inside and across months and years."""
    out = []
    for tz in ("Asia/Shanghai", "America/New_York"):
        for key in ("2025", "2026", "2026Q1", "2026Q4", "2026-W46", "2027"):
            period = periods.parse(key, tz)
            out.append((period.start, period.end))
            year = periods.year_of(period.first_day, tz)
            for moment in (NOW, period.end - timedelta(microseconds=1), period.start):
                moment = unitactivity.moment_of(period, moment)
                out.append((year.start, hours.through(moment, year)))
    out += [(datetime(2026, 3, 3), datetime(2026, 3, 28)), (datetime(2026, 3, 30),
            datetime(2026, 4, 2)), (datetime(2025, 11, 20), datetime(2026, 2, 10)),
            (datetime(2026, 1, 1), datetime(2027, 1, 1)), (datetime(2026, 2, 1),
            datetime(2026, 9, 1))]
    return out


def check(db):
    """No drift, and the hours equal the raw sum for every span and rule."""
    assert unitstats.drift(db) == {}
    for rule in HOURS_RULES:
        for start, end in spans():
            raw = raw_minutes(db, rule, start, end)
            for now in (None, NOW, start, end):  # the hint never changes the answer
                assert read_minutes(db, rule, start, end, now) == raw, (rule, start, end, now)


@pytest.fixture
def world(db, make):
    """Officers with lesson passes, courseware read and class sessions attended at times
    spread over two years, month and year ends (UTC and local) included."""
    t = make.tree()
    officers = [make.user(t["branch_a"]), make.user(t["branch_a"]), make.user(t["branch_b"])]
    items = [make.courseware(estimated_minutes=m) for m in (20, 45)]
    room = make.classroom(unit=t["branch_a"], status="accepted")
    sessions = [ClassSession(classroom_id=room.id, starts_at=at, topic=f"党课{n}",
                             duration_minutes=90 + 15 * n)
                for n, at in enumerate((datetime(2025, 12, 31, 17), datetime(2026, 6, 1)))]
    db.add_all(sessions)
    db.commit()
    moments = [datetime(2025, 12, 31, 15, 59), datetime(2025, 12, 31, 16, 0),
               datetime(2026, 1, 1, 4, 59), datetime(2026, 1, 1, 5, 0),
               datetime(2026, 2, 28, 23, 59, 59, 999999), datetime(2026, 3, 1),
               datetime(2026, 3, 31, 16), datetime(2026, 7, 15, 8), datetime(2026, 11, 15)]
    lessons = []
    for n, at in enumerate(moments):
        lesson = make.lesson(publish_at=at - timedelta(days=2), due_at=at + timedelta(days=5))
        lessons.append(lesson)
        for k, officer in enumerate(officers):
            if (n + k) % 3 != 2:
                make.attempt(officer, lesson, key=f"l{n}", at=at + timedelta(minutes=k))
    rng = random.Random(15)
    for officer in officers:
        for item in items:
            completion.mark_completed(db, officer.id, "courseware", item.id,
                                      rng.choice(moments))
        completion.mark_completed(db, officer.id, "session", sessions[0].id, sessions[0].starts_at)
    db.commit()
    return {"tree": t, "officers": officers, "items": items, "sessions": sessions,
            "lessons": lessons, "room": room}


def stored(db) -> dict:
    return {(r.year, r.month, r.user_id, r.item_type, r.item_id): r.completions
            for r in db.scalars(select(StudyMinutes))}


def test_the_summary_counts_every_first_completion_once(db, make, world):
    check(db)
    # a lesson passed again, and a courseware completed again, add nothing
    officer, lesson = world["officers"][0], world["lessons"][0]
    before = stored(db)
    assert make.attempt(officer, lesson, key="again", at=NOW).passed
    assert not completion.mark_completed(db, officer.id, "courseware", world["items"][0].id, NOW)
    db.commit()
    assert stored(db) == before
    check(db)


def test_a_lesson_pass_counts_and_a_failed_attempt_does_not(db, make, world):
    officer = world["officers"][2]
    lesson = make.lesson(publish_at=NOW - timedelta(days=1), due_at=NOW + timedelta(days=3))
    make.attempt(officer, lesson, wrong=("q1", "q2", "q3"), key="fail", at=NOW)
    check(db)
    make.attempt(officer, lesson, key="pass", at=NOW + timedelta(hours=1))
    make.attempt(officer, lesson, key="again", at=NOW + timedelta(hours=2))
    check(db)
    assert read_minutes(db, hours.DEFAULT_RULE, NOW, NOW + timedelta(days=1)) == {
        (officer.id, "lesson"): 15}


def test_courseware_read_and_courseware_quiz_passed_count(db, make, world):
    officer = world["officers"][1]
    item = make.courseware(estimated_minutes=33, min_read_seconds=0)
    catalog.open_item(db, officer.id, item, NOW)
    assert catalog.finish_reading(db, officer.id, item, NOW + timedelta(minutes=1)).completed
    db.commit()
    check(db)
    quizzed = make.courseware(estimated_minutes=12, quiz=True)
    question = quizzed.quiz.questions[0]
    cw = quizview.courseware_item(db, quizzed.slug)
    attempts.submit(db, officer.id, cw, {str(question.id): False}, "f", NOW, RULES)
    db.commit()
    check(db)  # failed: nothing counted
    attempts.submit(db, officer.id, cw, {str(question.id): True}, "p", NOW, RULES)
    attempts.submit(db, officer.id, cw, {str(question.id): True}, "p2", NOW, RULES)
    db.commit()
    check(db)
    assert read_minutes(db, hours.DEFAULT_RULE, NOW, NOW + timedelta(days=1)) == {
        (officer.id, "courseware"): 33 + 12}


def test_a_class_session_check_in_counts(db, make, world):
    trainer = make.user(world["tree"]["branch_a"], roles=("trainer",))
    session = rooms.schedule(db, trainer, world["room"], datetime(2026, 11, 18, 10, 30),
                             "主题党日", None, "Asia/Shanghai")
    code = checkins.open_checkin(db, trainer, session, passwords().hash_code, NOW)
    db.commit()
    for officer in world["officers"][:2]:
        assert checkins.check_in(db, officer, code, passwords().hash_code, NOW, {}).status == "ok"
    assert checkins.check_in(db, world["officers"][0], code, passwords().hash_code, NOW,
                             {}).status == "already"
    db.commit()
    check(db)


def test_a_corrected_items_own_minutes_are_read_at_report_time(db, world):
    db.execute(update(Courseware).where(Courseware.id == world["items"][0].id)
               .values(estimated_minutes=75))
    db.execute(update(ClassSession).where(ClassSession.id == world["sessions"][0].id)
               .values(duration_minutes=240))
    db.commit()
    check(db)


def test_a_regrade_that_takes_back_or_moves_a_pass_keeps_it_exact(db, make, world):
    trainer = make.user(world["tree"]["city"], roles=("trainer",))
    quiz = make.quiz([{"key": "q1", "kind": "true_false", "stem": "题", "options": [],
                       "answer": True}])
    lesson = make.lesson(quiz=quiz, publish_at=datetime(2026, 2, 20),
                         due_at=datetime(2026, 3, 10))
    question = db.scalar(select(Question).where(Question.quiz_id == quiz.id))
    first, second = world["officers"][:2]
    for officer, answers in ((first, (True, False)), (second, (False,))):
        for n, given in enumerate(answers):
            attempts.submit(db, officer.id, quizview.lesson_item(lesson),
                            {str(question.id): given}, f"r{n}",
                            (datetime(2026, 2, 27, 12), datetime(2026, 3, 1, 12))[n], RULES)
    db.commit()
    check(db)
    plan = regrade.plan(db, quiz.id, {question.id: False})
    regrade.apply(db, trainer, quiz.id, {question.id: False}, plan.token, NOW, RULES)
    db.commit()
    # `first` passed on 27 Feb (February) and now on 1 Mar (March); `second` passes now
    row = db.scalar(select(Completion).where(Completion.user_id == first.id,
                                             Completion.item_id == lesson.id,
                                             Completion.item_type == "lesson"))
    assert (row.status, row.first_completed_at) == ("completed", datetime(2026, 3, 1, 12))
    check(db)
    plan = regrade.plan(db, quiz.id, {question.id: True})
    regrade.apply(db, trainer, quiz.id, {question.id: True}, plan.token, NOW, RULES)
    db.commit()
    check(db)


def test_a_leaver_keeps_their_minutes_and_leaves_the_units_figures(db, world):
    leaver = world["officers"][0]
    year = periods.year_of(periods.local_today(NOW, "Asia/Shanghai"), "Asia/Shanghai")
    before = unitactivity.by_branch(db, world["tree"]["city"], year, NOW, hours.DEFAULT_RULE,
                                    "Asia/Shanghai")
    accounts.deactivate(db, leaver, NOW)
    db.commit()
    check(db)
    after = unitactivity.by_branch(db, world["tree"]["city"], year, NOW + timedelta(hours=1),
                                   hours.DEFAULT_RULE, "Asia/Shanghai")
    branch = world["tree"]["branch_a"].id
    mine = sum(raw_minutes(db, hours.DEFAULT_RULE, year.start, NOW).get((leaver.id, kind), 0)
               for kind in hours.ITEM_TYPES)
    assert (after[branch].members, after[branch].minutes) == (
        before[branch].members - 1, before[branch].minutes - mine)


def test_drift_finds_a_tampered_row_and_a_rebuild_repairs_it(db, world):
    officer = world["officers"][1]
    row = db.scalar(select(StudyMinutes).where(StudyMinutes.user_id == officer.id,
                                               StudyMinutes.month == 0)
                    .order_by(StudyMinutes.year).limit(1))
    key = (row.year, row.month, row.user_id, row.item_type, row.item_id)
    right = row.completions
    row.completions += 4
    db.add(StudyMinutes(year=2026, month=5, user_id=officer.id, item_type="lesson",
                        item_id=0, completions=1))
    db.commit()
    assert unitstats.drift(db) == {("minutes", *key): (right + 4, right),
                                   ("minutes", 2026, 5, officer.id, "lesson", 0): (1, 0)}
    unitstats.rebuild(db)
    db.commit()
    check(db)


def test_a_rebuild_of_some_officers_leaves_the_others(db, world):
    db.execute(update(StudyMinutes).values(completions=StudyMinutes.completions + 1))
    db.commit()
    unitstats.rebuild(db, officer_ids=[o.id for o in world["officers"]])
    db.commit()
    check(db)


@pytest.mark.parametrize("start,end", [
    (datetime(2025, 12, 31, 16), datetime(2026, 12, 31, 16)),
    (datetime(2026, 1, 1, 5), datetime(2026, 11, 18, 2)),
    (datetime(2026, 3, 3), datetime(2026, 3, 28)),
    (datetime(2026, 1, 20), datetime(2026, 2, 25)),
    (datetime(2025, 11, 20), datetime(2027, 2, 10)),
    (datetime(2026, 1, 1), datetime(2027, 1, 1)),
])
@pytest.mark.parametrize("now", [None, NOW, datetime(2025, 1, 1), datetime(2028, 1, 1)])
def test_the_terms_of_a_period_count_each_instant_once(start, end, now):
    raw, rows = studyminutes.terms(start, end, now)
    rng = random.Random(7)
    instants = [start, end, end - timedelta(microseconds=1), start - timedelta(microseconds=1)]
    instants += [datetime(2025, 10, 1) + timedelta(seconds=rng.randrange(60 * 86400 * 8))
                 for _ in range(2000)]
    for at in instants:
        weight = sum(sign for low, high, sign in raw if low <= at < high)
        weight += sum(sign for year, month, sign in rows
                      if year == at.year and month in (studyminutes.YEAR, at.month))
        assert weight == int(start <= at < end), at
    assert len(rows) <= 7 * 3  # a year reads at most its row and six months


def test_a_period_up_to_now_reads_the_year_row_and_no_month():
    """The 通报's case: the year so far is its year row, the eve of 1 January and nothing
    after now, not the month rows."""
    start, now = datetime(2025, 12, 31, 16), datetime(2026, 12, 3, 16)
    raw, rows = studyminutes.terms(start, now + timedelta(microseconds=1), now)
    assert rows == [(2026, studyminutes.YEAR, 1)]
    assert raw == [(start, datetime(2026, 1, 1), 1),
                   (now + timedelta(microseconds=1), datetime(2027, 1, 1), -1)]


def test_two_first_completions_at_once_count_once(app, db, make):
    """PostgreSQL: the second writer waits on the completion row's lock and then sees it
    completed. (SQLite's writers are serial.)"""
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers")
    officer, item = make.user(), make.courseware(estimated_minutes=30)
    assert completion.mark_completed(db, officer.id, "courseware", item.id, NOW)
    # this transaction holds the row's lock: the racer must wait for it
    counted = []
    behind_the_lock(app, db, lambda session: counted.append(completion.mark_completed(
        session, officer.id, "courseware", item.id, NOW + timedelta(seconds=1))))
    assert counted == [False]
    assert stored(db)[(2026, 0, officer.id, "courseware", item.id)] == 1
    assert unitstats.drift(db) == {}
