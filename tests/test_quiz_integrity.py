"""Quiz integrity (issue 9): the key only when the review policy allows, unanswered attempts
refused and counted as nothing, first scores kept, one entry per question in the notebook."""
import re
from datetime import datetime, timedelta

import pytest
from factories import bearer
from sqlalchemy import func, select

from lms.domain.learning import completion
from lms.domain.quiz import attempts, mistakes, quizview, review
from lms.models import Attempt, MicroLesson, Mistake, PointsEntry

RULES = {"lesson_on_time": 5, "lesson_late": 2, "lesson_perfect": 2, "courseware_quiz": 2}
NOW = datetime(2026, 11, 18, 2, 0)
ALL = ("q1", "q2", "q3", "q4", "q5")


def lesson_due_in(make, hours: float, **quiz):
    return make.lesson(publish_at=NOW - timedelta(days=2), due_at=NOW + timedelta(hours=hours),
                       quiz=make.quiz(**quiz))


def submit(db, make, user, lesson, wrong=(), key="k1", at=NOW):
    result = attempts.submit(db, user.id, quizview.lesson_item(lesson),
                             make.answers(lesson.quiz, wrong=wrong), key, at, RULES)
    db.commit()
    return result


def count(db, model, *where):
    return db.scalar(select(func.count()).select_from(model).where(*where))


# --- the review policy ----------------------------------------------------------------------

def test_a_failed_attempt_names_the_wrong_questions_and_nothing_more(db, make):
    officer, lesson = make.user(), lesson_due_in(make, 24)
    result = submit(db, make, officer, lesson, wrong=("q1", "q2", "q3"))
    assert not result.passed and not result.answers_shown
    assert [r.correct for r in result.results] == [False, False, False, True, True]
    assert all(r.correct_answer is None and r.explanation is None for r in result.results)


def test_a_pass_shows_the_key_and_so_does_the_earlier_failed_attempt(db, make):
    officer, lesson = make.user(), lesson_due_in(make, 24)
    failed = submit(db, make, officer, lesson, wrong=("q1", "q2", "q3"), key="a")
    passed = submit(db, make, officer, lesson, key="b")
    assert passed.answers_shown and passed.results[0].correct_answer == "B"
    earlier = review.review(db, officer.id, failed.attempt_id, NOW)
    assert earlier.answers_shown and earlier.questions[0].explanation


def test_the_last_allowed_attempt_shows_the_key(db, make):
    officer, lesson = make.user(), lesson_due_in(make, 24, attempts_allowed=2)
    first = submit(db, make, officer, lesson, wrong=ALL, key="a")
    assert (first.answers_shown, first.attempts_left) == (False, 1)
    last = submit(db, make, officer, lesson, wrong=ALL, key="b")
    assert (last.answers_shown, last.attempts_left) == (True, 0)
    assert last.results[1].correct_answer == ["A", "B", "C"]


def test_the_due_time_passing_shows_the_key(db, make):
    officer, lesson = make.user(), lesson_due_in(make, 1)
    result = submit(db, make, officer, lesson, wrong=ALL)
    assert not result.answers_shown
    later = review.review(db, officer.id, result.attempt_id, NOW + timedelta(hours=2))
    assert later.answers_shown and later.questions[0].correct_answer == "B"


def test_after_due_waits_for_the_due_time_even_after_a_pass(db, make):
    officer, lesson = make.user(), lesson_due_in(make, 1, review="after_due")
    result = submit(db, make, officer, lesson)
    assert result.passed and not result.answers_shown
    assert review.review(db, officer.id, result.attempt_id, NOW + timedelta(hours=2)
                         ).answers_shown


def test_immediately_shows_the_key_after_any_attempt(db, make):
    officer, lesson = make.user(), lesson_due_in(make, 24, review="immediately")
    assert submit(db, make, officer, lesson, wrong=ALL).answers_shown


def test_after_due_on_courseware_behaves_like_after_pass(db, make):
    officer, item = make.user(), make.courseware(quiz=True)
    quiz_item = quizview.courseware_item(db, item.slug)
    quiz_item.quiz.review = "after_due"
    db.commit()
    assert not review.answers_shown(db, officer.id, quiz_item, NOW)
    questions = quizview.questions_of(db, quiz_item.quiz.id)
    right = {str(q.id): q.answer[0] if q.kind == "fill_blank" else q.answer for q in questions}
    result = attempts.submit(db, officer.id, quiz_item, right, "cw", NOW, RULES)
    assert result.passed and result.answers_shown


