"""Course folders: what loads, and which problem (path:line) each broken rule reports."""

import dataclasses
import hashlib
from datetime import datetime

import pytest

from lms.domain.coursefiles.reader import Problem, load_course_tree
from lms.domain.coursefiles.specs import CoursewareSpec
from lms.domain.coursefiles.writer import dump_courseware, dump_lesson

CATALOG = """\
categories:
  - key: practice
    name: 党建实务培训
    description: 实务。
  - key: research
    name: 党建课题研究
classroom_types:
  - key: model
    name: 组织生活"样板课堂"
classrooms:
  - slug: model-2026-01
    type: model
    title: 第一课
    unit: C01
"""

# Line numbers matter: tests below point at them.
COURSEWARE = """\
---
slug: sanhui-yike
title: 如何规范开展"三会一课"
category: practice
summary: 简介。
estimated_minutes: 8
min_read_seconds: 120
featured: true
status: published
quiz:
  pass_score: 60
  questions:
    - id: q1
      kind: single
      stem: 不包括哪一项?
      options:
        A: 支部党员大会
        B: 民主生活会
      answer: B
      explanation: 三会指支部党员大会、支部委员会和党小组会。
    - id: q2
      kind: multiple
      stem: 哪些是?
      options: {A: 甲, B: 乙, C: 丙}
      answer: [C, A]
    - id: q3
      kind: true_false
      stem: 对吗?
      answer: true
    - id: q4
      kind: fill_blank
      stem: 党支部党员大会一般每____召开一次。
      answer: [季度, 一季度]
      tags: [三会一课]
---
## 正文

内容。
"""

LESSON = """\
---
issue_no: 1
slug: first-issue
title: 第一期
summary: 本期简介。
estimated_minutes: 5
min_read_seconds: 60
publish_at: 2026-08-17 08:00
due_at: 2026-08-23 23:59
audience: [C01]
quiz:
  questions:
    - id: q1
      kind: true_false
      stem: 对吗?
      answer: false
---
本期正文。
"""

CW = "courseware/practice/sanhui-yike.md"
LS = "lessons/01-first-issue.md"


def write(root, rel, text):
    """Write a UTF-8 file under root, creating folders."""
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def edit(text, old, new):
    """Replace one exact fragment, failing loudly if the fixture drifted."""
    assert text.count(old) == 1, old
    return text.replace(old, new)


@pytest.fixture
def root(tmp_path):
    """A minimal valid course folder."""
    write(tmp_path, "catalog.yml", CATALOG)
    write(tmp_path, CW, COURSEWARE)
    write(tmp_path, LS, LESSON)
    return tmp_path


def problems_of(root):
    """The problem lines of a folder that must not load."""
    tree, problems = load_course_tree(root)
    assert tree is None and problems
    return [str(p) for p in problems]


def only_problem(root):
    """The single problem a folder has."""
    found = problems_of(root)
    assert len(found) == 1, found
    return found[0]


def test_minimal_tree_loads(root):
    tree, problems = load_course_tree(root)
    assert problems == []
    assert [(c.key, c.position) for c in tree.categories] == [("practice", 1), ("research", 2)]
    assert tree.classroom_types[0].name == '组织生活"样板课堂"'
    assert tree.classrooms[0].unit == "C01"
    item = tree.courseware[0]
    assert (item.slug, item.category, item.featured, item.lecturer) == (
        "sanhui-yike", "practice", True, None)
    assert item.body_md == "## 正文\n\n内容。"
    assert item.source_path == CW
    assert item.source_hash == hashlib.sha256((root / CW).read_bytes()).hexdigest()
    assert [(q.key, q.kind, q.answer, q.position) for q in item.quiz.questions] == [
        ("q1", "single", "B", 1), ("q2", "multiple", ("A", "C"), 2),
        ("q3", "true_false", True, 3), ("q4", "fill_blank", ("季度", "一季度"), 4)]
    assert item.quiz.questions[0].options == (("A", "支部党员大会"), ("B", "民主生活会"))
    assert item.quiz.questions[3].tags == ("三会一课",)


def test_lesson_times_are_naive_utc(root):
    lesson = load_course_tree(root)[0].lessons[0]
    assert lesson.publish_at == datetime(2026, 8, 17, 0, 0)
    assert lesson.due_at == datetime(2026, 8, 23, 15, 59)
    assert lesson.audience == ("C01",)


def test_problem_reads_path_line_message():
    assert str(Problem("courses/a.md", 3, "bad")) == "courses/a.md:3: bad"


