"""Attempts: graded once per key, completion and points in the same transaction, time limits,
attempt counts, per-attempt shuffles, and the quiz as an officer takes it in the browser."""
import re
from datetime import datetime, timedelta

import pytest
from factories import Factory
from flask import g
from sqlalchemy import func, select

from lms.domain.learning import completion, points
from lms.domain.quiz import attempts, quizview
from lms.models import Attempt, Completion, Mistake, PointsEntry

RULES = {"lesson_on_time": 5, "lesson_late": 2, "lesson_perfect": 2, "courseware_quiz": 2}
NOW = datetime(2026, 11, 18, 2, 0)  # 10:00 in Shanghai


def count(db, model, *where):
    return db.scalar(select(func.count()).select_from(model).where(*where))


def lesson_due_in(make, hours: float, **quiz):
    return make.lesson(publish_at=NOW - timedelta(days=2), due_at=NOW + timedelta(hours=hours),
                       quiz=make.quiz(**quiz) if quiz else None)


def all_wrong(make, quiz):
    """Every question answered, every one wrong (an attempt must answer them all)."""
    return make.answers(quiz, wrong=("q1", "q2", "q3", "q4", "q5"))


def submit(db, user, lesson, answers, key="k1", at=NOW, rules=RULES):
    result = attempts.submit(db, user.id, quizview.lesson_item(lesson), answers, key, at, rules)
    db.commit()
    return result


# --- the domain: submit ------------------------------------------------------------------

def test_a_pass_completes_the_lesson_and_pays_on_time_points(db, make):
    officer, lesson = make.user(), lesson_due_in(make, 24)
    result = submit(db, officer, lesson, make.answers(lesson.quiz, wrong=("q2",)))
    assert (result.score, result.passed, result.points_awarded) == (80, True, 5)
    row = completion.get(db, officer.id, "lesson", lesson.id)
    assert (row.status, row.best_score, row.attempts, row.first_completed_at) == (
        "completed", 80, 1, NOW)
    assert points.total(db, officer.id) == 5


def test_a_fail_counts_the_attempt_but_does_not_complete(db, make):
    officer, lesson = make.user(), lesson_due_in(make, 24)
    result = submit(db, officer, lesson, make.answers(lesson.quiz, wrong=("q1", "q2", "q3")))
    assert (result.score, result.passed, result.points_awarded) == (40, False, 0)
    row = completion.get(db, officer.id, "lesson", lesson.id)
    assert (row.status, row.best_score, row.attempts) == ("in_progress", 40, 1)
    assert points.total(db, officer.id) == 0


def test_results_carry_the_key_in_the_answers_shape_and_the_explanation(db, make):
    officer, lesson = make.user(), lesson_due_in(make, 24, review="immediately")
    result = submit(db, officer, lesson, all_wrong(make, lesson.quiz))
    assert result.answers_shown
    assert [r.correct_answer for r in result.results] == ["B", ["A", "B", "C"], True, "连", "C"]
    assert result.results[0].explanation == "由批准其成立的党组织指定。"
    assert result.score == 0 and not any(r.correct for r in result.results)


def test_the_same_key_returns_the_first_result_and_records_nothing_new(db, make):
    officer, lesson = make.user(), lesson_due_in(make, 24)
    first = submit(db, officer, lesson, make.answers(lesson.quiz, wrong=("q2",)))
    again = submit(db, officer, lesson, make.answers(lesson.quiz), at=NOW + timedelta(minutes=1))
    assert again.replayed and not first.replayed
    assert (again.attempt_id, again.score, again.points_awarded, again.results) == (
        first.attempt_id, 80, 5, first.results)
    assert count(db, Attempt) == 1
    assert completion.get(db, officer.id, "lesson", lesson.id).attempts == 1
    assert points.total(db, officer.id) == 5


def test_the_unique_constraint_alone_stops_a_twin(db, make, monkeypatch):
    """A concurrent twin is not visible to the early look-up; the insert's ON CONFLICT on the
    (user, key) unique index is what stops it, and the twin gets the stored result."""
    officer, lesson = make.user(), lesson_due_in(make, 24)
    first = submit(db, officer, lesson, make.answers(lesson.quiz))
    look_up = attempts._by_key_or_open

    def blind(*args):  # the early look-up misses the stored attempt, as a twin's would
        return None, None, look_up(*args)[2]
    monkeypatch.setattr(attempts, "_by_key_or_open", blind)
    twin = submit(db, officer, lesson, make.answers(lesson.quiz, wrong=("q1",)))
    assert twin.replayed and (twin.attempt_id, twin.score) == (first.attempt_id, 100)
    assert count(db, Attempt) == 1 and points.total(db, officer.id) == 7


