"""`flask lms sync-courses` (DESIGN §4): validate all, apply in one transaction, retire
rather than delete, and change nothing on a second run."""
import re
import shutil

import pytest
from factories import lesson_source
from sqlalchemy import func, select

from lms.models import (
    Attempt,
    Base,
    Category,
    ClassroomType,
    Courseware,
    LessonAudience,
    MicroLesson,
    Mistake,
    Question,
)
from lms.paths import COURSES_DIR

CONTENT_TABLES = ("lms_category", "lms_classroom_type", "lms_classroom", "lms_quiz",
                  "lms_question", "lms_courseware", "lms_micro_lesson", "lms_lesson_audience",
                  "lms_audit_event")

CATALOG = """\
categories:
  - key: practice
    name: 党建实务培训
classroom_types:
  - key: model
    name: 组织生活"样板课堂"
classrooms:
  - slug: model-01
    type: model
    title: 三会一课示范观摩
"""

COURSEWARE = """\
---
slug: sanhui
title: 如何规范开展"三会一课"
category: practice
summary: 简介。
estimated_minutes: 8
min_read_seconds: 120
featured: false
status: published
quiz:
  questions:
    - id: q1
      kind: single
      stem: 三会不包括哪一项?
      options: {A: 支部党员大会, B: 民主生活会}
      answer: B
    - id: q2
      kind: true_false
      stem: 党课每季度至少一次。
      answer: true
---
## 一、三会一课

正文。
"""

# Line numbers matter: the audience test points at line 12.
LESSON = lesson_source("2026-01-05 08:00", "2026-01-11 23:59", ("C01", "ZZ9"))


WITHOUT_AUDIENCE = lesson_source("2026-01-05 08:00", "2026-01-11 23:59")


@pytest.fixture
def sync(runner):
    """sync(path, "--dry-run") → the CLI result."""
    def _sync(path=COURSES_DIR, *options):
        return runner.invoke(args=["lms", "sync-courses", str(path), *options])
    return _sync


@pytest.fixture
def folder(tmp_path):
    """A small course folder: one category, type, classroom, courseware item and lesson."""
    root = tmp_path / "courses"
    (root / "courseware" / "practice").mkdir(parents=True)
    (root / "lessons").mkdir()
    (root / "catalog.yml").write_text(CATALOG, "utf-8")
    (root / "courseware" / "practice" / "sanhui.md").write_text(COURSEWARE, "utf-8")
    (root / "lessons" / "01-zhongcheng.md").write_text(WITHOUT_AUDIENCE, "utf-8")
    return root


@pytest.fixture
def shipped_copy(tmp_path):
    """The shipped course folder, copied so a test may break it."""
    return shutil.copytree(COURSES_DIR, tmp_path / "courses")


def edit(path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), "utf-8")


def snapshot(db) -> dict[str, list[tuple]]:
    """Every row of the content tables (and the audit log), ids and timestamps included."""
    db.rollback()
    tables = Base.metadata.tables
    return {name: [tuple(row) for row in db.execute(
        select(tables[name]).order_by(*tables[name].primary_key.columns))]
        for name in CONTENT_TABLES}


def count(db, model) -> int:
    return db.scalar(select(func.count()).select_from(model))


def shipped_courseware_files() -> int:
    return len([p for p in (COURSES_DIR / "courseware").rglob("*.md")
                if not p.name.startswith(".")])


def question(db, key: str, slug: str = "sanhui") -> Question:
    quiz_id = db.scalar(select(Courseware.quiz_id).where(Courseware.slug == slug))
    return db.scalars(select(Question).where(Question.quiz_id == quiz_id,
                                             Question.key == key)).one()


# --- the shipped folder -------------------------------------------------------------------

def test_shipped_folder_syncs_every_file(sync, db):
    result = sync()
    assert result.exit_code == 0, result.output
    assert count(db, Category) == 3
    assert count(db, ClassroomType) == 5
    assert count(db, MicroLesson) == 14
    assert count(db, Courseware) == shipped_courseware_files()
    assert "Synced:" in result.stdout
    assert all(html and "<script" not in html for html in db.scalars(select(Courseware.body_html)))


def test_shipped_folder_has_43_courseware_items(sync, db):
    assert sync().exit_code == 0
    assert count(db, Courseware) == 43


