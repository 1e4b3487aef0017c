"""The mistake notebook (错题本): wrong answers go in; two correct reviews in a row clear them."""
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from lms.domain.quiz import grading, mistakes
from lms.models import Mistake

NOW = datetime(2026, 11, 18, 2, 0)
pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def setup(db, make):
    """An officer who got q2 (multiple) and q4 (fill-in) wrong."""
    officer = make.user()
    lesson = make.lesson(publish_at=NOW - timedelta(days=1), due_at=NOW + timedelta(days=5),
                         title="第14期 行动支部")
    make.attempt(officer, lesson, wrong=("q2", "q4"), key="first")
    by_key = {q.key: q for q in lesson.quiz.questions}
    return officer, lesson, by_key


def notebook_keys(db, officer):
    return sorted(entry.question.stem[:4] for entry in mistakes.notebook(db, officer.id))


def review_once(db, officer, question, answer):
    entry = next(e for e in mistakes.notebook(db, officer.id) if e.question.id == question.id)
    lines = mistakes.review(db, officer.id, {str(question.id): answer},
                            {str(question.id): entry.version}, NOW)
    db.commit()
    return lines[0]


def test_wrong_answers_are_in_the_notebook(db, setup):
    officer, lesson, q = setup
    entries = mistakes.notebook(db, officer.id)
    assert {e.question.id for e in entries} == {q["q2"].id, q["q4"].id}
    assert all(e.source_title == "第14期 行动支部" and e.remaining == 2 for e in entries)


def test_a_question_leaves_after_two_correct_reviews(db, setup):
    officer, _, q = setup
    first = review_once(db, officer, q["q2"], ["A", "B", "C"])
    assert first.correct and first.counted and not first.resolved and first.remaining == 1
    second = review_once(db, officer, q["q2"], ["C", "B", "A"])
    assert second.resolved and second.remaining == 0
    assert {e.question.id for e in mistakes.notebook(db, officer.id)} == {q["q4"].id}


def test_a_wrong_review_resets_the_streak(db, setup):
    officer, _, q = setup
    review_once(db, officer, q["q4"], "连")
    wrong = review_once(db, officer, q["q4"], "营")
    assert not wrong.correct and wrong.remaining == 2
    review_once(db, officer, q["q4"], "连")
    assert q["q4"].id in {e.question.id for e in mistakes.notebook(db, officer.id)}
    assert review_once(db, officer, q["q4"], " 连 ").resolved  # fill-in answers are normalised


def test_a_correct_answer_in_a_later_quiz_is_not_a_review(db, make, setup):
    officer, lesson, q = setup
    make.attempt(officer, lesson, key="second")
    make.attempt(officer, lesson, key="third")
    assert len(mistakes.notebook(db, officer.id)) == 2


def test_a_wrong_answer_in_a_later_quiz_puts_a_resolved_question_back(db, make, setup):
    officer, lesson, q = setup
    review_once(db, officer, q["q2"], ["A", "B", "C"])
    review_once(db, officer, q["q2"], ["A", "B", "C"])
    make.attempt(officer, lesson, wrong=("q2",), key="again")
    row = db.scalar(select(Mistake).where(Mistake.question_id == q["q2"].id)
                    .execution_options(populate_existing=True))
    assert (row.wrong_count, row.correct_streak, row.resolved_at) == (2, 0, None)


def test_the_same_review_submitted_twice_counts_once(db, setup):
    officer, _, q = setup
    entry = next(e for e in mistakes.notebook(db, officer.id) if e.question.id == q["q2"].id)
    for _ in range(2):  # the same form, resent
        mistakes.review(db, officer.id, {str(q["q2"].id): ["A", "B", "C"]},
                        {str(q["q2"].id): entry.version}, NOW)
        db.commit()
    assert q["q2"].id in {e.question.id for e in mistakes.notebook(db, officer.id)}


def test_reviewing_a_question_not_in_my_notebook_is_refused(db, make, setup):
    officer, _, q = setup
    with pytest.raises(grading.AnswerError, match="不属于本测验"):
        mistakes.review(db, officer.id, {str(q["q1"].id): "B"}, {}, NOW)


# --- the pages -----------------------------------------------------------------------------

def form_fields(page: str) -> dict:
    return dict(re.findall(r'name="(v\d+)" value="([^"]+)"', page))


def test_the_notebook_page_lists_wrong_questions_without_answers(setup, client, login):
    officer, _, q = setup
    login(officer.police_no)
    page = client.get("/mistakes").text
    assert q["q2"].stem in page and q["q4"].stem in page and q["q1"].stem not in page
    assert q["q2"].explanation not in page and q["q4"].explanation not in page
    assert "正确答案" not in page


def test_reviewing_in_the_browser_shows_answers_and_moves_the_streak(setup, client, login, db):
    officer, _, q = setup
    login(officer.police_no)
    for _ in range(2):
        fields = form_fields(client.get("/mistakes").text)
        result = client.post("/mistakes/review", data={
            **fields, f"q{q['q2'].id}": ["A", "B", "C"], f"q{q['q4'].id}": "营"})
        assert result.status_code == 200
        assert "正确答案" in result.text and q["q4"].explanation in result.text
    assert "已移出错题本" in result.text
    page = client.get("/mistakes").text
    assert q["q2"].stem not in page and q["q4"].stem in page


def test_an_empty_review_goes_back_to_the_notebook(setup, client, login, db):
    officer, _, q = setup
    login(officer.police_no)
    fields = form_fields(client.get("/mistakes").text)
    result = client.post("/mistakes/review", data=fields, follow_redirects=True)
    assert "请至少作答一题，再提交复习。" in result.text
    assert q["q2"].stem in result.text and "答对 0 / 0 题" not in result.text
    assert len(mistakes.notebook(db, officer.id)) == 2


def test_another_officers_notebook_is_not_mine(setup, make, client, login):
    _, _, q = setup
    me = make.user()
    login(me.police_no)
    assert q["q2"].stem not in client.get("/mistakes").text
    response = client.post("/mistakes/review", data={f"q{q['q2'].id}": ["A"]},
                           follow_redirects=True)  # nothing of mine answered: back to my notebook
    assert response.status_code == 200 and q["q2"].stem not in response.text