def test_a_new_key_is_a_new_attempt_and_keeps_the_best_score(db, make):
    officer, lesson = make.user(), lesson_due_in(make, 24)
    submit(db, officer, lesson, make.answers(lesson.quiz, wrong=("q2",)), key="a")
    second = submit(db, officer, lesson, make.answers(lesson.quiz, wrong=("q1", "q2")), key="b")
    assert second.score == 60 and not second.replayed
    row = completion.get(db, officer.id, "lesson", lesson.id)
    db.refresh(row)
    assert (row.best_score, row.attempts) == (80, 2)
    assert points.total(db, officer.id) == 5  # passing again pays nothing more


def test_a_late_pass_pays_the_late_points(db, make):
    officer, lesson = make.user(), lesson_due_in(make, -1)
    assert submit(db, officer, lesson, make.answers(lesson.quiz, wrong=("q1",))).points_awarded == 2
    assert db.scalars(select(PointsEntry.rule)).all() == ["lesson_late"]


def test_passing_again_after_the_due_date_never_adds_late_points(db, make):
    officer, lesson = make.user(), lesson_due_in(make, 1)
    submit(db, officer, lesson, make.answers(lesson.quiz, wrong=("q1",)), key="a")
    late = submit(db, officer, lesson, make.answers(lesson.quiz, wrong=("q1",)), key="b",
                  at=NOW + timedelta(hours=3))
    assert late.points_awarded == 0
    assert db.scalars(select(PointsEntry.rule)).all() == ["lesson_on_time"]


def test_a_perfect_score_adds_the_bonus_once(db, make):
    officer, lesson = make.user(), lesson_due_in(make, 24)
    assert submit(db, officer, lesson, make.answers(lesson.quiz), key="a").points_awarded == 7
    assert submit(db, officer, lesson, make.answers(lesson.quiz), key="b").points_awarded == 0
    assert points.total(db, officer.id) == 7


def test_point_amounts_come_from_the_configured_rules(db, make):
    officer, lesson = make.user(), lesson_due_in(make, 24)
    rules = {"lesson_on_time": 10, "lesson_perfect": 0}
    assert submit(db, officer, lesson, make.answers(lesson.quiz), rules=rules).points_awarded == 10


def test_wrong_answers_go_to_the_mistake_notebook(db, make):
    officer, lesson = make.user(), lesson_due_in(make, 24)
    submit(db, officer, lesson, make.answers(lesson.quiz, wrong=("q2", "q4")))
    assert count(db, Mistake, Mistake.user_id == officer.id) == 2


@pytest.mark.parametrize("answers, message", [
    (["B"], "映射"),
    ({"999999": "A"}, "不属于本测验"),
    ({"q1": "A"}, "不属于本测验"),
])
def test_malformed_answers_are_refused_and_nothing_is_written(db, make, answers, message):
    officer, lesson = make.user(), lesson_due_in(make, 24)
    with pytest.raises(attempts.InvalidAnswer, match=message):
        submit(db, officer, lesson, answers)
    db.rollback()
    assert count(db, Attempt) == count(db, Completion) == 0


def test_an_answer_of_the_wrong_type_is_refused(db, make):
    officer, lesson = make.user(), lesson_due_in(make, 24)
    first = str(lesson.quiz.questions[0].id)
    for wrong in (["A"], True, 1, "E"):
        with pytest.raises(attempts.InvalidAnswer):
            submit(db, officer, lesson, {first: wrong})
        db.rollback()


@pytest.mark.parametrize("key", [None, "", "   ", 17, "x" * 81])
def test_the_idempotency_key_is_required_and_bounded(db, make, key):
    officer, lesson = make.user(), lesson_due_in(make, 24)
    with pytest.raises(attempts.InvalidKey):
        submit(db, officer, lesson, all_wrong(make, lesson.quiz), key=key)


def test_a_key_reused_for_another_lesson_is_a_conflict(db, make):
    officer = make.user()
    one, other = lesson_due_in(make, 24), lesson_due_in(make, 24)
    submit(db, officer, one, all_wrong(make, one.quiz), key="same")
    with pytest.raises(attempts.KeyConflict):
        submit(db, officer, other, all_wrong(make, other.quiz), key="same")


def test_keys_belong_to_their_user(db, make):
    lesson = lesson_due_in(make, 24)
    a = submit(db, make.user(), lesson, all_wrong(make, lesson.quiz), key="same")
    b = submit(db, make.user(), lesson, make.answers(lesson.quiz), key="same")
    assert a.attempt_id != b.attempt_id and b.score == 100


