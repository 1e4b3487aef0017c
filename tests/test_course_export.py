"""`flask lms export-courses PATH` and question-bank files (issue 12, items 3 and 8): the
database written back in the courses/ format, so that `sync-courses PATH` of the output
reports "No changes." — for the shipped content and for content made in the studio."""
from datetime import datetime

import pytest
from sqlalchemy import func, select

from lms.domain.bank import banks
from lms.domain.bank.xlsximport import ImportedQuestion
from lms.domain.coursefiles.specs import QuestionSpec
from lms.domain.studio import authoring
from lms.models import Courseware, LessonAudience, MicroLesson, Question, QuestionBank, Quiz
from lms.paths import COURSES_DIR

QUIZ_YAML = """\
quiz:
  pass_score: 80
  attempts_allowed: 3
  review: after_due
  questions:
    - id: q1
      kind: single
      stem: “三会”不包括下列哪一项？
      options: {A: 支部党员大会, B: 民主生活会}
      answer: B
      explanation: 三会指支部党员大会、支部委员会和党小组会。
      tags: [三会一课]
    - id: q2
      kind: multiple
      stem: 哪些属于“一课”的形式？
      options: {A: 党课, B: 专题讲座, C: 文艺演出}
      answer: [A, B]
    - id: q3
      kind: true_false
      stem: 党课每季度至少一次。
      answer: false
    - id: q4
      kind: fill_blank
      stem: 支部建在____上。
      answer: [连, 连队]
"""

BANK_FILE = """\
name: 政治理论题库
description: 供每周微课堂抽题。
questions:
  - id: zz-1
    kind: true_false
    stem: 对党忠诚是第一位的政治要求。
    answer: true
    tags: [忠诚]
  - id: zz-2
    kind: single
    stem: 人民警察的总要求首先是？
    options: {A: 对党忠诚, B: 服务人民}
    answer: A
    tags: [忠诚, 训词]
"""

DRAWN_LESSON = """\
---
issue_no: 7
slug: drawn
title: 抽题的微课
summary: 简介。
estimated_minutes: 6
min_read_seconds: 60
publish_at: 2026-01-05 08:00
due_at: 2026-01-11 23:59
quiz:
  pass_score: 60
  draw:
    - tag: 忠诚
      count: 2
      bank: zhengzhi
---
正文。
"""


@pytest.fixture
def cli(runner):
    def _run(*args):
        return runner.invoke(args=["lms", *map(str, args)])
    return _run


def test_export_of_the_shipped_content_syncs_back_with_no_changes(cli, tmp_path, db):
    assert cli("sync-courses", COURSES_DIR).exit_code == 0
    out = tmp_path / "export"
    result = cli("export-courses", out)
    assert result.exit_code == 0, result.output
    assert len(list((out / "courseware").rglob("*.md"))) == 43
    assert len(list((out / "lessons").glob("*.md"))) == 14
    again = cli("sync-courses", out)
    assert again.exit_code == 0, again.output
    assert again.output.strip() == "No changes."


def test_export_refuses_a_folder_that_holds_files(cli, tmp_path):
    (tmp_path / "old.txt").write_text("x")
    result = cli("export-courses", tmp_path)
    assert result.exit_code != 0 and "not an empty folder" in result.output


