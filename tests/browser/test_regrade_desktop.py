"""Correcting a key at desktop size in real Chromium: from the answer statistics the trainer
opens 更正答案, previews "N 份作答受影响" and whose pass state moves, and confirms."""
import re

from factories import Factory
from sqlalchemy import select

from lms.domain.quiz import attempts, quizview
from lms.models import Question, utcnow

DESKTOP = {"width": 1366, "height": 900}
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"
RULES = {"lesson_on_time": 5, "lesson_late": 2, "lesson_perfect": 2}
QUESTIONS = (
    {"key": "q1", "kind": "single", "stem": "党支部党员大会一般多长时间召开一次？",
     "answer": "B", "options": [["A", "每月一次"], ["B", "每季度一次"], ["C", "每半年一次"],
                                ["D", "每年一次"]]},
    {"key": "q2", "kind": "true_false", "stem": "党小组会一般每月召开一次。", "options": [],
     "answer": True},
    {"key": "q3", "kind": "multiple", "stem": "“三会一课”中的“三会”包括哪些？",
     "answer": ["A", "B", "C"], "options": [["A", "支部党员大会"], ["B", "支部委员会"],
                                           ["C", "党小组会"], ["D", "民主生活会"]]},
)
# name, unit, answers to q1..q3
OFFICERS = (("张伟", "城东派出所党支部", ("B", True, ["A", "B", "C"])),
            ("李娜", "城东派出所党支部", ("A", True, ["A", "B", "C"])),
            ("王强", "城东派出所党支部", ("A", False, ["A", "B", "C"])),
            ("刘洋", "城西派出所党支部", ("B", True, ["A", "B"])),
            ("陈静", "城西派出所党支部", ("A", False, ["A", "B", "C"])),
            ("杨磊", "交警大队党支部", ("B", False, ["A", "B", "C"])),
            ("赵敏", "交警大队党支部", ("C", True, ["A", "B", "C"])))


def test_correcting_a_key_with_a_preview_on_desktop(page, server_url, sign_in, shot, db, make):
    units = {}
    for _, unit_name, _ in OFFICERS:
        units.setdefault(unit_name, make.unit(unit_name))
    trainer = make.user(make.unit("市局政治部", "department"), roles=("trainer",),
                        name="王建华")
    lesson = make.lesson(quiz=make.quiz(QUESTIONS), issue_no=12,
                         title="第12期 三会一课的基本要求")
    qs = {q.key: q for q in db.scalars(select(Question).where(Question.quiz_id == lesson.quiz_id))}
    for n, (name, unit_name, given) in enumerate(OFFICERS):
        officer = make.user(units[unit_name], name=name)
        answers = {str(qs[k].id): v for k, v in zip(("q1", "q2", "q3"), given)}
        attempts.submit(db, officer.id, quizview.lesson_item(lesson), answers, f"k{n}",
                        utcnow(), RULES)
        db.commit()

    page.set_viewport_size(DESKTOP)
    sign_in(trainer.police_no, Factory.PASSWORD)
    page.wait_for_url(f"{server_url}/")
    page.goto(f"{server_url}/studio/lessons/{lesson.id}/stats")
    page.locator(".st-question").first.locator("text=更正答案").click()
    page.wait_for_url(re.compile(r".*/studio/questions/\d+/regrade$"))
    page.check("input[name=answer][value=A]")
    page.click("button[value=preview]")
    # 赵敏 chose C, wrong under either key: her attempt is not affected
    assert page.locator(".rg-affected strong").inner_text() == "6 份作答受影响"
    rows = page.locator(".rg-table tbody tr")
    assert rows.count() == 6
    assert page.locator(".rg-table tr.rg-pass_to_fail").count() == 2  # 刘洋, 杨磊
    assert page.locator(".rg-table tr.rg-fail_to_pass").count() == 2  # 王强, 陈静
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    shot("regrade-preview-desktop")

    page.click("button[value=confirm]")
    page.wait_for_url(re.compile(rf".*/studio/lessons/{lesson.id}/stats$"))
    assert "已更正答案并重新评分：6 份作答的成绩有变化。" in page.locator(".flash").inner_text()


def test_saving_a_changed_answered_key_in_the_editor_on_desktop(page, server_url, sign_in,
                                                                 shot, db, make):
    trainer = make.user(make.unit("市局政治部", "department"), roles=("trainer",),
                        name="王建华")
    item = make.courseware("党员发展工作规程", quiz=True, summary="发展党员的程序。",
                           slug="fazhan-guicheng")
    question = item.quiz.questions[0]  # true/false, key True
    for n, name in enumerate(("张伟", "李娜", "王强")):
        officer = make.user(name=name)
        attempts.submit(db, officer.id, quizview.courseware_item(db, item.slug),
                        {str(question.id): n == 0}, f"k{n}", utcnow(), {})
        db.commit()
    item.status = "draft"
    db.commit()

    page.set_viewport_size(DESKTOP)
    sign_in(trainer.police_no, Factory.PASSWORD)
    page.wait_for_url(f"{server_url}/")
    page.goto(f"{server_url}/studio/courseware/{item.slug}")
    # the question editor's form tab (the default), not the YAML tab
    page.check("input[name='quiz-0-truth'][value=false]")
    page.fill("input[name=note]", "更正第1题答案")
    page.click("input[name=save]")
    assert page.locator(".rg-affected strong").inner_text() == "3 份作答受影响"
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    page.locator("#regrade-preview").scroll_into_view_if_needed()
    shot("regrade-editor-desktop")
    page.click("button[name=save][value=confirm]")
    page.wait_for_url(f"{server_url}/studio/courseware/{item.slug}")
    assert "已保存" in page.locator(".flash").inner_text()