def test_attempt_outcome_is_one_transaction(db, make, monkeypatch):
    """If anything after the attempt fails, the attempt, completion and points go with it."""
    officer, lesson = make.user(), lesson_due_in(make, 24)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")
    # the last step, after every write (on PostgreSQL the writes after the attempt are one
    # statement, so breaking any one of them would test less)
    monkeypatch.setattr("lms.domain.quiz.attempts.result_lines", broken)
    with pytest.raises(RuntimeError):
        attempts.submit(db, officer.id, quizview.lesson_item(lesson),
                        make.answers(lesson.quiz, wrong=("q1",)), "k", NOW, RULES)
    db.rollback()
    assert count(db, Attempt) == count(db, Completion) == count(db, PointsEntry) == 0


def test_attempts_allowed_is_enforced_but_a_retry_still_replays(db, make):
    officer, lesson = make.user(), lesson_due_in(make, 24, attempts_allowed=1)
    first = submit(db, officer, lesson, all_wrong(make, lesson.quiz), key="a")
    again = submit(db, officer, lesson, all_wrong(make, lesson.quiz), key="a")
    assert again.attempt_id == first.attempt_id
    with pytest.raises(attempts.AttemptsExhausted):
        submit(db, officer, lesson, all_wrong(make, lesson.quiz), key="b")


def test_a_submission_after_the_time_limit_and_grace_is_refused(db, make):
    officer, lesson = make.user(), lesson_due_in(make, 24, time_limit_seconds=300)
    opened = quizview.start(db, officer.id, quizview.lesson_item(lesson), NOW)
    db.commit()
    item = quizview.lesson_item(lesson)
    with pytest.raises(attempts.TimeLimitExceeded):
        attempts.submit(db, officer.id, item, all_wrong(make, item.quiz),
                        opened.idempotency_key, NOW + timedelta(seconds=331), RULES)
    db.rollback()
    within_grace = attempts.submit(db, officer.id, item, all_wrong(make, item.quiz),
                                   opened.idempotency_key, NOW + timedelta(seconds=329), RULES)
    assert within_grace.attempt_id == opened.id


def test_an_open_attempt_is_reused_until_its_time_is_up(db, make):
    officer, lesson = make.user(), lesson_due_in(make, 24, time_limit_seconds=300)
    item = quizview.lesson_item(lesson)
    first = quizview.start(db, officer.id, item, NOW)
    assert quizview.start(db, officer.id, item, NOW + timedelta(seconds=60)).id == first.id
    assert quizview.start(db, officer.id, item, NOW + timedelta(seconds=301)).id != first.id


def test_options_are_shuffled_per_attempt_when_the_quiz_asks(db, make):
    officer, lesson = make.user(), lesson_due_in(make, 24, shuffle=True)
    item = quizview.lesson_item(lesson)
    orders = set()
    for _ in range(6):
        opened = quizview.start(db, officer.id, item, NOW)
        orders.add(tuple(key for key, _ in opened.questions[0].options))
        attempts.submit(db, officer.id, item, all_wrong(make, item.quiz),
                        opened.idempotency_key, NOW, RULES)
        db.commit()
    assert len(orders) > 1
    assert all(sorted(order) == ["A", "B", "C", "D"] for order in orders)


def test_without_shuffle_options_keep_their_order(db, make):
    officer, lesson = make.user(), lesson_due_in(make, 24)
    opened = quizview.start(db, officer.id, quizview.lesson_item(lesson), NOW)
    assert [key for key, _ in opened.questions[0].options] == ["A", "B", "C", "D"]


# --- in the browser (test client) --------------------------------------------------------

def form_of(page_text: str) -> dict:
    return {"idempotency_key": re.search(r'name="idempotency_key" value="([^"]+)"',
                                         page_text).group(1)}


def as_form(answers: dict) -> dict:
    return {f"q{qid}": (str(a).lower() if isinstance(a, bool) else a)
            for qid, a in answers.items()}


def test_officer_takes_the_quiz_and_sees_the_result(make, client, login, db, frozen_clock):
    officer, lesson = make.user(), lesson_due_in(make, 24)
    login(officer.police_no)
    page = client.get(f"/lessons/{lesson.id}")
    assert page.status_code == 200 and lesson.title in page.text
    data = {**form_of(page.text), **as_form(make.answers(lesson.quiz, wrong=("q3",)))}
    response = client.post(f"/lessons/{lesson.id}/attempts", data=data)
    assert response.status_code == 303
    result = client.get(response.headers["Location"])
    assert "80" in result.text and "回答错误" in result.text
    assert "临时党支部一般不发展党员、不收党费。" in result.text  # the explanation
    assert result.text.count('class="review-item right"') == 4