def test_second_run_reports_no_changes_and_touches_nothing(sync, db):
    assert sync().exit_code == 0
    before = snapshot(db)
    result = sync()
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "No changes."
    assert snapshot(db) == before  # ids, updated_at, audit log: all as they were


@pytest.mark.parametrize("synced_before", [False, True], ids=["empty", "synced"])
def test_broken_answer_fails_with_path_line_and_changes_nothing(sync, db, shipped_copy,
                                                                synced_before):
    if synced_before:
        assert sync(shipped_copy).exit_code == 0
    files = sorted((shipped_copy / "courseware").rglob("*.md"))
    edit(files[0], "\n## ", "\n## 新增的一节\n\n正文。\n\n## ")  # a valid change...
    files[1].unlink()  # ...and a retirement, neither of which may be applied
    broken, line = _break_a_single_answer(files[2:])
    before = snapshot(db)
    result = sync(shipped_copy)
    assert result.exit_code == 1
    assert f"{broken}:{line}: answer 'Z' is not one of the options" in result.stderr
    assert "nothing was changed" in result.stderr
    assert snapshot(db) == before


def _break_a_single_answer(files):
    """Point the first single-choice answer found at an option that does not exist."""
    for path in files:
        lines = path.read_text("utf-8").split("\n")
        for index, text in enumerate(lines):
            if re.fullmatch(r"\s+answer: [A-D]", text):
                lines[index] = re.sub(r"[A-D]$", "Z", text)
                path.write_text("\n".join(lines), "utf-8")
                return path, index + 1
    raise AssertionError("no single-choice answer in the shipped courseware")