@pytest.fixture
def studio_content(db, make):
    """Everything a trainer can make without files: a category, classroom type and
    classroom, courseware (published and draft) with every question kind, a bank from an
    Excel import and a lesson drawing from it for two units."""
    units = make.tree()
    category = make.category("党建实务培训", key="practice", description="实务。", position=1)
    kind = make.classroom_type("样板课堂", key="model", position=1)
    make.classroom("三会一课示范", type=kind, unit=units["branch_a"], slug="model-01")
    author = make.user(roles=("trainer",))
    for slug in ("sanhui", "draft-one"):
        authoring.save_courseware(db, author, authoring.CoursewareInput(
            title=f"课件 {slug}", category=category.key, summary="简介。",
            estimated_minutes=8, min_read_seconds=120, featured=slug == "sanhui",
            lecturer="市局政治部", body_md="## 一、标题\r\n\r\n正文  \r\n", quiz_yaml=QUIZ_YAML),
            slug, create=True)
        db.commit()
    db.scalar(select(Courseware).where(Courseware.slug == "sanhui")).status = "published"
    db.commit()
    questions = [ImportedQuestion(n + 2, QuestionSpec(
        f"imp-{n}", "single", f"导入的第{n}题？", (("A", "甲"), ("B", "乙")), "A",
        "", ("导入",), n + 1)) for n in range(4)]
    banks.apply_import(db, questions, "imported", "导入题库")
    quiz = Quiz(pass_score=60, shuffle=True, draw_rules=[
        {"tag": "导入", "count": 3, "bank": "imported"}])
    lesson = MicroLesson(issue_no=3, slug="studio-lesson", title="第3期 工作室微课",
                         summary="导读。", body_md="正文。", body_html="<p>正文。</p>",
                         publish_at=datetime(2026, 1, 5, 0, 0),
                         due_at=datetime(2026, 1, 11, 15, 59), status="published", quiz=quiz,
                         estimated_minutes=5, min_read_seconds=60,
                         audience=[LessonAudience(unit_id=units["county_b"].id),
                                   LessonAudience(unit_id=units["county_a"].id)])
    db.add(lesson)
    db.commit()
    return units


def test_export_of_studio_made_content_syncs_back_with_no_changes(cli, tmp_path, db,
                                                                  studio_content):
    out = tmp_path / "export"
    result = cli("export-courses", out)
    assert result.exit_code == 0, result.output
    assert (out / "banks" / "imported.yml").is_file()
    assert (out / "courseware" / "practice" / "draft-one.md").is_file()
    lesson = (out / "lessons" / "03-studio-lesson.md").read_text("utf-8")
    assert "draw:" in lesson and "bank: imported" in lesson
    assert "audience: [CA, CB]" in lesson
    again = cli("sync-courses", out)
    assert again.exit_code == 0, again.output
    assert again.output.strip() == "No changes."


def test_the_round_trip_notices_a_real_difference(cli, tmp_path, db, studio_content):
    out = tmp_path / "export"
    cli("export-courses", out)
    db.scalar(select(Courseware).where(Courseware.slug == "sanhui")).title = "改过的标题"
    question = db.scalar(select(Question).where(Question.key == "imp-0"))
    question.stem = "改过的题干？"
    db.commit()
    result = cli("sync-courses", out, "--dry-run")
    assert "courseware practice/sanhui" in result.output
    assert "bank imported" in result.output


def test_the_studio_download_is_the_exported_file(cli, tmp_path, db, studio_content, make,
                                                  browser_for):
    out = tmp_path / "export"
    cli("export-courses", out)
    client = browser_for(make.user(roles=("trainer",)))
    item = client.get("/studio/courseware/sanhui/export")
    assert item.data.decode() == (out / "courseware" / "practice" / "sanhui.md").read_text()
    lesson_id = db.scalar(select(MicroLesson.id).where(MicroLesson.slug == "studio-lesson"))
    lesson = client.get(f"/studio/lessons/{lesson_id}/export")
    assert lesson.data.decode() == (out / "lessons" / "03-studio-lesson.md").read_text()
    bank = client.get("/studio/banks/imported/export")
    assert bank.status_code == 200
    assert bank.data.decode() == (out / "banks" / "imported.yml").read_text()


# --- bank files in a course folder ----------------------------------------------------------

@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "courses"
    (root / "banks").mkdir(parents=True)
    (root / "lessons").mkdir()
    (root / "catalog.yml").write_text("categories: []\nclassroom_types: []\n", "utf-8")
    (root / "banks" / "zhengzhi.yml").write_text(BANK_FILE, "utf-8")
    (root / "lessons" / "07-drawn.md").write_text(DRAWN_LESSON, "utf-8")
    return root