def test_the_api_leaves_out_the_key_until_it_is_shown(db, make, client, frozen_clock):
    officer, lesson = make.user(), lesson_due_in(make, 24)
    headers = bearer(client, officer)
    url = f"/api/v1/lessons/{lesson.id}/attempts"
    wrong = client.post(url, headers=headers, json={
        "answers": make.answers(lesson.quiz, wrong=ALL), "idempotency_key": "w"}).get_json()
    assert (wrong["answers_shown"], wrong["attempts_left"]) == (False, None)
    assert all(set(r) == {"question_id", "correct"} for r in wrong["results"])
    right = client.post(url, headers=headers, json={
        "answers": make.answers(lesson.quiz), "idempotency_key": "r"}).get_json()
    assert right["answers_shown"] is True
    assert all({"correct_answer", "explanation"} <= set(r) for r in right["results"])


def test_the_result_page_hides_the_key_then_shows_it_after_a_pass(db, make, client, login,
                                                                   frozen_clock):
    officer, lesson = make.user(), lesson_due_in(make, 24)
    failed = submit(db, make, officer, lesson, wrong=ALL, key="a")
    login(officer.police_no)
    page = client.get(f"/attempts/{failed.attempt_id}").text
    explanation = lesson.quiz.questions[0].explanation
    assert "回答错误" in page and "correct-answer" not in page and explanation not in page
    assert "正确选项" not in page and "通过测验、用完作答次数或过了截止时间后" in page
    submit(db, make, officer, lesson, key="b")
    page = client.get(f"/attempts/{failed.attempt_id}").text
    assert "correct-answer" in page and explanation in page


def test_the_notebook_review_hides_the_key_before_it_is_shown(db, make, client, login,
                                                               frozen_clock):
    officer, lesson = make.user(), lesson_due_in(make, 24)
    submit(db, make, officer, lesson, wrong=ALL)
    login(officer.police_no)
    page = client.get("/mistakes").text
    versions = dict(re.findall(r'name="(v\d+)" value="([^"]+)"', page))
    q1 = next(q for q in lesson.quiz.questions if q.key == "q1")
    result = client.post("/mistakes/review", data={**versions, f"q{q1.id}": "A"})
    # not graded at all: a right/wrong verdict per option would give the key away
    assert result.status_code == 422 and "回答错误" not in result.text
    assert "correct-answer" not in result.text and q1.explanation not in result.text


# --- unanswered questions -------------------------------------------------------------------

def test_an_incomplete_api_attempt_is_refused_and_counts_as_nothing(db, make, client, frozen_clock):
    officer, lesson = make.user(), lesson_due_in(make, 24, attempts_allowed=1)
    headers = bearer(client, officer)
    answers = make.answers(lesson.quiz, wrong=ALL)
    ids = {q.key: q.id for q in lesson.quiz.questions}
    answers[str(ids["q2"])] = []  # a blank multi-select
    answers[str(ids["q4"])] = "  "  # a blank fill-in
    del answers[str(ids["q5"])]
    url = f"/api/v1/lessons/{lesson.id}/attempts"
    refused = client.post(url, headers=headers, json={"answers": answers,
                                                      "idempotency_key": "once"})
    assert refused.status_code == 422
    error = refused.get_json()["error"]
    assert error["code"] == "unanswered" and error["message"]
    assert sorted(error["question_ids"]) == sorted([ids["q2"], ids["q4"], ids["q5"]])
    assert count(db, Attempt, Attempt.status == "submitted") == 0
    assert count(db, Mistake) == count(db, PointsEntry) == 0
    row = completion.get(db, officer.id, "lesson", lesson.id)
    assert row is None or row.attempts == 0
    # the only allowed attempt and the key are still there
    full = client.post(url, headers=headers, json={"answers": make.answers(lesson.quiz),
                                                   "idempotency_key": "once"})
    assert full.status_code == 201 and full.get_json()["score"] == 100


