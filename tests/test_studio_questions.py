"""The studio's question editor in forms: each bad input is refused with a Chinese message
beside its field and nothing saved; a good form saves the quiz the YAML path would; the
add/remove/reorder buttons work without JavaScript; the YAML tab stays as an advanced view."""
import re

import pytest
import test_studio
from sqlalchemy import func, select

from lms.domain.studio import questions
from lms.models import Courseware

# The studio's fixtures: signed-in clients per person, trainers, a category.
people, practice = test_studio.people, test_studio.practice

BASE = {"slug": "sanhui-yike", "title": "如何规范开展“三会一课”", "category": "practice",
        "summary": "", "estimated_minutes": "8", "min_read_seconds": "120",
        "body_md": "三会一课是基本制度。", "note": "", "quiz-mode": "form",
        "quiz-pass_score": "60", "quiz-shuffle": "1", "quiz-review": "after_pass"}


def question(i: int, kind="single", stem="“三会”不包括哪一项？",
             options=("支部党员大会", "民主生活会"), correct=(1,), truth=None, answers="",
             explanation="", tags="") -> dict:
    """The form fields of question `i` as the editor posts them."""
    p = f"quiz-{i}-"
    data = {p + "key": f"q{i + 1}", p + "kind": kind, p + "stem": stem,
            p + "nopt": str(len(options)), p + "correct": [str(c) for c in correct],
            p + "answers": answers, p + "explanation": explanation, p + "tags": tags}
    data.update({f"{p}opt{j}": text for j, text in enumerate(options)})
    if truth is not None:
        data[p + "truth"] = truth
    return data


def post(client, *qs, url="/studio/courseware/new", **extra):
    data = {**BASE, "quiz-n": str(len(qs)), "save": "保存", **extra}
    for q in qs:
        data.update(q)
    return client.post(url, data=data)


def saved(db) -> int:
    return db.scalar(select(func.count()).select_from(Courseware))


