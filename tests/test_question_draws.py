"""Quizzes drawn from the question bank (issue 12, item 3): a stable draw per attempt,
a new draw on a retake, grading on the draw only, statistics and the mistake notebook per
question whichever quiz drew it. Fixed quizzes are tests/test_attempts.py's."""
import re

import pytest
from factories import RULES
from sqlalchemy import select

from lms.domain.quiz import attempts, draws, mistakes, quizview
from lms.domain.quiz.quizstats import bank_stats, quiz_stats
from lms.models import Attempt, Mistake, Question, QuestionBank, Quiz

SEEDS = ("seed-a", "seed-b")


def bank(db, key="zhengzhi", tags=(("三会", 3), ("党章", 6))):
    """A bank with `count` true/false questions per tag (answer: true), keys t<tag#>-<n>."""
    row = QuestionBank(key=key, name="政治理论题库", description="")
    db.add(row)
    db.flush()
    for t, (tag, count) in enumerate(tags):
        for n in range(count):
            db.add(Question(bank_id=row.id, key=f"t{t}-{n}", position=t * 100 + n,
                            kind="true_false", stem=f"{tag}第{n}题。", options=[],
                            answer=True, explanation=f"{tag}解析{n}", tags=[tag]))
    db.commit()
    return row


def drawn_quiz(db, rules, **settings):
    quiz = Quiz(pass_score=60, shuffle=False, draw_rules=rules, **settings)
    db.add(quiz)
    db.commit()
    return quiz


@pytest.fixture
def setup(db, make):
    """Bank: 3 questions tagged 三会, 6 tagged 党章. Lesson A draws 2 三会 + 3 党章,
    lesson B all three 三会."""
    bank(db)
    a = make.lesson(quiz=drawn_quiz(db, [{"tag": "三会", "count": 2, "bank": "zhengzhi"},
                                         {"tag": "党章", "count": 3, "bank": None}]))
    b = make.lesson(quiz=drawn_quiz(db, [{"tag": "三会", "count": 3, "bank": "zhengzhi"}]))
    return a, b


def tags_of(db, ids):
    return [db.get(Question, i).tags[0] for i in ids]


def all_right(questions):
    return {str(q.id): True for q in questions}


def test_the_same_seed_draws_the_same_questions_and_another_seed_others(db, setup):
    a, _ = setup
    rules = draws.rules_of(a.quiz)
    first = [q.id for q in draws.draw(db, rules, SEEDS[0])]
    assert first == [q.id for q in draws.draw(db, rules, SEEDS[0])]
    assert first != [q.id for q in draws.draw(db, rules, SEEDS[1])]
    assert tags_of(db, first) == ["三会", "三会", "党章", "党章", "党章"]
    assert len(set(first)) == 5


def test_an_attempt_keeps_its_draw_each_time_the_quiz_is_opened(db, setup, make):
    a, _ = setup
    officer = make.user()
    item = quizview.lesson_item(a)
    first = quizview.open_quiz(db, officer.id, item, a.publish_at)
    db.commit()
    again = quizview.open_quiz(db, officer.id, item, a.publish_at)
    assert again.attempt.id == first.attempt.id
    ids = [q.id for q in first.questions]
    assert [q.id for q in again.questions] == ids and len(ids) == 5
    stored = db.get(Attempt, first.attempt.id)
    assert stored.question_ids == ids
    # the draw is the one its own key seeds
    assert ids == [q.id for q in draws.draw(db, draws.rules_of(a.quiz),
                                            stored.idempotency_key)]


def test_a_retake_draws_again(db, setup, make, monkeypatch):
    a, _ = setup
    keys = iter(SEEDS)
    monkeypatch.setattr(quizview.secrets, "token_urlsafe", lambda n: next(keys))
    officer = make.user()
    item = quizview.lesson_item(a)
    first = quizview.open_quiz(db, officer.id, item, a.publish_at)
    db.commit()
    attempts.submit(db, officer.id, item, all_right(first.questions), SEEDS[0],
                    a.publish_at, RULES)
    db.commit()
    retake = quizview.open_quiz(db, officer.id, item, a.publish_at)
    db.commit()
    assert retake.attempt.id != first.attempt.id
    assert [q.id for q in retake.questions] != [q.id for q in first.questions]
    assert [q.id for q in retake.questions] == [q.id for q in draws.draw(
        db, draws.rules_of(a.quiz), SEEDS[1])]


def test_grading_takes_only_the_drawn_questions(db, setup, make):
    a, _ = setup
    officer = make.user()
    item = quizview.lesson_item(a)
    opened = quizview.open_quiz(db, officer.id, item, a.publish_at)
    db.commit()
    drawn = {q.id for q in opened.questions}
    other = db.scalar(select(Question.id).where(Question.bank_id.is_not(None),
                                                Question.id.not_in(drawn)))
    with pytest.raises(attempts.InvalidAnswer):
        attempts.submit(db, officer.id, item, {**all_right(opened.questions), str(other): True},
                        opened.attempt.idempotency_key, a.publish_at, RULES)
    db.rollback()
    result = attempts.submit(db, officer.id, item, all_right(opened.questions),
                             opened.attempt.idempotency_key, a.publish_at, RULES)
    db.commit()
    assert result.score == 100 and result.passed
    assert {line.question_id for line in result.results} == drawn
    stored = db.get(Attempt, result.attempt_id)
    assert {r["question_id"] for r in stored.results} == drawn  # no other key stored