def test_answer_not_among_options_points_at_answer_line(root):
    write(root, CW, edit(COURSEWARE, "answer: B", "answer: E"))
    assert only_problem(root) == (
        f"{root / CW}:19: answer 'E' is not one of the options A, B")


def test_yaml_syntax_error_points_at_problem_line(root):
    write(root, CW, edit(COURSEWARE, "stem: 对吗?", "stem: a: b"))
    assert only_problem(root).startswith(f"{root / CW}:28: invalid YAML")


def test_repeated_yaml_key_is_an_error(root):
    write(root, LS, edit(LESSON, "summary: 本期简介。\n", "summary: 本期简介。\ntitle: 又一个\n"))
    assert only_problem(root) == f"{root / LS}:6: invalid YAML: duplicate key 'title'"


def test_missing_field_points_at_its_mapping(root):
    write(root, CW, edit(COURSEWARE, "title: 如何规范开展\"三会一课\"\n", ""))
    assert only_problem(root) == f"{root / CW}:2: front matter: missing field 'title'"


def test_missing_question_field_points_at_the_question(root):
    write(root, CW, edit(COURSEWARE, "      answer: true\n", ""))
    assert only_problem(root) == f"{root / CW}:26: question q3: missing field 'answer'"


def test_missing_body_points_at_last_line(root):
    write(root, CW, COURSEWARE.split("## 正文")[0])
    assert only_problem(root).startswith(f"{root / CW}:35: missing body")


def test_absurdly_nested_body_is_a_problem_not_a_crash(root):
    deep = "".join("  " * depth + "- 层\n" for depth in range(500))
    write(root, CW, COURSEWARE + deep)
    assert "nests lists or quotes more than 64 levels deep" in only_problem(root)


@pytest.mark.parametrize("old, new, line, message", [
    ("featured: true", "featured: true\nlectuer: 某", 9, "unknown field 'lectuer'"),
    ("slug: sanhui-yike", "slug: Sanhui_Yike", 2, "must match [a-z0-9-]+"),
    ('title: 如何规范开展"三会一课"', "title: " + "长" * 201, 3, "at most 200"),
    ('title: 如何规范开展"三会一课"', "title: ''", 3, "title must not be empty"),
    ("estimated_minutes: 8", "estimated_minutes: 121", 6, "estimated_minutes must be"),
    ("estimated_minutes: 8", "estimated_minutes: yes", 6, "estimated_minutes must be"),
    ("min_read_seconds: 120", "min_read_seconds: 3601", 7, "min_read_seconds must be"),
    ("featured: true", "featured: 是", 8, "featured must be true or false"),
    ("status: published", "status: live", 9, "status 'live' must be one of"),
    ("pass_score: 60", "pass_score: 101", 11, "pass_score must be"),
    ("pass_score: 60", "attempts_allowed: 0", 11, "attempts_allowed must be"),
    ("category: practice", "category: sports", 4, "unknown category 'sports'"),
    ("category: practice", "category: research", 4, "the file is in courseware/practice/"),
    ("kind: single", "kind: essay", 14, "kind 'essay' must be one of"),
    ("- id: q2", "- id: Q2", 21, "id 'Q2' must match [a-z0-9-]+"),
    ("- id: q2", "- id: q1", 21, "duplicate question id 'q1' (first at line 13)"),
    ("options:\n        A: 支部党员大会\n        B: 民主生活会\n      answer", "answer", 13,
     "question q1: missing field 'options'"),
    ("B: 民主生活会", "C: 民主生活会", 16, "option keys must be A, B in this order"),
    ("answer: [C, A]", "answer: [C]", 25, "two or more correct keys"),
    ("answer: [C, A]", "answer: [C, C]", 25, "the same key twice"),
    ("answer: [C, A]", "answer: [A, D]", 25, "'D' not among the options"),
    ("answer: [C, A]", "answer: C", 25, "must be a list of option keys"),
    ("answer: true", "answer: 对", 29, "true_false answer must be true or false"),
    ("answer: true", "options: {A: 对, B: 错}\n      answer: true", 29, "takes no options"),
    ("answer: [季度, 一季度]", "answer: []", 33, "answer must not be empty"),
    ("answer: [季度, 一季度]", "answer: ''", 33, "answer must not be empty"),
    ("每____召开", "每季召开", 32, "must mark the blank with ____"),
])
def test_each_courseware_rule_reports_its_line(root, old, new, line, message):
    write(root, CW, edit(COURSEWARE, old, new))
    found = only_problem(root)
    assert found.startswith(f"{root / CW}:{line}: ")
    assert message in found


