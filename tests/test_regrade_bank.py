"""Regrading a bank question (issue 12, item 6, with item 3's banks): the attempts are found by
the question they drew, in every quiz that drew it; an XLSX import or a bank file sync never
changes an answered bank key silently — it is refused, row by row, until the studio regrades."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from test_question_import import bank_questions, upload, xlsx

from lms.domain.quiz import attempts, quizview, regrade_bank
from lms.domain.reports import unitstats
from lms.models import (
    Attempt,
    AuditEvent,
    Completion,
    Mistake,
    PointsEntry,
    Question,
    QuestionBank,
    Quiz,
)

RULES = {"lesson_on_time": 5, "lesson_late": 2, "lesson_perfect": 2, "courseware_quiz": 3}
# officer → (lesson, answer to b1, answer to b2); b1's key moves from B to C.
# Lesson A passes at 60, lesson B at 50; both draw b1 and b2.
MATRIX = {
    "o1": ("a", "B", True),   # A: 100 pass (perfect) → 50 fail
    "o2": ("a", "C", False),  # A: 0 fail → 50 fail
    "o3": ("b", "C", False),  # B: 0 fail → 50 pass
    "o4": ("b", "B", False),  # B: 50 pass → 0 fail
}


def make_bank(db, key="zz"):
    bank = QuestionBank(key=key, name="政治题库", description="")
    db.add(bank)
    db.flush()
    b1 = Question(bank_id=bank.id, key="b1", position=1, kind="single", stem="第一题。",
                  options=[["A", "甲"], ["B", "乙"], ["C", "丙"]], answer="B", explanation="",
                  tags=["x"])
    b2 = Question(bank_id=bank.id, key="b2", position=2, kind="true_false", stem="第二题。",
                  options=[], answer=True, explanation="", tags=["x"])
    db.add_all([b1, b2])
    db.commit()
    return bank, b1, b2


def drawn_lesson(db, make, pass_score, bank_key="zz"):
    quiz = Quiz(pass_score=pass_score, shuffle=False,
                draw_rules=[{"tag": "x", "count": 2, "bank": bank_key}])
    db.add(quiz)
    db.commit()
    return make.lesson(quiz=quiz)


def answer(db, officer, lesson, by_key, at):
    """Open the drawn quiz and submit the answers by question key."""
    item = quizview.lesson_item(lesson)
    opened = quizview.open_quiz(db, officer.id, item, at)
    db.commit()
    keys = dict(db.execute(select(Question.id, Question.key)).all())
    given = {str(q.id): by_key[keys[q.id]] for q in opened.questions}
    result = attempts.submit(db, officer.id, item, given, opened.attempt.idempotency_key, at,
                             RULES)
    db.commit()
    return result


@pytest.fixture
def world(db, make):
    bank, b1, b2 = make_bank(db)
    lessons = {"a": drawn_lesson(db, make, 60), "b": drawn_lesson(db, make, 50)}
    trainer = make.user(roles=("trainer",))
    officers = {name: make.user() for name in MATRIX}
    at = lessons["a"].publish_at + timedelta(hours=1)
    for name, (which, one, two) in MATRIX.items():
        answer(db, officers[name], lessons[which], {"b1": one, "b2": two}, at)
    return {"bank": bank, "b1": b1, "b2": b2, "lessons": lessons, "trainer": trainer,
            "officers": officers, "at": at}


def record(db, world, name):
    db.expire_all()
    which = MATRIX[name][0]
    user = world["officers"][name]
    attempt = db.scalar(select(Attempt).where(Attempt.user_id == user.id,
                                              Attempt.status == "submitted"))
    done = db.scalar(select(Completion).where(Completion.user_id == user.id,
                                              Completion.item_id == world["lessons"][which].id))
    net = db.scalar(select(func.coalesce(func.sum(PointsEntry.points), 0)).where(
        PointsEntry.user_id == user.id))
    return (attempt.score, bool(attempt.passed), done.status, done.best_score,
            done.first_score, int(net))


def regrade_b1(db, world, new="C"):
    b1 = world["b1"]
    plan = regrade_bank.plan(db, b1.bank_id, {b1.id: new})
    result = regrade_bank.apply(db, world["trainer"], b1.bank_id, {b1.id: new}, plan.token,
                                world["at"] + timedelta(minutes=5), RULES)
    db.commit()
    return plan, result


def test_the_known_matrix_before_and_after_across_two_quizzes(db, world):
    before = {name: record(db, world, name) for name in MATRIX}
    assert before == {"o1": (100, True, "completed", 100, 100, 7),
                      "o2": (0, False, "in_progress", 0, 0, 0),
                      "o3": (0, False, "in_progress", 0, 0, 0),
                      "o4": (50, True, "completed", 50, 50, 5)}
    rows_before = db.scalar(select(func.count()).select_from(PointsEntry))
    plan, result = regrade_b1(db, world)
    assert (plan.answered, plan.affected, plan.pass_to_fail, plan.fail_to_pass) == (4, 4, 2, 1)
    assert {(c.item_id, c.old_best, c.new_best) for c in plan.changes} == {
        (world["lessons"]["a"].id, 100, 50), (world["lessons"]["a"].id, 0, 50),
        (world["lessons"]["b"].id, 0, 50), (world["lessons"]["b"].id, 50, 0)}
    after = {name: record(db, world, name) for name in MATRIX}
    assert after == {"o1": (50, False, "in_progress", 50, 50, 0),
                     "o2": (50, False, "in_progress", 50, 50, 0),
                     "o3": (50, True, "completed", 50, 50, 5),
                     "o4": (0, False, "in_progress", 0, 0, 0)}
    # points moved by three new rows (o1 −7, o3 +5, o4 −5); none updated or deleted
    assert db.scalar(select(func.count()).select_from(PointsEntry)) == rows_before + 3
    assert (result.points_rows, result.points_delta) == (3, -7)
    assert unitstats.drift(db) == {}
    assert db.get(Question, world["b1"].id).answer == "C"
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "quiz_regraded"))
    assert event.target == "bank:zz" and event.detail["attempts_changed"] == 4
    stored = db.scalar(select(Attempt).where(Attempt.user_id == world["officers"]["o1"].id))
    line = next(x for x in stored.results if x["question_id"] == world["b1"].id)
    assert line["correct_answer"] == "C" and line["correct"] is False


def test_the_mistake_notebook_follows_the_new_key_with_its_lesson(db, world):
    o1, o3 = world["officers"]["o1"], world["officers"]["o3"]
    b1 = world["b1"].id
    regrade_b1(db, world)
    db.expire_all()
    mistake = db.scalar(select(Mistake).where(Mistake.user_id == o1.id,
                                              Mistake.question_id == b1))
    assert mistake.resolved_at is None
    assert (mistake.item_type, mistake.item_id) == ("lesson", world["lessons"]["a"].id)
    cleared = db.scalar(select(Mistake).where(Mistake.user_id == o3.id,
                                              Mistake.question_id == b1))
    assert cleared.resolved_at is not None  # resolved, not deleted


def test_a_submission_after_the_preview_makes_it_stale(db, world, make):
    from lms.domain.quiz import regrade
    b1 = world["b1"]
    plan = regrade_bank.plan(db, b1.bank_id, {b1.id: "C"})
    answer(db, make.user(), world["lessons"]["b"], {"b1": "C", "b2": True}, world["at"])
    with pytest.raises(regrade.StalePreview):
        regrade_bank.apply(db, world["trainer"], b1.bank_id, {b1.id: "C"}, plan.token,
                           world["at"], RULES)
    db.rollback()
    assert db.get(Question, b1.id).answer == "B"


def test_the_bank_statistics_link_to_the_correction_page_which_regrades(db, world, make,
                                                                        browser_for):
    client = browser_for(world["trainer"])
    stats = client.get("/studio/banks/zz/stats").get_data(as_text=True)
    url = f"/studio/questions/{world['b1'].id}/regrade"
    assert url in stats
    page = client.get(url).get_data(as_text=True)
    assert "已提交的作答：4 份" in page and "题库" in page
    preview = client.post(url, data={"answer": "C", "action": "preview"})
    html = preview.get_data(as_text=True)
    assert "4 份作答受影响" in html
    token = html.split('name="token" value="')[1].split('"')[0]
    done = client.post(url, data={"answer": "C", "action": "confirm", "token": token})
    assert done.status_code == 302 and done.headers["Location"].endswith("/studio/banks/zz/stats")
    db.expire_all()
    assert db.get(Question, world["b1"].id).answer == "C"
    assert record(db, world, "o3")[:3] == (50, True, "completed")


# --- the import and the bank file refuse a silent change -----------------------------------

ROWS = [("单选", "第一题。", "甲", "乙", "丙", "", "", "", "B", "", "x", "b1"),
        ("判断", "第二题。", "", "", "", "", "", "", "对", "", "x", "b2")]


def with_key(new):
    return [ROWS[0][:8] + (new,) + ROWS[0][9:], ROWS[1]]


@pytest.fixture
def imported(db, make, runner, tmp_path):
    path = tmp_path / "zz.xlsx"
    path.write_bytes(xlsx(ROWS))
    result = runner.invoke(args=["lms", "import-questions", str(path), "--bank", "zz"])
    assert result.exit_code == 0, result.output
    lesson = drawn_lesson(db, make, 60)
    return lesson


def test_a_corrected_file_changing_an_answered_key_is_refused_until_regraded(
        db, make, runner, tmp_path, imported):
    path = tmp_path / "corrected.xlsx"
    path.write_bytes(xlsx(with_key("C")))
    # nobody answered yet: the corrected key is simply imported (and back again)
    assert runner.invoke(args=["lms", "import-questions", str(path), "--bank", "zz"]
                         ).exit_code == 0
    path.write_bytes(xlsx(ROWS))
    assert runner.invoke(args=["lms", "import-questions", str(path), "--bank", "zz"]
                         ).exit_code == 0
    officer = make.user()
    answer(db, officer, imported, {"b1": "B", "b2": True}, imported.publish_at)
    path.write_bytes(xlsx(with_key("C")))
    result = runner.invoke(args=["lms", "import-questions", str(path), "--bank", "zz"])
    assert result.exit_code != 0
    assert f"{path}:2: 题目编号 b1 的答案与题库中的不同，且已有 1 份作答" in result.output
    assert "nothing was changed" in result.output
    db.expire_all()
    assert bank_questions(db, "zz")["b1"].answer == "B"
    # the regrade corrects it; the same file is then already the bank
    b1 = bank_questions(db, "zz")["b1"]
    plan = regrade_bank.plan(db, b1.bank_id, {b1.id: "C"})
    regrade_bank.apply(db, make.user(roles=("trainer",)), b1.bank_id, {b1.id: "C"},
                       plan.token, imported.publish_at, RULES)
    db.commit()
    again = runner.invoke(args=["lms", "import-questions", str(path), "--bank", "zz"])
    assert again.exit_code == 0 and "No changes." in again.output, again.output


def test_an_unchanged_key_of_an_answered_question_still_updates(db, make, runner, tmp_path,
                                                                imported):
    answer(db, make.user(), imported, {"b1": "B", "b2": True}, imported.publish_at)
    rows = [ROWS[0][:1] + ("第一题（修订）。",) + ROWS[0][2:], ROWS[1]]
    path = tmp_path / "stem.xlsx"
    path.write_bytes(xlsx(rows))
    result = runner.invoke(args=["lms", "import-questions", str(path), "--bank", "zz"])
    assert result.exit_code == 0 and "1 changed" in result.output, result.output


def test_the_studio_upload_lists_the_refusal_by_row_in_chinese(db, make, browser_for,
                                                               imported):
    answer(db, make.user(), imported, {"b1": "B", "b2": True}, imported.publish_at)
    response = upload(browser_for(make.user(roles=("trainer",))), xlsx(with_key("A")),
                      bank="zz")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "第 2 行" in html and "更正答案" in html and "没有导入任何题目" in html
    db.expire_all()
    assert bank_questions(db, "zz")["b1"].answer == "B"


def test_a_bank_file_changing_an_answered_key_does_not_sync(db, make, runner, tmp_path,
                                                            imported):
    from lms.domain.coursefiles import bankfile, dbspecs
    bank = db.scalar(select(QuestionBank).where(QuestionBank.key == "zz"))
    text = bankfile.dump_bank(dbspecs.bank_spec(db, bank))
    answer(db, make.user(), imported, {"b1": "B", "b2": True}, imported.publish_at)
    folder = tmp_path / "courses"
    export = runner.invoke(args=["lms", "export-courses", str(folder)])
    assert export.exit_code == 0, export.output
    bank_file = folder / "banks" / "zz.yml"
    assert bank_file.read_text(encoding="utf-8") == text
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if "answer: B" in line)
    lines[at] = lines[at].replace("answer: B", "answer: C")
    bank_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(args=["lms", "sync-courses", str(folder)])
    assert result.exit_code != 0
    question_line = next(i for i, line in enumerate(lines, 1) if "id: b1" in line)
    assert f"{bank_file}:{question_line}: the answer of question b1" in result.output
    assert "question b1 changed and officers have answered it" in result.output
    db.expire_all()
    assert bank_questions(db, "zz")["b1"].answer == "B"


def test_answered_bank_questions_are_found_with_or_without_the_sql_prefilter(
        db, world, make, monkeypatch):
    unanswered = Question(bank_id=world["bank"].id, key="b3", position=3, kind="true_false",
                          stem="第三题。", options=[], answer=True, explanation="", tags=["y"])
    db.add(unanswered)
    db.commit()
    ids = {world["b1"].id, world["b2"].id, unanswered.id}
    found = regrade_bank.answered(db, ids)
    monkeypatch.setattr(regrade_bank, "LIKE_MAX", 0)
    assert regrade_bank.answered(db, ids) == found == {world["b1"].id, world["b2"].id}