def test_showing_the_quiz_again_reuses_the_open_attempt(make, client, login, db, frozen_clock):
    officer, lesson = make.user(), lesson_due_in(make, 24)
    login(officer.police_no)
    first = form_of(client.get(f"/lessons/{lesson.id}").text)
    assert form_of(client.get(f"/lessons/{lesson.id}").text) == first
    assert count(db, Attempt, Attempt.status == "open") == 1


def test_submitting_the_same_form_twice_records_one_attempt(make, client, login, db, frozen_clock):
    officer, lesson = make.user(), lesson_due_in(make, 24)
    login(officer.police_no)
    data = {**form_of(client.get(f"/lessons/{lesson.id}").text),
            **as_form(make.answers(lesson.quiz))}
    one = client.post(f"/lessons/{lesson.id}/attempts", data=data)
    two = client.post(f"/lessons/{lesson.id}/attempts", data=data)
    assert one.headers["Location"] == two.headers["Location"]
    assert count(db, Attempt) == 1 and points.total(db, officer.id) == 7


def test_a_multiple_choice_form_sends_every_ticked_box(make, client, login, db, frozen_clock):
    officer, lesson = make.user(), lesson_due_in(make, 24)
    login(officer.police_no)
    data = {**form_of(client.get(f"/lessons/{lesson.id}").text),
            **as_form(make.answers(lesson.quiz))}
    client.post(f"/lessons/{lesson.id}/attempts", data=data)
    assert db.scalar(select(Attempt.score)) == 100


def test_a_late_submission_in_the_browser_is_refused_with_a_page(make, client, login, db,
                                                                  frozen_clock):
    officer, lesson = make.user(), lesson_due_in(make, 24, time_limit_seconds=60)
    login(officer.police_no)
    data = form_of(client.get(f"/lessons/{lesson.id}").text)
    frozen_clock.set(NOW + timedelta(seconds=91))
    response = client.post(f"/lessons/{lesson.id}/attempts", data=data)
    assert response.status_code == 422 and "已超过答题时限" in response.text
    assert count(db, Attempt, Attempt.status == "submitted") == 0


def test_no_quiz_form_once_attempts_are_used_up(make, client, login, db, frozen_clock):
    officer, lesson = make.user(), lesson_due_in(make, 24, attempts_allowed=1)
    submit(db, officer, lesson, all_wrong(make, lesson.quiz))
    login(officer.police_no)
    page = client.get(f"/lessons/{lesson.id}")
    assert "作答次数已用完" in page.text and "idempotency_key" not in page.text


def test_an_officer_cannot_see_someone_elses_result(make, client, login, db, frozen_clock):
    lesson = lesson_due_in(make, 24)
    theirs = submit(db, make.user(), lesson, all_wrong(make, lesson.quiz))
    me = make.user()
    login(me.police_no)
    assert client.get(f"/attempts/{theirs.attempt_id}").status_code == 404


def test_an_open_attempt_has_no_result_page(make, client, login, db, frozen_clock):
    officer, lesson = make.user(), lesson_due_in(make, 24)
    login(officer.police_no)
    client.get(f"/lessons/{lesson.id}")
    open_id = db.scalar(select(Attempt.id))
    assert client.get(f"/attempts/{open_id}").status_code == 404


def test_a_lesson_outside_the_officers_audience_is_not_found(make, client, login, frozen_clock):
    tree = make.tree()
    lesson = make.lesson(audience=[tree["county_b"]])
    officer = make.user(tree["branch_a"])
    login(officer.police_no)
    assert client.get(f"/lessons/{lesson.id}").status_code == 404
    assert client.post(f"/lessons/{lesson.id}/attempts", data={}).status_code == 404


def test_reading_time_runs_from_opening_the_lesson_to_submitting(make, client, login, db,
                                                                   frozen_clock):
    officer, lesson = make.user(), lesson_due_in(make, 24)
    login(officer.police_no)
    data = {**form_of(client.get(f"/lessons/{lesson.id}").text),
            **as_form(make.answers(lesson.quiz))}
    frozen_clock.set(NOW + timedelta(minutes=7))
    client.post(f"/lessons/{lesson.id}/attempts", data=data)
    row = completion.get(db, officer.id, "lesson", lesson.id)
    assert row.time_spent_seconds == 7 * 60


