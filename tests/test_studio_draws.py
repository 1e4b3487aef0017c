"""Draw rules in the studio's question editor (issue 12, items 1, 3 and 5 joined): a trainer
chooses 从题库抽题, picks bank, tag and count in the form without JavaScript, is refused in
Chinese beside the field when the banks cannot serve the rule (the YAML tab too), previews
one sample draw with its key, and a weekly lesson so made is drawn, answered and counted per
bank question by officers through the page and the API."""
import re

import pytest
import test_studio
from factories import bearer
from sqlalchemy import func, select
from test_question_draws import bank
from test_studio_lessons import NOW, PUBLISH_UTC, lesson_form, people, the_lesson
from test_studio_questions import BASE

from lms.domain.quiz.quizstats import quiz_stats
from lms.models import Attempt, Courseware, MicroLesson, Question

practice = test_studio.practice
pytestmark = pytest.mark.usefixtures("frozen_clock")
assert NOW and people  # the lesson tests' clock and fixture (people) are used here too


def rules(*rows) -> dict:
    """The editor's fields for draw rules given as (bank, tag, count)."""
    data = {"quiz-source": "draw", "quiz-dn": str(len(rows))}
    for i, (bank_key, tag, count) in enumerate(rows):
        data.update({f"quiz-d{i}-bank": bank_key, f"quiz-d{i}-tag": tag,
                     f"quiz-d{i}-count": str(count)})
    return data


def courseware(client, *rows, **extra):
    data = {**BASE, "quiz-n": "0", "save": "保存", **rules(*rows), **extra}
    return client.post("/studio/courseware/new", data=data)


def stored(db) -> int:
    return db.scalar(select(func.count()).select_from(Courseware))


@pytest.fixture
def zhengzhi(db):
    """Bank zhengzhi: 3 questions tagged 三会, 6 tagged 党章."""
    return bank(db)


def test_choosing_draw_shows_a_rule_row_and_the_banks_tags_without_javascript(
        db, practice, zhengzhi, people, as_user):
    client = as_user(people["author"])
    page = client.post("/studio/courseware/new", data={
        **BASE, "quiz-n": "0", "quiz_action": "source:draw"}).get_data(as_text=True)
    assert 'value="source:draw" class="st-qe-tab" formnovalidate' in page
    assert 'name="quiz-d0-bank"' in page and '<option value="zhengzhi">' in page
    # Choosing the bank and pressing 列出标签 lists its tags with how many questions each.
    page = client.post("/studio/courseware/new", data={
        **BASE, "quiz-n": "0", "quiz_action": "refresh",
        **rules(("zhengzhi", "", 5))}).get_data(as_text=True)
    assert "党章（6）、三会（3）" in page and '<option value="三会">' in page
    page = client.post("/studio/courseware/new", data={
        **BASE, "quiz-n": "0", "quiz_action": "add_draw",
        **rules(("zhengzhi", "三会", 2))}).get_data(as_text=True)
    assert 'name="quiz-d1-bank"' in page and 'name="quiz-dn" value="2"' in page
    page = client.post("/studio/courseware/new", data={
        **BASE, "quiz-n": "0", "quiz_action": "remove_draw:0",
        **rules(("zhengzhi", "三会", 2), ("zhengzhi", "党章", 3))}).get_data(as_text=True)
    assert 'name="quiz-dn" value="1"' in page and 'value="党章"' in page
    assert 'name="quiz-d0-tag" value="党章"' in page and 'value="三会" maxlength' not in page
    assert stored(db) == 0


@pytest.mark.parametrize("row, field, message", [
    (("nosuch", "三会", 2), "d0-bank", "题库「nosuch」不存在"),
    (("zhengzhi", "纪律", 2), "d0-tag", "题库「zhengzhi」中没有标签为「纪律」的题目"),
    (("zhengzhi", "三会", 4), "d0-count", "标签「三会」只有 3 道题，不够抽 4 道"),
    (("zhengzhi", "三会", 0), "d0-count", "抽题数量请填写 1 到 100 之间的整数"),
    (("zhengzhi", "三会", 101), "d0-count", "抽题数量请填写 1 到 100 之间的整数"),
    (("zhengzhi", "", 2), "d0-tag", "请填写或选择标签"),
    (("", "纪律", 2), "d0-tag", "各题库中没有标签为「纪律」的题目"),
], ids=["unknown bank", "tag without questions", "more than the tag holds", "zero", "101",
        "no tag", "every bank"])