def test_an_incomplete_form_shows_the_summary_and_keeps_the_answers(db, make, client, login,
                                                                    frozen_clock):
    officer, lesson = make.user(), lesson_due_in(make, 24)
    login(officer.police_no)
    page = client.get(f"/lessons/{lesson.id}").text
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)
    ids = {q.key: q.id for q in lesson.quiz.questions}
    response = client.post(f"/lessons/{lesson.id}/attempts", data={
        "idempotency_key": key, f"q{ids['q1']}": "B", f"q{ids['q4']}": "连"})
    assert response.status_code == 422
    text = response.text
    assert "尚有 3 题未作答" in text
    assert all(f'href="#q-{ids[k]}"' in text for k in ("q2", "q3", "q5"))
    assert re.search(rf'name="q{ids["q1"]}" value="B"[^>]*checked', text)
    assert 'value="连"' in text and f'value="{key}"' in text
    assert count(db, Attempt, Attempt.status == "submitted") == 0
    assert count(db, Attempt) == 1  # the same open attempt, not a new one


# --- first scores ---------------------------------------------------------------------------

def test_the_first_score_stays_beside_the_best(db, make):
    officer, lesson = make.user(), lesson_due_in(make, 24)
    submit(db, make, officer, lesson, wrong=("q1", "q2", "q3"), key="a")  # 40, failed
    submit(db, make, officer, lesson, wrong=("q1",), key="b")  # 80, completes
    submit(db, make, officer, lesson, key="c")  # 100
    row = completion.get(db, officer.id, "lesson", lesson.id)
    assert (row.status, row.first_score, row.best_score) == ("completed", 40, 100)


def test_a_failed_attempt_alone_does_not_complete(db, make):
    officer, lesson = make.user(), lesson_due_in(make, 24)
    submit(db, make, officer, lesson, wrong=ALL)
    row = completion.get(db, officer.id, "lesson", lesson.id)
    assert (row.status, row.first_score) == ("in_progress", 0)


# --- the mistake notebook -------------------------------------------------------------------

def test_a_question_reused_by_several_lessons_is_one_entry(db, make):
    officer, first = make.user(), lesson_due_in(make, 24)
    for week in range(3):  # the demo's recycled weeks share the quiz
        db.add(MicroLesson(issue_no=900 + week, slug=f"again-{week}", title=f"往期 {week}",
                           summary="", body_md="", body_html="", estimated_minutes=5,
                           min_read_seconds=0, publish_at=NOW - timedelta(days=1),
                           due_at=NOW + timedelta(days=3), status="published",
                           quiz_id=first.quiz_id))
    db.commit()
    submit(db, make, officer, first, wrong=("q1", "q2"))
    entries = mistakes.notebook(db, officer.id)
    assert len(entries) == 2 == mistakes.open_count(db, officer.id)
    assert {e.source_id for e in entries} == {first.id}


def test_practice_runs_in_rounds_of_at_most_ten(db, make, client, login, frozen_clock):
    officer = make.user()
    questions = [{"key": f"q{n}", "kind": "true_false", "stem": f"第{n}题的陈述。",
                  "answer": True} for n in range(1, 13)]
    lesson = make.lesson(publish_at=NOW - timedelta(days=1), due_at=NOW + timedelta(days=1),
                         quiz=make.quiz(questions, review="immediately"))
    answers = {str(q.id): False for q in lesson.quiz.questions}
    attempts.submit(db, officer.id, quizview.lesson_item(lesson), answers, "k", NOW, RULES)
    db.commit()
    assert mistakes.open_count(db, officer.id) == 12
    assert len(mistakes.practice_batch(db, officer.id, NOW)) == mistakes.REVIEW_SIZE == 10
    login(officer.police_no)
    page = client.get("/mistakes").text
    assert page.count('class="question mistake"') == 10 and "12 题" in page


# --- course files ---------------------------------------------------------------------------

def test_quiz_files_read_the_review_policy_and_shuffle_by_default():
    from lms.domain.coursefiles import quizfile
    from lms.domain.studio.authoring import parse_quiz

    base = ("questions:\n  - id: q1\n    kind: true_false\n    stem: 陈述。\n"
            "    answer: true\n")
    spec, problems = parse_quiz(base)
    assert not problems and spec.review == "after_pass" and spec.shuffle is True
    spec, problems = parse_quiz("review: after_due\n" + base)
    assert not problems and spec.review == "after_due"
    assert quizfile.quiz_mapping(spec)["review"] == "after_due"
    spec, problems = parse_quiz("review: never\n" + base)
    assert spec is None and any("review" in p and "第 1 行" in p for p in problems)