@pytest.mark.parametrize("old, new, line, message", [
    ("due_at: 2026-08-23 23:59", "due_at: 2026-08-17 07:00", 9, "due_at must be later"),
    ("publish_at: 2026-08-17 08:00", "publish_at: 2026-08-17", 8, "'YYYY-MM-DD HH:MM'"),
    ("publish_at: 2026-08-17 08:00", "publish_at: 17/08/2026 8am", 8, "'YYYY-MM-DD HH:MM'"),
    ("audience: [C01]", "audience: []", 10, "audience must not be empty"),
    ("issue_no: 1", "issue_no: 2", 2, "does not match the file name's number 01"),
    ("issue_no: 1", "issue_no: 0", 2, "issue_no must be"),
    ("slug: first-issue", "slug: other", 3, "does not match the file name's 'first-issue'"),
    ("title: 第一期", "title: 第一期\nstatus: live", 5, "status 'live' must be one of"),
])
def test_each_lesson_rule_reports_its_line(root, old, new, line, message):
    write(root, LS, edit(LESSON, old, new))
    found = only_problem(root)
    assert found.startswith(f"{root / LS}:{line}: ")
    assert message in found


@pytest.mark.parametrize("value", ["'2026-08-17 08:00'", "!!timestamp 2026-08-17 08:00:00"])
def test_publish_at_may_be_quoted_or_a_yaml_timestamp(root, value):
    write(root, LS, edit(LESSON, "publish_at: 2026-08-17 08:00", f"publish_at: {value}"))
    tree, problems = load_course_tree(root)
    assert problems == []
    assert tree.lessons[0].publish_at == datetime(2026, 8, 17, 0, 0)


def test_lesson_without_quiz_is_an_error(root):
    write(root, LS, LESSON.split("quiz:")[0] + "---\n本期正文。\n")
    assert only_problem(root) == f"{root / LS}:2: a micro-lesson must have a quiz"


def test_duplicate_courseware_slug_names_the_other_file(root):
    write(root, "courseware/research/sanhui-yike.md",
          edit(COURSEWARE, "category: practice", "category: research"))
    assert only_problem(root) == (f"{root}/courseware/research/sanhui-yike.md:2: "
                                  f"duplicate slug 'sanhui-yike' (also in {CW})")


def test_duplicate_issue_no_and_lesson_slug(root):
    write(root, "lessons/01-other.md", edit(LESSON, "slug: first-issue", "slug: other"))
    write(root, "lessons/02-first-issue.md", edit(LESSON, "issue_no: 1", "issue_no: 2"))
    assert problems_of(root) == [
        f"{root}/lessons/01-other.md:2: duplicate issue_no 1 (also in {LS})",
        f"{root}/lessons/02-first-issue.md:3: duplicate slug 'first-issue' (also in {LS})",
    ]


def test_catalog_missing(root):
    (root / "catalog.yml").unlink()
    assert only_problem(root) == f"{root}/catalog.yml:1: catalog.yml is missing"


@pytest.mark.parametrize("old, new, line, message", [
    ("    type: model", "    type: lecture", 12, "unknown classroom type 'lecture'"),
    ("  - key: research", "  - key: practice", 5, "duplicate key 'practice' in categories"),
    ("classrooms:", "classroomz:", 10, "unknown field 'classroomz'"),
    ("    name: 党建课题研究", "    name: [a", 7, "invalid YAML"),
])
def test_catalog_rules(root, old, new, line, message):
    write(root, "catalog.yml", edit(CATALOG, old, new))
    found = only_problem(root)
    assert found.startswith(f"{root}/catalog.yml:{line}: ")
    assert message in found


def test_file_not_utf8_points_at_the_bad_line(root):
    (root / CW).write_bytes(COURSEWARE.replace("内容。", "内容。").encode("utf-8")
                            + "第二行\n".encode("gbk"))
    assert only_problem(root).startswith(f"{root / CW}:39: not UTF-8")


def test_md_without_front_matter(root):
    write(root, CW, "# 只有正文\n")
    assert only_problem(root) == (
        f"{root / CW}:1: no front matter: the file must start with a '---' line")


def test_bom_and_crlf_are_tolerated(root):
    (root / CW).write_bytes(b"\xef\xbb\xbf" + COURSEWARE.replace("\n", "\r\n").encode())
    tree, problems = load_course_tree(root)
    assert problems == []
    assert tree.courseware[0].body_md == "## 正文\n\n内容。"