def test_a_rule_the_banks_cannot_serve_is_refused_beside_its_field(
        db, practice, zhengzhi, people, as_user, row, field, message):
    response = courseware(as_user(people["author"]), row)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and stored(db) == 0
    assert f'<p class="error" id="err-{field}">' in page and message in page
    assert f'aria-invalid="true" aria-describedby="err-{field}"' in page


def test_rules_that_overlap_beyond_their_questions_are_refused(db, practice, people, as_user):
    bank(db, tags=(("三会", 3),))
    with_both = db.scalars(select(Question)).all()
    for q in with_both:  # every 三会 question is tagged 党章 as well
        q.tags = ["三会", "党章"]
    db.commit()
    page = courseware(as_user(people["author"]), ("zhengzhi", "三会", 2),
                      ("zhengzhi", "党章", 2)).get_data(as_text=True)
    assert "共要抽 4 道，但符合条件的不同题目只有 3 道" in page and stored(db) == 0


def test_a_good_rule_saves_a_drawing_quiz_the_yaml_tab_shows(db, practice, zhengzhi, people,
                                                             as_user):
    client = as_user(people["author"])
    response = courseware(client, ("zhengzhi", "三会", 2), ("zhengzhi", "党章", 3))
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    item = db.scalar(select(Courseware))
    assert item.quiz.draw_rules == [{"tag": "三会", "count": 2, "bank": "zhengzhi"},
                                    {"tag": "党章", "count": 3, "bank": "zhengzhi"}]
    assert [q for q in item.quiz.questions if not q.retired] == []
    page = client.get(f"/studio/courseware/{item.slug}").get_data(as_text=True)
    assert 'value="source:draw" class="st-qe-tab" formnovalidate formaction' in page
    assert 'aria-pressed="true">从题库抽题' in page and 'value="党章"' in page
    yaml = client.post(f"/studio/courseware/{item.slug}", data={
        **BASE, "quiz-n": "0", "quiz_action": "mode:yaml",
        **rules(("zhengzhi", "三会", 2))}).get_data(as_text=True)
    assert "draw:" in yaml and "tag: 三会" in yaml


def test_no_bank_chosen_draws_from_every_bank(db, practice, zhengzhi, people, as_user):
    bank(db, key="jilv", tags=(("三会", 2),))
    response = courseware(as_user(people["author"]), ("", "三会", 5))
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    rules_saved = db.scalar(select(Courseware)).quiz.draw_rules
    assert rules_saved == [{"tag": "三会", "count": 5, "bank": None}]


def test_the_yaml_tab_is_held_to_the_same_bank_checks(db, practice, zhengzhi, people, as_user):
    text = "quiz:\n  draw:\n    - {tag: 三会, count: 5, bank: zhengzhi}\n"
    page = as_user(people["author"]).post("/studio/courseware/new", data={
        **BASE, "quiz-mode": "yaml", "quiz_yaml": text, "save": "保存"}).get_data(as_text=True)
    assert "抽题规则 1：题库「zhengzhi」中标签「三会」只有 3 道题" in page and stored(db) == 0


def test_the_editor_preview_shows_one_sample_draw_with_its_key(db, practice, zhengzhi, people,
                                                              as_user):
    page = as_user(people["author"]).post("/studio/courseware/new", data={
        **BASE, "quiz-n": "0", "preview": "预览", **rules(("zhengzhi", "党章", 4))}
    ).get_data(as_text=True)
    assert "每位民警开始作答时各自随机抽题" in page
    assert len(re.findall(r"党章第\d题。", page)) == 4
    assert page.count('class="st-answer"') == 4 and stored(db) == 0


def compose_drawn(client, **extra):
    data = lesson_form(**rules(("zhengzhi", "三会", 2), ("zhengzhi", "党章", 3)), **extra)
    data["quiz-n"] = "1"  # the fixed question the new-lesson form starts with rides along
    return client.post("/studio/lessons/new", data=data)


