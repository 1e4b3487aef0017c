"""Security review 2026-12-03: a bank question is one question wherever it is asked, so its
key must not come out of one quiz while another quiz that may draw it still hides it from
the officer (docs/SECURITY-REVIEW-2026-12-03.md, findings 1 and 2)."""
import pytest
from factories import RULES
from test_question_draws import bank, drawn_quiz

from lms.domain.quiz import attempts, grading, mistakes, quizview, review
from lms.models import Attempt

SANHUI = [{"tag": "三会", "count": 3, "bank": "zhengzhi"}]


def wrong(questions):
    return {str(q.id): False for q in questions}


def right(questions):
    return {str(q.id): True for q in questions}


@pytest.fixture
def practice_and_exam(db, make):
    """Practice lesson A shows keys after any attempt; exam B (same bank, same tag) only
    after a pass or its two attempts."""
    bank(db)
    a = make.lesson(quiz=drawn_quiz(db, SANHUI, review="immediately"))
    b = make.lesson(quiz=drawn_quiz(db, SANHUI, attempts_allowed=2))
    return a, b


def take(db, officer, lesson, answers_of, at=None):
    item = quizview.lesson_item(lesson)
    at = at or lesson.publish_at
    opened = quizview.open_quiz(db, officer.id, item, at)
    db.commit()
    result = attempts.submit(db, officer.id, item, answers_of(opened.questions),
                             opened.attempt.idempotency_key, at, RULES)
    db.commit()
    return result


def test_a_practice_quiz_does_not_give_away_the_exam_s_keys(db, make, practice_and_exam):
    a, b = practice_and_exam
    officer = make.user()
    result = take(db, officer, a, wrong)
    assert result.answers_shown  # A's own policy
    assert all(line.correct_answer is None and line.explanation is None
               for line in result.results)
    attempt_id = result.attempt_id
    shown = review.review(db, officer.id, attempt_id, a.publish_at)
    assert all(q.correct_answer is None and q.explanation is None for q in shown.questions)
    # once the exam shows its key (passed), the practice quiz shows it too
    take(db, officer, b, right)
    shown = review.review(db, officer.id, attempt_id, a.publish_at)
    assert all(q.correct_answer is True and q.explanation for q in shown.questions)


def test_a_retake_after_a_pass_does_not_give_away_another_quiz_s_keys(db, make):
    """review=after_pass: the pass earns the keys of this quiz, not of the exam's."""
    bank(db, tags=(("三会", 8),))
    a = make.lesson(quiz=drawn_quiz(db, [{"tag": "三会", "count": 2, "bank": None}]))
    b = make.lesson(quiz=drawn_quiz(db, [{"tag": "三会", "count": 8, "bank": None}],
                                    attempts_allowed=1))
    officer = make.user()
    assert take(db, officer, a, right).passed
    retake = take(db, officer, a, wrong)
    assert retake.answers_shown
    assert all(line.correct_answer is None for line in retake.results)
    assert b.id  # the exam is still to take


def test_the_notebook_does_not_practise_what_another_quiz_hides(db, make, practice_and_exam):
    a, b = practice_and_exam
    officer = make.user()
    take(db, officer, a, wrong)
    assert mistakes.notebook(db, officer.id)  # noted ...
    assert mistakes.practice_batch(db, officer.id, a.publish_at) == []  # ... not practised
    entry = mistakes.notebook(db, officer.id)[0]
    with pytest.raises(grading.AnswerError):
        mistakes.review(db, officer.id, {str(entry.question.id): True},
                        {str(entry.question.id): entry.version}, a.publish_at)
    db.rollback()
    take(db, officer, b, right)
    assert len(mistakes.practice_batch(db, officer.id, a.publish_at)) == 3


def test_the_result_page_shows_no_key_for_a_withheld_question(db, make, client, login,
                                                              practice_and_exam):
    a, _b = practice_and_exam
    officer = make.user()
    result = take(db, officer, a, wrong)
    login(officer.police_no)
    page = client.get(f"/attempts/{result.attempt_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "correct-answer" not in html and "三会解析" not in html


def test_a_time_limited_draw_is_not_rerolled_by_letting_it_expire(db, make):
    """Waiting out the time limit used to open a new attempt with a new draw: an officer
    could reroll until the draw suited them, and read the whole bank without answering."""
    bank(db, tags=(("三会", 8),))
    a = make.lesson(quiz=drawn_quiz(db, [{"tag": "三会", "count": 2, "bank": None}],
                                    time_limit_seconds=60))
    officer = make.user()
    item = quizview.lesson_item(a)
    first = quizview.open_quiz(db, officer.id, item, a.publish_at)
    db.commit()
    from datetime import timedelta
    seen = {q.id for q in first.questions}
    for minutes in range(2, 12, 2):
        later = quizview.open_quiz(db, officer.id, item, a.publish_at + timedelta(minutes=minutes))
        db.commit()
        assert {q.id for q in later.questions} == seen
    assert db.query(Attempt).filter_by(user_id=officer.id).count() >= 1


def test_the_api_gives_no_key_for_a_withheld_question(db, make, client, practice_and_exam):
    a, _b = practice_and_exam
    officer = make.user()
    token = client.post("/api/v1/auth/token", json={
        "police_no": officer.police_no, "password": make.PASSWORD}).json["token"]
    headers = {"Authorization": f"Bearer {token}"}
    questions = client.get(f"/api/v1/lessons/{a.id}", headers=headers).json["quiz"]["questions"]
    body = client.post(f"/api/v1/lessons/{a.id}/attempts", headers=headers, json={
        "answers": {str(q["id"]): False for q in questions},
        "idempotency_key": "api-1"}).json
    assert body["answers_shown"] is True and len(body["results"]) == 3
    assert all(set(line) == {"question_id", "correct"} for line in body["results"])
