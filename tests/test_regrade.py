"""Regrading (issue 12, item 6): a changed key of an answered question changes recorded
results only through a preview the trainer confirms, and then everywhere at once: attempts,
completions (first and best score), points by new ledger rows, the lessons' summary table
and the mistake notebook, audited."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lms.domain.learning import points
from lms.domain.org import policy
from lms.domain.quiz import attempts, quizview, regrade
from lms.domain.reports import unitstats
from lms.models import (
    Attempt,
    AuditEvent,
    Completion,
    LessonUnitStats,
    Mistake,
    Notification,
    PointsEntry,
    Question,
    utcnow,
)

RULES = {"lesson_on_time": 5, "lesson_late": 2, "lesson_perfect": 2, "courseware_quiz": 3}
QUESTIONS = (
    {"key": "q1", "kind": "single", "stem": "第一题", "answer": "B",
     "options": [["A", "甲"], ["B", "乙"], ["C", "丙"]]},
    {"key": "q2", "kind": "true_false", "stem": "第二题", "options": [], "answer": True},
    {"key": "q3", "kind": "single", "stem": "第三题", "answer": "A",
     "options": [["A", "甲"], ["B", "乙"]]},
)
# officer → answers to (q1, q2, q3); q1's key moves from B to C
MATRIX = {
    "o1": ("B", False, "A"),  # 67 pass → 33 fail
    "o2": ("C", True, "A"),   # 67 pass → 100 pass (a perfect first attempt)
    "o3": ("C", False, "A"),  # 33 fail → 67 pass
    "o4": ("B", True, "A"),   # 100 pass (perfect) → 67 pass
}


@pytest.fixture
def world(db, make):
    units = make.tree()
    trainer = make.user(units["city"], roles=("trainer",))
    officers = {name: make.user(units["branch_a" if name in ("o1", "o2") else "branch_b"])
                for name in MATRIX}
    quiz = make.quiz(QUESTIONS)
    lesson = make.lesson(quiz=quiz)
    qs = {q.key: q for q in db.scalars(select(Question).where(Question.quiz_id == quiz.id))}
    now = utcnow()
    for name, given in MATRIX.items():
        submit(db, officers[name], lesson, qs, given, f"k-{name}", now)
    return {"units": units, "trainer": trainer, "officers": officers, "lesson": lesson,
            "quiz": quiz, "q": qs, "now": now}


def submit(db, user, lesson, qs, given, key, at):
    answers = {str(qs[k].id): v for k, v in zip(("q1", "q2", "q3"), given)}
    result = attempts.submit(db, user.id, quizview.lesson_item(lesson), answers, key, at, RULES)
    db.commit()
    return result


def regrade_q1(db, world, new="C", now=None):
    q1 = db.get(Question, world["q"]["q1"].id)
    plan = regrade.plan(db, q1.quiz_id, {q1.id: new})
    result = regrade.apply(db, world["trainer"], q1.quiz_id, {q1.id: new}, plan.token,
                           now or world["now"] + timedelta(minutes=5), RULES)
    db.commit()
    return plan, result


def confirm(db, world, plan, user=None):
    """Apply the keys `plan` previewed, as the trainer (or `user`) confirming it."""
    new = {k.question_id: k.new_answer for k in plan.keys}
    return regrade.apply(db, user or world["trainer"], plan.quiz_id, new, plan.token,
                         world["now"], RULES)


def completion_of(db, user, lesson):
    db.expire_all()
    return db.scalar(select(Completion).where(Completion.user_id == user.id,
                                              Completion.item_type == "lesson",
                                              Completion.item_id == lesson.id))


def open_mistakes(db, user):
    return set(db.scalars(select(Question.key).join(Mistake, Mistake.question_id == Question.id)
                          .where(Mistake.user_id == user.id, Mistake.resolved_at.is_(None))))


def test_the_preview_counts_affected_attempts_and_pass_changes_without_writing(db, world):
    q1 = world["q"]["q1"]
    plan = regrade.plan(db, q1.quiz_id, {q1.id: regrade.parse_key(q1, "C")})
    assert (plan.answered, plan.affected) == (4, 4)
    assert (plan.pass_to_fail, plan.fail_to_pass) == (1, 1)
    rows = {c.police_no: c for c in plan.changes}
    o1, o3 = world["officers"]["o1"], world["officers"]["o3"]
    assert rows[o1.police_no].pass_change == "pass_to_fail"
    assert (rows[o1.police_no].old_best, rows[o1.police_no].new_best) == (67, 33)
    assert rows[o3.police_no].pass_change == "fail_to_pass"
    assert rows[o3.police_no].unit_name == world["units"]["branch_b"].name
    assert plan.changes[0].pass_change is not None  # pass-state changes are listed first
    db.expire_all()
    assert db.get(Question, q1.id).answer == "B"  # nothing written
    assert db.scalar(select(func.count()).select_from(PointsEntry)) == 4  # o4: two rules


def test_regrade_rewrites_scores_pass_states_and_first_and_best_scores(db, world):
    regrade_q1(db, world)
    lesson, officers = world["lesson"], world["officers"]
    db.expire_all()
    scores = {name: db.scalar(select(Attempt.score).where(Attempt.user_id == o.id))
              for name, o in officers.items()}
    assert scores == {"o1": 33, "o2": 100, "o3": 67, "o4": 67}
    states = {name: (c.status, c.best_score, c.first_score, c.first_completed_at is not None)
              for name, o in officers.items() for c in [completion_of(db, o, lesson)]}
    assert states == {"o1": ("in_progress", 33, 33, False), "o2": ("completed", 100, 100, True),
                      "o3": ("completed", 67, 67, True), "o4": ("completed", 67, 67, True)}
    attempt = db.scalar(select(Attempt).where(Attempt.user_id == officers["o3"].id))
    line = next(r for r in attempt.results if r["question_id"] == world["q"]["q1"].id)
    assert (line["correct"], line["correct_answer"], attempt.passed) == (True, "C", True)
    assert db.get(Question, world["q"]["q1"].id).answer == "C"


def test_points_are_adjusted_by_new_ledger_rows_only(db, world):
    before = {row.id: (row.user_id, row.rule, row.points)
              for row in db.scalars(select(PointsEntry))}
    _, result = regrade_q1(db, world)
    db.expire_all()
    after = {row.id: (row.user_id, row.rule, row.points)
             for row in db.scalars(select(PointsEntry))}
    assert {k: after[k] for k in before} == before  # old rows untouched, none deleted
    added = {after[k][0]: after[k][2] for k in after.keys() - before.keys()}
    o = world["officers"]
    assert added == {o["o1"].id: -5, o["o2"].id: 2, o["o3"].id: 5, o["o4"].id: -2}
    assert all(after[k][1].startswith("regrade:") for k in after.keys() - before.keys())
    assert {n: points.total(db, u.id) for n, u in o.items()} == {
        "o1": 0, "o2": 7, "o3": 5, "o4": 5}
    assert (result.points_rows, result.points_delta) == (4, 0)


def test_confirming_twice_changes_nothing_more(db, world):
    q1 = db.get(Question, world["q"]["q1"].id)
    plan = regrade.plan(db, q1.quiz_id, {q1.id: "C"})
    confirm(db, world, plan)
    db.commit()
    ledger = db.scalar(select(func.count()).select_from(PointsEntry))
    with pytest.raises(regrade.StalePreview):
        confirm(db, world, plan)
    db.rollback()
    again = regrade.plan(db, q1.quiz_id, {q1.id: "C"})
    assert (again.affected, again.key_changed) == (0, False)
    with pytest.raises(regrade.RegradeError):
        confirm(db, world, again)
    db.rollback()
    assert db.scalar(select(func.count()).select_from(PointsEntry)) == ledger


def test_a_preview_made_stale_by_a_new_attempt_is_refused(db, world, make):
    q1 = db.get(Question, world["q"]["q1"].id)
    plan = regrade.plan(db, q1.quiz_id, {q1.id: "C"})
    late = make.user(world["units"]["branch_a"])
    submit(db, late, world["lesson"], world["q"], ("B", True, "A"), "k-late", world["now"])
    with pytest.raises(regrade.StalePreview):
        confirm(db, world, plan)
    db.rollback()
    assert db.get(Question, q1.id).answer == "B"
    assert db.scalar(select(func.count()).select_from(AuditEvent)
                     .where(AuditEvent.action == "quiz_regraded")) == 0


def test_the_mistake_notebook_follows_the_new_key(db, world):
    o = world["officers"]
    assert open_mistakes(db, o["o3"]) == {"q1", "q2"}
    assert open_mistakes(db, o["o4"]) == set()
    _, result = regrade_q1(db, world)
    assert open_mistakes(db, o["o1"]) == {"q1", "q2"}
    assert open_mistakes(db, o["o2"]) == set()
    assert open_mistakes(db, o["o3"]) == {"q2"}
    assert open_mistakes(db, o["o4"]) == {"q1"}
    assert (result.mistakes_added, result.mistakes_cleared) == (2, 2)


def test_the_summary_table_matches_a_recount_after_a_regrade(db, world):
    regrade_q1(db, world)
    assert unitstats.drift(db) == {}
    rows = {r.unit_id: (r.completed, r.score_sum, r.first_score_sum)
            for r in db.scalars(select(LessonUnitStats)
                                .where(LessonUnitStats.lesson_id == world["lesson"].id))}
    units = world["units"]
    assert rows[units["branch_a"].id] == (1, 100, 100)  # o2 only: o1 failed now
    assert rows[units["branch_b"].id] == (2, 134, 134)


def test_the_regrade_is_audited_with_counts_and_officers_told(db, world):
    _, result = regrade_q1(db, world)
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "quiz_regraded"))
    assert event.actor_id == world["trainer"].id
    assert event.target == f"quiz:{world['quiz'].id}"
    detail = event.detail
    assert detail["questions"] == [{"id": world["q"]["q1"].id, "key": "q1", "old": "B",
                                    "new": "C"}]
    assert (detail["attempts_changed"], detail["pass_to_fail"], detail["fail_to_pass"],
            detail["points_rows"]) == (4, 1, 1, 4)
    told = set(db.scalars(select(Notification.user_id).where(Notification.kind == "regrade")))
    o = world["officers"]
    assert told == {o["o1"].id, o["o3"].id} and result.notified == 2


def test_a_first_attempt_now_passing_becomes_the_first_completion(db, world, make):
    lesson, qs = world["lesson"], world["q"]
    officer = make.user(world["units"]["branch_b"])
    first = world["now"] - timedelta(hours=2)
    submit(db, officer, lesson, qs, ("C", False, "A"), "k-a", first)  # 33 fail → 67 pass
    submit(db, officer, lesson, qs, ("B", True, "A"), "k-b", world["now"])  # 100 → 67
    before = completion_of(db, officer, lesson)
    assert (before.best_score, before.first_score, before.first_completed_at) == (
        100, 33, world["now"])
    regrade_q1(db, world)
    after = completion_of(db, officer, lesson)
    assert (after.status, after.best_score, after.first_score, after.first_completed_at) == (
        "completed", 67, 67, first)
    assert after.attempts == 2
    assert unitstats.drift(db) == {}


def test_a_late_pass_earns_the_late_rule(db, world, make):
    lesson, qs = world["lesson"], world["q"]
    officer = make.user(world["units"]["branch_b"])
    late = lesson.due_at + timedelta(hours=1)
    submit(db, officer, lesson, qs, ("C", False, "A"), "k-late", late)  # fails, late
    regrade_q1(db, world, now=late + timedelta(hours=1))
    assert points.total(db, officer.id) == RULES["lesson_late"]
    assert unitstats.drift(db) == {}


def test_a_courseware_quiz_is_regraded_too(db, make):
    trainer = make.user(roles=("trainer",))
    officer = make.user()
    item = make.courseware(quiz=True)  # one true/false question, key True
    question = item.quiz.questions[0]
    cw = quizview.courseware_item(db, item.slug)
    attempts.submit(db, officer.id, cw, {str(question.id): False}, "k", utcnow(), RULES)
    db.commit()
    assert points.total(db, officer.id) == 0
    plan = regrade.plan(db, question.quiz_id, {question.id: False})
    assert (plan.affected, plan.fail_to_pass) == (1, 1)
    regrade.apply(db, trainer, question.quiz_id, {question.id: False}, plan.token, utcnow(),
                  RULES)
    db.commit()
    assert points.total(db, officer.id) == RULES["courseware_quiz"]
    row = db.scalar(select(Completion).where(Completion.user_id == officer.id))
    assert (row.status, row.best_score) == ("completed", 100)


@pytest.mark.parametrize("kind,raw,expected", [
    ("single", "C", "C"), ("multiple", ["C", "A"], ["A", "C"]), ("true_false", "false", False),
    ("fill_blank", "连\n 连队 \n连", ["连", "连队"])])
def test_new_keys_are_read_in_the_stored_shape(kind, raw, expected):
    q = Question(kind=kind, options=[["A", "甲"], ["B", "乙"], ["C", "丙"]], answer=None)
    assert regrade.parse_key(q, raw) == expected


@pytest.mark.parametrize("kind,raw", [
    ("single", "D"), ("single", ""), ("multiple", []), ("multiple", ["A", "Z"]),
    ("true_false", "maybe"), ("fill_blank", "  \n ")])
def test_new_keys_that_do_not_fit_are_refused_in_chinese(kind, raw):
    q = Question(kind=kind, options=[["A", "甲"], ["B", "乙"], ["C", "丙"]], answer=None)
    with pytest.raises(regrade.InvalidKey) as error:
        regrade.parse_key(q, raw)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error.value.message)


def test_an_officer_may_not_regrade(db, world):
    q1 = db.get(Question, world["q"]["q1"].id)
    plan = regrade.plan(db, q1.quiz_id, {q1.id: "C"})
    with pytest.raises(policy.PermissionDenied):
        confirm(db, world, plan, world["officers"]["o1"])
    db.rollback()
    assert db.get(Question, q1.id).answer == "B"


def test_several_keys_of_one_quiz_are_regraded_together(db, world):
    qs, o = world["q"], world["officers"]
    plan = regrade.plan(db, world["quiz"].id, {qs["q1"].id: "C", qs["q2"].id: False})
    # o1 (B, False, A) 67 → 67; o2 (C, True, A) 67 → 67; o3 33 → 100; o4 100 → 33
    confirm(db, world, plan)
    db.commit()
    db.expire_all()
    scores = {n: db.scalar(select(Attempt.score).where(Attempt.user_id == u.id))
              for n, u in o.items()}
    assert scores == {"o1": 67, "o2": 67, "o3": 100, "o4": 33}
    assert open_mistakes(db, o["o3"]) == set()
    assert open_mistakes(db, o["o4"]) == {"q1", "q2"}
    assert unitstats.drift(db) == {}


def test_changed_keys_are_found_by_question_key(db, world):
    quiz, qs = world["quiz"], world["q"]
    assert regrade.changed_keys(db, quiz.id, {"q1": "B", "q2": True, "q9": "A"}) == {}
    assert regrade.changed_keys(db, quiz.id, {"q1": "C", "q3": "A"}) == {qs["q1"].id: "C"}