def test_a_bank_file_and_a_drawing_lesson_sync_once(cli, folder, db):
    result = cli("sync-courses", folder)
    assert result.exit_code == 0, result.output
    assert "bank zhengzhi" in result.output and "lesson 07-drawn" in result.output
    bank = db.scalar(select(QuestionBank))
    assert (bank.key, bank.name, bank.source_path) == ("zhengzhi", "政治理论题库",
                                                       "banks/zhengzhi.yml")
    lesson = db.scalar(select(MicroLesson))
    assert lesson.quiz.draw_rules == [{"tag": "忠诚", "count": 2, "bank": "zhengzhi"}]
    assert lesson.quiz.questions == []
    assert cli("sync-courses", folder).output.strip() == "No changes."


def test_a_bank_file_removed_retires_its_questions_and_keeps_them(cli, folder, db):
    cli("sync-courses", folder)
    (folder / "banks" / "zhengzhi.yml").unlink()
    (folder / "lessons" / "07-drawn.md").unlink()
    result = cli("sync-courses", folder)
    assert "bank zhengzhi" in result.output, result.output
    assert db.scalar(select(func.count()).select_from(Question).where(
        Question.retired.is_(False))) == 0
    assert db.scalar(select(func.count()).select_from(Question)) == 2
    assert cli("sync-courses", folder).output.strip() == "No changes."


def test_a_draw_rule_naming_an_unknown_bank_is_refused(cli, folder, db):
    (folder / "banks" / "zhengzhi.yml").unlink()
    result = cli("sync-courses", folder)
    assert result.exit_code != 0
    assert f"{folder / 'lessons' / '07-drawn.md'}:10: draw rule names unknown bank " \
           "'zhengzhi'" in result.output
    assert db.scalar(select(func.count()).select_from(MicroLesson)) == 0


@pytest.mark.parametrize("bad, line, message", [
    ("    answer: A\n    tags: [忠诚, 训词]\n", 13, "answer 'C' is not one of the options"),
    ("    answer: A\n    tags: [忠诚, 训词]\n  - id: zz-1\n    kind: true_false\n"
     "    stem: 重复。\n    answer: true\n", 15, "duplicate question id 'zz-1'"),
])
def test_a_broken_bank_file_is_reported_at_its_line(cli, folder, db, bad, line, message):
    text = BANK_FILE.replace("    answer: A\n    tags: [忠诚, 训词]\n", bad)
    if "answer 'C'" in message:
        text = text.replace("    answer: A\n", "    answer: C\n")
    (folder / "banks" / "zhengzhi.yml").write_text(text, "utf-8")
    result = cli("sync-courses", folder)
    assert result.exit_code != 0
    assert f"{folder / 'banks' / 'zhengzhi.yml'}:{line}: {message}" in result.output, \
        result.output


def test_a_quiz_with_both_questions_and_draw_rules_is_refused(cli, folder):
    text = DRAWN_LESSON.replace("  draw:\n", "  questions:\n    - id: q1\n      kind: "
                                "true_false\n      stem: 是。\n      answer: true\n  draw:\n")
    (folder / "lessons" / "07-drawn.md").write_text(text, "utf-8")
    result = cli("sync-courses", folder)
    assert result.exit_code != 0
    assert "a quiz takes either questions or draw rules, not both" in result.output


def test_the_studio_refuses_a_draw_from_an_unknown_bank(db, make):
    category = make.category(key="practice")
    author = make.user(roles=("trainer",))
    data = authoring.CoursewareInput(
        title="抽题课件", category=category.key, summary="简介。", estimated_minutes=5,
        min_read_seconds=60, featured=False, lecturer=None, body_md="正文。",
        quiz_yaml="quiz:\n  draw:\n    - {tag: 忠诚, count: 2, bank: nowhere}\n")
    with pytest.raises(authoring.Invalid) as refused:
        authoring.save_courseware(db, author, data, "drawn", create=True)
    assert refused.value.problems["quiz_yaml"] == ["抽题规则 1：题库「nowhere」不存在"]
    db.rollback()
    banks.apply_import(db, [ImportedQuestion(n + 2, QuestionSpec(
        key, "true_false", f"是{key}。", (), True, "", ("忠诚",), n + 1))
        for n, key in enumerate("ab")], "nowhere")
    saved = authoring.save_courseware(db, author, data, "drawn", create=True)
    assert saved.quiz.draw_rules == [{"tag": "忠诚", "count": 2, "bank": "nowhere"}]