@pytest.mark.parametrize("wrong", [(), ("q1", "q2", "q3")], ids=["pass", "fail"])
def test_one_visit_counts_at_most_an_hour_of_reading(db, make, wrong):
    officer, lesson = make.user(), lesson_due_in(make, 24)
    completion.record_open(db, officer.id, "lesson", lesson.id, NOW)
    db.commit()
    submit(db, officer, lesson, make.answers(lesson.quiz, wrong=wrong),
           at=NOW + timedelta(hours=2, seconds=30))
    row = completion.get(db, officer.id, "lesson", lesson.id)
    assert (row.time_spent_seconds, row.opened_at, row.attempts) == (3600, None, 1)
    completion.record_open(db, officer.id, "lesson", lesson.id, NOW + timedelta(hours=3))
    db.commit()
    submit(db, officer, lesson, make.answers(lesson.quiz, wrong=wrong), key="k2",
           at=NOW + timedelta(hours=3, seconds=59, microseconds=999000))
    db.expire_all()
    row = completion.get(db, officer.id, "lesson", lesson.id)
    assert (row.time_spent_seconds, row.opened_at, row.attempts) == (3659, None, 2)


def test_a_key_changed_between_two_attempts_grades_the_second_by_the_new_key(db, make):
    """The grading keys may be cached per worker, but only under the version of the
    question rows read after the key lock: an edited key is never graded by the old one."""
    lesson = lesson_due_in(make, 24)
    answers = make.answers(lesson.quiz)
    assert submit(db, make.user(), lesson, answers, key="before").score == 100
    question = next(q for q in lesson.quiz.questions if q.key == "q1")
    question.answer = next(k for k, _ in question.options if k != question.answer)
    db.commit()
    assert submit(db, make.user(), lesson, answers, key="after").score == 80


def test_a_courseware_quiz_leaves_the_reading_timer_alone(make, client, login, db, frozen_clock):
    officer, item = make.user(), make.courseware(quiz=True)
    login(officer.police_no)
    client.get(f"/courseware/{item.slug}")  # the reading page starts its timer
    frozen_clock.set(NOW + timedelta(minutes=3))
    page = client.get(f"/courseware/{item.slug}/quiz")
    qid = item.quiz.questions[0].id
    client.post(f"/courseware/{item.slug}/quiz", data={**form_of(page.text), f"q{qid}": "false"})
    opened = db.scalar(select(Completion.opened_at).where(Completion.user_id == officer.id))
    assert opened == NOW


def test_a_courseware_quiz_pays_its_points_once(make, client, login, db, frozen_clock):
    officer, item = make.user(), make.courseware(quiz=True)
    login(officer.police_no)
    page = client.get(f"/courseware/{item.slug}/quiz")
    assert page.status_code == 200 and "是否读完" in page.text
    qid = item.quiz.questions[0].id
    response = client.post(f"/courseware/{item.slug}/quiz",
                           data={**form_of(page.text), f"q{qid}": "true"})
    result = client.get(response.headers["Location"])
    assert "100" in result.text and "+2" in result.text
    assert completion.get(db, officer.id, "courseware", item.id).status == "completed"
    again = client.get(f"/courseware/{item.slug}/quiz")
    client.post(f"/courseware/{item.slug}/quiz", data={**form_of(again.text), f"q{qid}": "true"})
    assert points.total(db, officer.id) == 2


def test_courseware_without_a_quiz_has_no_quiz_page(make, client, login):
    officer, item = make.user(), make.courseware()
    login(officer.police_no)
    assert client.get(f"/courseware/{item.slug}/quiz").status_code == 404


def test_the_quiz_form_works_with_csrf_protection_on(csrf_on, make, client, frozen_clock):
    officer, lesson = make.user(), lesson_due_in(make, 24)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/login").text)
    client.post("/login", data={"police_no": officer.police_no, "password": Factory.PASSWORD,
                                "csrf_token": token.group(1)})
    # Test requests share the test's app context and so Flask-WTF's token cache in `g`;
    # a real request after signing in starts without one.
    g.pop("csrf_token", None)
    page = client.get(f"/lessons/{lesson.id}").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answers = as_form(make.answers(lesson.quiz))
    without = client.post(f"/lessons/{lesson.id}/attempts", data={**form_of(page), **answers})
    assert without.status_code == 400
    response = client.post(f"/lessons/{lesson.id}/attempts",
                           data={**form_of(page), **answers, "csrf_token": csrf})
    assert response.status_code == 303