BAD = {
    "empty stem": (question(0, stem="  "), "q0-stem", "请填写题干"),
    "one option": (question(0, options=("只有一项",), correct=(0,)), "q0-options",
                   "选择题至少需要 2 个选项"),
    "seven options": (question(0, options=tuple("一二三四五六七"), correct=(0,)), "q0-options",
                      "最多 6 个选项"),
    "no correct option": (question(0, correct=()), "q0-correct", "请勾选正确选项"),
    "single with two correct": (question(0, correct=(0, 1)), "q0-correct",
                                "单选题只能有一个正确选项"),
    "multiple with one correct": (question(0, kind="multiple", correct=(0,)), "q0-correct",
                                  "多选题至少要有两个正确选项"),
    "answer not among options": (question(0, options=("甲", "乙", ""), correct=(2,)),
                                 "q0-correct", "正确答案必须是已填写内容的选项"),
    "answer beyond the options": (question(0, correct=(5,)), "q0-correct",
                                  "正确答案必须是已填写内容的选项"),
    "empty fill-in answers": (question(0, kind="fill_blank", stem="支部建在____上。",
                                       options=(), answers=" \n "), "q0-answers",
                              "填空题请至少填写一个可接受的答案"),
    "fill-in without a blank": (question(0, kind="fill_blank", stem="支部建在哪里？",
                                         options=(), answers="连队"), "q0-stem", "____"),
    "duplicate option text": (question(0, options=("党课", "党课", "讲座"), correct=(0,)),
                              "q0-opt1", "与选项 A 的内容重复"),
    "true/false without a key": (question(0, kind="true_false", options=()), "q0-correct",
                                 "请选择本题的正确答案"),
    "unknown kind": (question(0, kind="essay"), "q0-kind", "请选择题型"),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_each_bad_question_is_refused_beside_its_field(db, practice, people, as_user, case):
    fields, name, message = BAD[case]
    response = post(as_user(people["author"]), fields)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f'<p class="error" id="err-{name}">' in page
    assert message in page.split(f'id="err-{name}">', 1)[1].split("</p>", 1)[0]
    assert re.search(f'aria-describedby="[^"]*err-{name}', page)  # tied to its field
    assert saved(db) == 0


def test_a_good_form_saves_the_quiz_with_letters_in_display_order(db, practice, people, as_user):
    response = post(as_user(people["author"]),
                    question(0, options=("支部党员大会", "", "民主生活会"), correct=(2,),
                             explanation="三会指支部党员大会、支部委员会和党小组会。",
                             tags="三会一课、组织生活"),
                    question(1, kind="multiple", stem="哪些属于“一课”？",
                             options=("党课", "专题讲座", "文艺演出"), correct=(0, 1)),
                    question(2, kind="true_false", stem="党课每季度至少一次。", options=(),
                             truth="true"),
                    question(3, kind="fill_blank", stem="支部建在____上。", options=(),
                             answers="连\n连队\n"))
    assert response.status_code == 302
    row = db.scalar(select(Courseware))
    qs = row.quiz.questions
    assert [q.key for q in qs] == ["q1", "q2", "q3", "q4"]
    # The empty option is dropped and the rest lettered in order: 民主生活会 is B.
    assert qs[0].options == [["A", "支部党员大会"], ["B", "民主生活会"]] and qs[0].answer == "B"
    assert qs[0].tags == ["三会一课", "组织生活"] and qs[0].explanation.startswith("三会指")
    assert qs[1].answer == ["A", "B"] and qs[2].answer is True and qs[3].answer == ["连", "连队"]
    # No summary typed: the body's first paragraph stands in (files require one).
    assert row.summary == "三会一课是基本制度。"


def test_edit_buttons_work_without_javascript_and_save_nothing(db, practice, people, as_user):
    client = as_user(people["author"])
    q = question(0, options=("甲", "乙", "丙"), correct=(2,))
    added = post(client, q, quiz_action="add_option:0")
    assert 'name="quiz-0-opt3"' in added.get_data(as_text=True)
    moved = post(client, q, quiz_action="move_option:0:2:up").get_data(as_text=True)
    # 丙 moves to B and its correct mark travels with it.
    assert moved.index('value="丙"') < moved.index('value="乙"')
    assert 'name="quiz-0-correct" value="1" checked' in moved
    removed = post(client, q, quiz_action="remove_option:0:0").get_data(as_text=True)
    assert 'value="甲"' not in removed and 'name="quiz-0-opt2"' not in removed
    two = post(client, q, quiz_action="add_question:fill_blank").get_data(as_text=True)
    assert 'name="quiz-1-answers"' in two and 'name="quiz-1-key" value="q2"' in two
    gone = post(client, q, quiz_action="remove_question:0").get_data(as_text=True)
    assert 'name="quiz-0-stem"' not in gone and "还没有题目" in gone
    assert saved(db) == 0


def test_the_yaml_tab_round_trips_the_form(db, practice, people, as_user):
    client = as_user(people["author"])
    yaml_page = post(client, question(0, correct=(1,)), quiz_action="mode:yaml")
    text = yaml_page.get_data(as_text=True)
    assert '<textarea id="quiz_yaml"' in text and "answer: B" in text
    back = client.post("/studio/courseware/new", data={
        **BASE, "quiz-mode": "yaml", "quiz_action": "mode:form",
        "quiz_yaml": "quiz:\n  questions:\n    - id: q1\n      kind: true_false\n"
                     "      stem: 对吗？\n      answer: yes\n"})
    page = back.get_data(as_text=True)
    # `yes` is YAML for true: the form shows the question with 正确 ticked.
    assert 'name="quiz-0-truth" value="true" checked' in page
    broken = client.post("/studio/courseware/new", data={
        **BASE, "quiz-mode": "yaml", "quiz_action": "mode:form",
        "quiz_yaml": "quiz:\n  questions:\n    - id: q1\n      kind: single\n"
                     "      stem: 哪个？\n      options: {A: 甲, B: 乙}\n      answer: E\n"})
    # A YAML that does not read stays on its tab, its problem in Chinese at its line.
    assert "第 7 行：答案 &#39;E&#39; 不在选项 A, B 之中" in broken.get_data(as_text=True)
    assert saved(db) == 0


def test_preview_needs_no_summary_and_shows_the_quiz_with_a_key_toggle(db, practice, people,
                                                                         as_user):
    client = as_user(people["author"])
    data = {**BASE, "summary": "", "title": "", "quiz-n": "1", "preview": "预览",
            **question(0, explanation="三会指支部党员大会、支部委员会和党小组会。")}
    page = client.post("/studio/courseware/new", data=data).get_data(as_text=True)
    assert 'id="preview"' in page and "“三会”不包括哪一项？" in page
    assert 'class="st-keytoggle"' in page and "三会指支部党员大会" in page
    assert saved(db) == 0


def test_moving_an_option_keeps_its_mark_in_the_domain():
    draft = questions.QuizDraft([questions.QuestionDraft("q1", "multiple", "哪些？",
                                                         ["甲", "乙", "丙"], [0, 2])])
    moved = questions.apply(draft, "move_option:0:0:down").questions[0]
    assert moved.options == ["乙", "甲", "丙"] and sorted(moved.correct) == [1, 2]
    assert questions.apply(draft, "remove_option:0:9").questions[0] == draft.questions[0]
    assert questions.apply(draft, "nonsense:x").questions == draft.questions