def test_a_drawn_quiz_cannot_be_answered_without_opening_it(db, setup, make):
    a, _ = setup
    officer = make.user()
    some = db.scalars(select(Question).where(Question.bank_id.is_not(None)).limit(5)).all()
    with pytest.raises(attempts.NotOpened):
        attempts.submit(db, officer.id, quizview.lesson_item(a), all_right(some), "fresh-key",
                        a.publish_at, RULES)


def test_the_lesson_page_shows_and_grades_the_draw(db, setup, make, browser_for):
    a, _ = setup
    officer = make.user()
    client = browser_for(officer)
    html = client.get(f"/lessons/{a.id}").get_data(as_text=True)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', html)[1]
    shown = sorted({int(n) for n in re.findall(r'name="q(\d+)"', html)})
    attempt = db.scalar(select(Attempt).where(Attempt.idempotency_key == key))
    assert shown == sorted(attempt.question_ids)
    form = {"idempotency_key": key, **{f"q{i}": "true" for i in shown}}
    response = client.post(f"/lessons/{a.id}/attempts", data=form)
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    db.expire_all()
    attempt = db.get(Attempt, attempt.id)
    assert attempt.status == "submitted" and attempt.score == 100


def test_statistics_count_a_question_across_the_quizzes_that_drew_it(db, setup, make):
    a, b = setup
    shared = set()
    for lesson in (a, b):
        officer = make.user()
        item = quizview.lesson_item(lesson)
        opened = quizview.open_quiz(db, officer.id, item, lesson.publish_at)
        db.commit()
        answers = {str(q.id): False for q in opened.questions}  # all wrong
        attempts.submit(db, officer.id, item, answers, opened.attempt.idempotency_key,
                        lesson.publish_at, RULES)
        db.commit()
        ids = {q.id for q in opened.questions}
        shared = ids if not shared else shared & ids
    assert len(shared) == 2  # lesson A drew two of the three 三会, B all three
    bank_row = db.scalar(select(QuestionBank))
    per_question = {q.question_id: q for q in bank_stats(db, bank_row.id).questions}
    for qid in shared:
        assert (per_question[qid].answered, per_question[qid].correct) == (2, 0)
    lesson_a = {q.question_id: q for q in quiz_stats(db, "lesson", a.id, a.quiz_id).questions}
    assert set(lesson_a) >= shared and all(lesson_a[q].answered == 1 for q in shared)
    assert len(lesson_a) == 5


def test_a_wrong_bank_question_enters_the_notebook_with_its_lesson(db, setup, make):
    a, b = setup
    officer = make.user()
    item = quizview.lesson_item(b)
    opened = quizview.open_quiz(db, officer.id, item, b.publish_at)
    db.commit()
    wrong = opened.questions[0].id
    answers = {**all_right(opened.questions), str(wrong): False}
    attempts.submit(db, officer.id, item, answers, opened.attempt.idempotency_key,
                    b.publish_at, RULES)
    db.commit()
    mistake = db.scalar(select(Mistake).where(Mistake.user_id == officer.id))
    assert (mistake.question_id, mistake.item_type, mistake.item_id) == (wrong, "lesson", b.id)
    entry = mistakes.notebook(db, officer.id)[0]
    assert (entry.source_type, entry.source_id) == ("lesson", b.id)


def test_a_bank_mistake_is_not_practised_before_its_lesson_shows_the_key(db, make):
    bank(db)
    quiz = drawn_quiz(db, [{"tag": "三会", "count": 3, "bank": None}], attempts_allowed=3)
    lesson = make.lesson(quiz=quiz)
    officer = make.user()
    item = quizview.lesson_item(lesson)
    opened = quizview.open_quiz(db, officer.id, item, lesson.publish_at)
    db.commit()
    attempts.submit(db, officer.id, item, {str(q.id): False for q in opened.questions},
                    opened.attempt.idempotency_key, lesson.publish_at, RULES)
    db.commit()
    assert len(mistakes.notebook(db, officer.id)) == 3
    # failed, attempts left, not due: the key is hidden, so is practice
    assert mistakes.practice_batch(db, officer.id, lesson.publish_at) == []
    assert len(mistakes.practice_batch(db, officer.id, lesson.due_at.replace(year=2100))) == 3


def test_the_api_serves_and_grades_the_draw(db, setup, make, client):
    from factories import Factory
    a, _ = setup
    officer = make.user()
    token = client.post("/api/v1/auth/token", json={
        "police_no": officer.police_no, "password": Factory.PASSWORD}).json["token"]
    headers = {"Authorization": f"Bearer {token}"}
    served = client.get(f"/api/v1/lessons/{a.id}", headers=headers).json["quiz"]["questions"]
    again = client.get(f"/api/v1/lessons/{a.id}", headers=headers).json["quiz"]["questions"]
    ids = [q["id"] for q in served]
    assert len(ids) == 5 and [q["id"] for q in again] == ids
    assert all("answer" not in q for q in served)
    response = client.post(f"/api/v1/lessons/{a.id}/attempts", headers=headers, json={
        "answers": {str(i): True for i in ids}, "idempotency_key": "api-1"})
    assert response.status_code == 201, response.json
    assert response.json["score"] == 100
    assert sorted(r["question_id"] for r in response.json["results"]) == sorted(ids)


def test_a_draw_that_finds_nothing_closes_the_quiz_instead_of_failing(db, make, browser_for):
    bank(db)
    lesson = make.lesson(quiz=drawn_quiz(db, [{"tag": "没有这个标签", "count": 2,
                                                "bank": None}]))
    client = browser_for(make.user())
    assert client.get(f"/lessons/{lesson.id}").status_code == 200
    assert db.scalar(select(Attempt.id)) is None