# --- the supervisor's scores ----------------------------------------------------------------

def test_reports_average_first_attempts_beside_best_scores_and_the_tongbao_ranks_on_them(
        db, make, client, login, frozen_clock):
    from lms.domain.reports import inspection, periods, rollup, unitstats
    t = make.tree()
    due = NOW + timedelta(hours=2)
    lesson = make.lesson(publish_at=NOW - timedelta(days=1), due_at=due)
    a1, a2, b1 = make.user(t["branch_a"]), make.user(t["branch_a"]), make.user(t["branch_b"])
    submit(db, make, a1, lesson, wrong=("q1", "q2", "q3"), key="a")  # 40, then a retake
    submit(db, make, a1, lesson, key="b")  # 100
    submit(db, make, a2, lesson, key="c")  # 100 at once
    submit(db, make, b1, lesson, wrong=("q1",), key="d")  # 80 at once
    assert unitstats.drift(db) == {}
    period = periods.parse("2026Q4", "Asia/Shanghai")
    later = NOW + timedelta(days=1)
    report = rollup.completion_by_child(db, t["city"], rollup.Selection(period=period), later)
    by_code = {row.unit.code: row.counts for row in report.rows}
    assert (by_code["CA"].first_average, by_code["CA"].average_score) == (70, 100)
    assert (by_code["CB"].first_average, by_code["CB"].average_score) == (80, 80)
    # both branches completed everything on time: the first attempts decide the order
    ranked = inspection.inspection(db, t["city"], period, later).rows
    assert [row.unit.code for row in ranked] == ["BB", "BA"]
    admin = make.user(t["city"], roles=("admin", "supervisor"))
    frozen_clock.set(later)
    rows = client.get("/api/v1/reports/completion?unit=SZ&period=2026Q4",
                      headers=bearer(client, admin)).get_json()["rows"]
    assert {r["unit"]["code"]: r["first_score_avg"] for r in rows} == {
        "CA": 70.0, "CB": 80.0}
    login(admin.police_no)
    page = client.get("/supervise/?unit=SZ&period=2026Q4").text
    assert "首次平均分" in page and "最佳平均分" in page


def test_the_openapi_document_describes_the_v1_1_attempt_answer(db, make, client, frozen_clock):
    doc = client.get("/api/v1/openapi.json").get_json()
    schemas = doc["components"]["schemas"]
    result = schemas["AttemptResult"]
    officer, lesson = make.user(), lesson_due_in(make, 24)
    headers = bearer(client, officer)
    body = client.post(f"/api/v1/lessons/{lesson.id}/attempts", headers=headers, json={
        "answers": make.answers(lesson.quiz, wrong=ALL), "idempotency_key": "x"}).get_json()
    assert set(body) == set(result["required"]) == set(result["properties"])
    line = result["properties"]["results"]["items"]
    assert line["required"] == ["question_id", "correct"]
    assert {"correct_answer", "explanation"} <= set(line["properties"])
    refused = doc["paths"]["/lessons/{id}/attempts"]["post"]["responses"]["422"]
    assert refused["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/AttemptRefusal"}
    error = schemas["AttemptRefusal"]["properties"]["error"]["properties"]
    assert "unanswered" in error["code"]["enum"]
    assert error["question_ids"]["items"] == {"type": "integer"}


@pytest.mark.parametrize("malformed", [None, ["A"], {"1": 3}, {"1": [True]}, {"1": {}}])
def test_a_retry_with_malformed_answers_is_refused_not_replayed(db, make, client, malformed):
    """The same key replays the first result only for a request the contract allows."""
    officer, lesson = make.user(), lesson_due_in(make, 24)
    headers = bearer(client, officer)
    url = f"/api/v1/lessons/{lesson.id}/attempts"
    first = client.post(url, headers=headers, json={
        "answers": make.answers(lesson.quiz), "idempotency_key": "k1"})
    assert first.status_code == 201
    again = client.post(url, headers=headers, json={"answers": malformed, "idempotency_key": "k1"})
    assert again.status_code == 422
    assert again.get_json()["error"]["code"] == "invalid_answer"
    replay = client.post(url, headers=headers, json={
        "answers": make.answers(lesson.quiz), "idempotency_key": "k1"})
    assert replay.get_json()["attempt_id"] == first.get_json()["attempt_id"]