def test_default_path_falls_back_to_the_shipped_folder(app, runner, db):
    app.config["LMS_COURSES_PATH"] = "no-such-folder-here"
    result = runner.invoke(args=["lms", "sync-courses", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "  lesson 14-2026-14-xingdong-zhibu" in result.stdout
    assert count(db, MicroLesson) == 0


# --- what a run does ----------------------------------------------------------------------

def test_dry_run_lists_changes_and_changes_nothing(sync, db, folder):
    result = sync(folder, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Would add (5):" in result.stdout
    assert "  courseware practice/sanhui" in result.stdout
    assert "  lesson 01-zhongcheng" in result.stdout
    assert all(rows == [] for rows in snapshot(db).values())

    assert sync(folder).exit_code == 0
    edit(folder / "courseware" / "practice" / "sanhui.md", "正文。", "新的正文。")
    (folder / "lessons" / "01-zhongcheng.md").unlink()
    before = snapshot(db)
    result = sync(folder, "--dry-run")
    assert "Would change (1):\n  courseware practice/sanhui" in result.stdout
    assert "Would retire (1):\n  lesson 01-zhongcheng" in result.stdout
    assert snapshot(db) == before


def test_deleted_file_retires_its_item_and_keeps_attempts(sync, db, folder, make):
    assert sync(folder).exit_code == 0
    item = db.scalars(select(Courseware)).one()
    officer = make.user()
    db.add_all([Attempt(user_id=officer.id, quiz_id=item.quiz_id, item_type="courseware",
                        item_id=item.id, idempotency_key="k1", status="submitted"),
                Mistake(user_id=officer.id, question_id=question(db, "q1").id)])
    db.commit()
    (folder / "courseware" / "practice" / "sanhui.md").unlink()

    result = sync(folder)
    assert result.exit_code == 0, result.output
    assert "Retired (1):\n  courseware practice/sanhui" in result.stdout
    attempt = db.scalars(select(Attempt)).one()
    retired = db.get(Courseware, attempt.item_id)
    assert retired.slug == "sanhui" and retired.status == "retired"
    assert retired.quiz_id == attempt.quiz_id
    assert db.get(Question, db.scalars(select(Mistake)).one().question_id).key == "q1"


def test_retired_item_whose_file_returns_is_published_again(sync, db, folder):
    path = folder / "courseware" / "practice" / "sanhui.md"
    assert sync(folder).exit_code == 0
    item_id = db.scalar(select(Courseware.id))
    path.unlink()
    assert sync(folder).exit_code == 0
    path.write_text(COURSEWARE, "utf-8")
    result = sync(folder)
    assert "Changed (1):\n  courseware practice/sanhui" in result.stdout
    db.rollback()
    assert db.get(Courseware, item_id).status == "published"


def test_edited_question_keeps_its_id(sync, db, folder):
    assert sync(folder).exit_code == 0
    first = question(db, "q1")
    first_id, other_id = first.id, question(db, "q2").id
    edit(folder / "courseware" / "practice" / "sanhui.md", "三会不包括哪一项?", "不属于三会的是?")
    assert sync(folder).exit_code == 0
    db.rollback()
    edited = question(db, "q1")
    assert (edited.id, edited.stem, edited.retired) == (first_id, "不属于三会的是?", False)
    assert question(db, "q2").id == other_id


def test_removed_question_is_retired_not_deleted(sync, db, folder):
    assert sync(folder).exit_code == 0
    removed_id = question(db, "q2").id
    edit(folder / "courseware" / "practice" / "sanhui.md",
         "    - id: q2\n      kind: true_false\n      stem: 党课每季度至少一次。\n"
         "      answer: true\n", "")
    assert sync(folder).exit_code == 0
    db.rollback()
    assert db.get(Question, removed_id).retired is True
    assert question(db, "q1").retired is False


def test_hostile_body_is_stored_without_script(sync, db, folder):
    edit(folder / "courseware" / "practice" / "sanhui.md", "正文。",
         '<script>alert("x")</script>\n\n<img src="x" onerror="alert(1)">\n\n'
         "[点我](javascript:alert(2))")
    assert sync(folder).exit_code == 0
    item = db.scalars(select(Courseware)).one()
    for needle in ("<script", "onerror", "javascript:"):
        assert needle not in item.body_html.lower()
    assert "alert" not in item.search_text


def test_unknown_audience_unit_code_is_a_path_line_problem(sync, db, folder, make):
    make.unit(code="C01")
    path = folder / "lessons" / "01-zhongcheng.md"
    path.write_text(LESSON, "utf-8")
    before = snapshot(db)
    result = sync(folder)
    assert result.exit_code == 1
    assert f"{path}:12: unknown unit code 'ZZ9'" in result.stderr
    assert "C01" not in result.stderr
    assert snapshot(db) == before


def test_unknown_classroom_unit_code_is_a_path_line_problem(sync, db, folder):
    (folder / "catalog.yml").write_text(CATALOG + "    unit: ZZ9\n", "utf-8")
    result = sync(folder)
    assert result.exit_code == 1
    assert f"{folder / 'catalog.yml'}:11: unknown unit code 'ZZ9'" in result.stderr
    assert count(db, Category) == 0


def test_audience_codes_resolve_to_units(sync, db, folder, make):
    units = make.tree()
    (folder / "lessons" / "01-zhongcheng.md").write_text(
        lesson_source("2026-01-05 08:00", "2026-01-11 23:59", ("CA", "SB")), "utf-8")
    assert sync(folder).exit_code == 0
    assert set(db.scalars(select(LessonAudience.unit_id))) == {units["county_a"].id,
                                                               units["station_b"].id}


def test_lessons_may_swap_issue_numbers(sync, db, folder):
    second = WITHOUT_AUDIENCE.replace("issue_no: 1", "issue_no: 2")
    (folder / "lessons" / "02-dandang.md").write_text(
        second.replace("slug: zhongcheng", "slug: dandang"), "utf-8")
    assert sync(folder).exit_code == 0
    (folder / "lessons" / "01-zhongcheng.md").rename(folder / "lessons" / "02-zhongcheng.md")
    (folder / "lessons" / "02-dandang.md").rename(folder / "lessons" / "01-dandang.md")
    edit(folder / "lessons" / "02-zhongcheng.md", "issue_no: 1", "issue_no: 2")
    edit(folder / "lessons" / "01-dandang.md", "issue_no: 2", "issue_no: 1")
    result = sync(folder)
    assert result.exit_code == 0, result.output
    db.rollback()
    assert dict(db.execute(select(MicroLesson.slug, MicroLesson.issue_no)).all()) == {
        "zhongcheng": 2, "dandang": 1}


def test_issue_number_of_a_retired_lesson_stays_taken(sync, db, folder):
    assert sync(folder).exit_code == 0
    old = folder / "lessons" / "01-zhongcheng.md"
    new = folder / "lessons" / "01-dandang.md"
    new.write_text(old.read_text("utf-8").replace("slug: zhongcheng", "slug: dandang"), "utf-8")
    old.unlink()
    before = snapshot(db)
    result = sync(folder)
    assert result.exit_code == 1
    assert f"{new}:2: issue_no 1 already belongs to lesson 'zhongcheng'" in result.stderr
    assert snapshot(db) == before
