"""The answer key never reaches the client before submission: not in HTML, JSON or attributes.

The strongest check is a counterfactual: change every answer and explanation in the database
and fetch the page again; if anything the client receives depended on the key, it differs.
"""
from datetime import datetime, timedelta

import pytest
from factories import Factory

from lms.models import Question

NOW = datetime(2026, 11, 18, 2, 0)
OTHER_KEY = {"single": "D", "multiple": ["B", "D"], "true_false": False, "fill_blank": ["营"]}


pytestmark = pytest.mark.usefixtures("frozen_clock")


def rewrite_answer_key(db, quiz):
    """Give every question of the quiz another answer and explanation."""
    for question in db.query(Question).filter_by(quiz_id=quiz.id):
        question.answer = OTHER_KEY[question.kind]
        question.explanation = "完全不同的解析"
    db.commit()


# The standard questions, with a fill-in answer that no page text could contain by chance.
QUESTIONS = [q if q["key"] != "q4" else {**q, "stem": "坚持和发展新时代“____经验”。",
                                         "answer": ["枫桥"]} for q in Factory.QUESTIONS]


def lesson(make, **quiz):
    return make.lesson(publish_at=NOW - timedelta(days=1), due_at=NOW + timedelta(days=5),
                       quiz=make.quiz(QUESTIONS, **quiz),
                       body_md="## 学习要点\n\n临时党支部的组建规范。")


def assert_nothing_reveals_the_key(html: str):
    for question in Factory.QUESTIONS:
        assert question["explanation"] not in html
    assert "枫桥" not in html  # the fill-in answer
    lowered = html.lower()
    for word in ("data-", "<!--", "answer", "correct", "explanation", "解析", "正确答案"):
        assert word not in lowered


@pytest.mark.parametrize("shuffle", [False, True])
def test_the_quiz_page_does_not_depend_on_the_answer_key(db, make, client, login, shuffle):
    officer, item = make.user(), lesson(make, shuffle=shuffle)
    login(officer.police_no)
    before = client.get(f"/lessons/{item.id}").text
    rewrite_answer_key(db, item.quiz)
    after = client.get(f"/lessons/{item.id}").text
    assert before == after  # same open attempt, same session: only the key changed
    assert_nothing_reveals_the_key(before)


def test_the_courseware_quiz_page_does_not_depend_on_the_answer_key(db, make, client, login):
    officer, item = make.user(), make.courseware(quiz=True)  # a true/false question
    login(officer.police_no)
    before = client.get(f"/courseware/{item.slug}/quiz").text
    rewrite_answer_key(db, item.quiz)
    assert client.get(f"/courseware/{item.slug}/quiz").text == before


def test_the_mistake_notebook_does_not_depend_on_the_answer_key(db, make, client, login):
    officer, item = make.user(), lesson(make)
    login(officer.police_no)
    page = client.get(f"/lessons/{item.id}").text
    key = page.split('name="idempotency_key" value="')[1].split('"')[0]
    client.post(f"/lessons/{item.id}/attempts", data={"idempotency_key": key})  # all blank
    before = client.get("/mistakes").text
    assert_nothing_reveals_the_key(before)
    rewrite_answer_key(db, item.quiz)
    assert client.get("/mistakes").text == before


def _keys(value, found=None):
    found = set() if found is None else found
    if isinstance(value, dict):
        for key, inner in value.items():
            found.add(key)
            _keys(inner, found)
    elif isinstance(value, list):
        for inner in value:
            _keys(inner, found)
    return found


@pytest.mark.parametrize("shuffle", [False, True])
def test_the_lesson_json_does_not_depend_on_the_answer_key(db, make, client, shuffle):
    officer, item = make.user(), lesson(make, shuffle=shuffle)
    token = client.post("/api/v1/auth/token", json={"police_no": officer.police_no,
                                                    "password": Factory.PASSWORD}).json["token"]
    headers = {"Authorization": f"Bearer {token}"}
    before = client.get(f"/api/v1/lessons/{item.id}", headers=headers)
    rewrite_answer_key(db, item.quiz)
    after = client.get(f"/api/v1/lessons/{item.id}", headers=headers)
    assert before.data == after.data
    assert not _keys(before.json) & {"answer", "answers", "correct", "correct_answer",
                                     "explanation", "key_hash"}
    assert "由批准其成立的党组织指定。" not in before.text