def test_other_files_are_ignored_but_an_orphan_quiz_is_not(root):
    write(root, "courseware/practice/notes.txt", "not content")
    write(root, "lessons/.01-first-issue.md.swp", "editor litter")
    write(root, "courseware/practice/gone.quiz.yml", "questions: []\n")
    assert only_problem(root) == (
        f"{root}/courseware/practice/gone.quiz.yml:1: quiz file without its gone.md")


def test_misplaced_courseware_file(root):
    write(root, "courseware/loose.md", COURSEWARE)
    assert only_problem(root).startswith(f"{root}/courseware/loose.md:1: misplaced file")


def test_every_problem_of_every_file_is_reported_sorted(root):
    write(root, CW, edit(edit(COURSEWARE, "answer: B", "answer: E"),
                         "status: published", "status: live"))
    write(root, LS, edit(LESSON, "estimated_minutes: 5", "estimated_minutes: 0"))
    write(root, "catalog.yml", edit(CATALOG, "    type: model", "    type: lecture"))
    found = load_course_tree(root)[1]
    assert [(p.path, p.line) for p in found] == [
        (f"{root}/catalog.yml", 12), (f"{root / CW}", 9), (f"{root / CW}", 19),
        (f"{root / LS}", 6)]


def quiz_only(text):
    """The questions block of COURSEWARE as a top-level sidecar mapping."""
    block = text.split("quiz:\n")[1].split("---\n")[0]
    return "\n".join(line[2:] for line in block.splitlines()) + "\n"


def test_quiz_from_sidecar(root):
    sidecar = quiz_only(COURSEWARE)
    write(root, CW, COURSEWARE.split("quiz:\n")[0] + "---\n## 正文\n")
    write(root, "courseware/practice/sanhui-yike.quiz.yml", sidecar)
    tree, problems = load_course_tree(root)
    assert problems == []
    item = tree.courseware[0]
    assert [q.key for q in item.quiz.questions] == ["q1", "q2", "q3", "q4"]
    both = (root / CW).read_bytes() + sidecar.encode()
    assert item.source_hash == hashlib.sha256(both).hexdigest()


def test_sidecar_problems_point_into_the_sidecar(root):
    write(root, CW, COURSEWARE.split("quiz:\n")[0] + "---\n## 正文\n")
    side = "courseware/practice/sanhui-yike.quiz.yml"
    write(root, side, edit(quiz_only(COURSEWARE), "answer: B", "answer: E"))
    assert only_problem(root).startswith(f"{root / side}:9: answer 'E'")


def test_quiz_in_both_places_is_an_error(root):
    write(root, "courseware/practice/sanhui-yike.quiz.yml", quiz_only(COURSEWARE))
    assert only_problem(root).startswith(f"{root / CW}:10: quiz given twice")


def round_trip(root, spec, text):
    """Write dumped text where spec came from and load it back."""
    write(root, spec.source_path, text)
    tree, problems = load_course_tree(root)
    assert problems == []
    return tree


def test_dump_courseware_round_trips(root):
    tree = load_course_tree(root)[0]
    spec = dataclasses.replace(tree.courseware[0], lecturer="市局政治部",
                               body_md="## 正文\n\n- 一\n- 二\n\n> 引用")
    quiz = spec.quiz
    first = dataclasses.replace(quiz.questions[0], explanation="第一行\n第二行: 有冒号")
    spec = dataclasses.replace(spec, quiz=dataclasses.replace(
        quiz, attempts_allowed=3, shuffle=True, questions=(first,) + quiz.questions[1:]))
    loaded = round_trip(root, spec, dump_courseware(spec)).courseware[0]
    assert dataclasses.replace(loaded, source_hash="") == dataclasses.replace(
        spec, source_hash="")


def test_dump_courseware_without_quiz_round_trips(root):
    spec = dataclasses.replace(load_course_tree(root)[0].courseware[0], quiz=None)
    loaded = round_trip(root, spec, dump_courseware(spec)).courseware[0]
    assert isinstance(loaded, CoursewareSpec) and loaded.quiz is None
    assert dataclasses.replace(loaded, source_hash="") == dataclasses.replace(
        spec, source_hash="")


def test_dump_lesson_round_trips_in_local_time(root):
    spec = load_course_tree(root)[0].lessons[0]
    text = dump_lesson(spec)
    assert "publish_at: 2026-08-17 08:00\n" in text
    loaded = round_trip(root, spec, text).lessons[0]
    assert dataclasses.replace(loaded, source_hash="") == dataclasses.replace(
        spec, source_hash="")