def test_a_lesson_made_with_draw_rules_is_drawn_answered_and_counted(
        db, app, zhengzhi, people, as_user, frozen_clock):
    author, reviewer = as_user(people["author"]), as_user(people["reviewer"])
    response = compose_drawn(author)
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    lesson = the_lesson(db)
    assert lesson.quiz.draw_rules and not [q for q in lesson.quiz.questions if not q.retired]
    preview = author.get(f"/studio/lessons/{lesson.id}/preview?key=1").get_data(as_text=True)
    assert "每位民警开始作答时各自随机抽题" in preview
    assert len(re.findall(r"(三会|党章)第\d题。", preview)) == 5
    assert 'class="st-keytoggle" checked' in preview
    assert "测验：从题库抽题：题库 zhengzhi，标签“三会”，抽 2 题；" in author.get(
        f"/studio/lessons/{lesson.id}").get_data(as_text=True)
    author.post(f"/studio/lessons/{lesson.id}/status", data={"action": "submit"})
    reviewer.post(f"/studio/lessons/{lesson.id}/status", data={"action": "approve"})
    assert the_lesson(db).status == "published"

    frozen_clock.set(PUBLISH_UTC)
    officer = as_user(people["officer"])
    page = officer.get(f"/lessons/{lesson.id}").get_data(as_text=True)
    shown = [int(n) for n in re.findall(r'name="q(\d+)"', page)]
    assert len(set(shown)) == 5
    again = officer.get(f"/lessons/{lesson.id}").get_data(as_text=True)
    assert [int(n) for n in re.findall(r'name="q(\d+)"', again)] == shown
    api = app.test_client().get(f"/api/v1/lessons/{lesson.id}",
                                headers=bearer(app.test_client(), people["officer"]))
    served = [q["id"] for q in api.get_json()["quiz"]["questions"]]
    assert sorted(served) == sorted(set(shown))  # the page's open attempt: one draw
    assert all("answer" not in q for q in api.get_json()["quiz"]["questions"])
    bank_ids = set(db.scalars(select(Question.id).where(Question.bank_id == zhengzhi.id)))
    assert set(shown) <= bank_ids

    key = re.search(r'name="idempotency_key" value="([^"]+)"', page)[1]
    first = sorted(set(shown))
    answers = {f"q{i}": "true" for i in first[:4]} | {f"q{first[4]}": "false"}
    response = officer.post(f"/lessons/{lesson.id}/attempts",
                            data={"idempotency_key": key, **answers})
    assert response.status_code == 303
    result = officer.get(response.headers["Location"]).get_data(as_text=True)
    assert "80" in result
    attempt = db.scalar(select(Attempt).where(Attempt.idempotency_key == key))
    assert attempt.status == "submitted" and attempt.score == 80
    assert sorted(attempt.question_ids) == first

    stats = {q.question_id: q for q in quiz_stats(db, "lesson", lesson.id,
                                                  lesson.quiz_id).questions}
    assert set(stats) == set(first)
    assert [stats[i].answered for i in first] == [1] * 5
    trainer = as_user(people["reviewer"])  # signed in again: the clock moved days ahead
    page = trainer.get(f"/studio/lessons/{lesson.id}/stats").get_data(as_text=True)
    assert page.count("党章第") + page.count("三会第") >= 5


def test_a_lesson_is_refused_when_its_rule_asks_too_much(db, zhengzhi, people, as_user):
    data = lesson_form(**rules(("zhengzhi", "三会", 9)))
    page = as_user(people["author"]).post("/studio/lessons/new", data=data
                                          ).get_data(as_text=True)
    assert "标签「三会」只有 3 道题，不够抽 9 道" in page
    assert db.scalar(select(func.count()).select_from(MicroLesson)) == 0


def test_the_studio_list_counts_a_drawing_quiz_by_its_rules(db, practice, zhengzhi, people,
                                                            as_user):
    client = as_user(people["author"])
    courseware(client, ("zhengzhi", "三会", 2), ("zhengzhi", "党章", 3))
    assert "抽 5 题" in client.get("/studio/").get_data(as_text=True)
