"""The shipped courses/ as a political department would sign it (issue 14): full-width
punctuation in Chinese text, a quiz on every item, keys that follow no pattern, reading
times from the text, and the catalogue's shape; plus the half-width warning of sync."""
from collections import Counter
from datetime import timedelta

import pytest

from lms.domain.coursefiles.punctuation import folder_warnings, to_full_width, warnings
from lms.domain.coursefiles.reader import load_course_tree
from lms.domain.coursefiles.readtime import estimate_minutes
from lms.paths import COURSES_DIR


@pytest.fixture(scope="module")
def tree():
    tree, problems = load_course_tree(COURSES_DIR)
    assert problems == []
    return tree


def questions(tree, kind):
    items = list(tree.courseware) + list(tree.lessons)
    return [q for item in items if item.quiz for q in item.quiz.questions if q.kind == kind]


def test_shipped_courses_draw_no_half_width_warning():
    assert [str(w) for w in folder_warnings(COURSES_DIR)] == []


def test_catalogue_keeps_43_items_in_3_categories_and_14_lessons_for_2026(tree):
    assert len(tree.courseware) == 43
    assert len(tree.categories) == 3
    assert {c.category for c in tree.courseware} == {c.key for c in tree.categories}
    assert len(tree.lessons) == 14
    assert [lesson.issue_no for lesson in tree.lessons] == list(range(1, 15))
    shanghai = timedelta(hours=8)  # publish_at is stored as naive UTC
    assert {(lesson.publish_at + shanghai).year for lesson in tree.lessons} == {2026}


def test_every_courseware_item_has_a_quiz_of_three_or_more(tree):
    assert [c.slug for c in tree.courseware if c.quiz is None] == []
    assert all(len(c.quiz.questions) >= 3 for c in tree.courseware)


def test_no_multiple_choice_key_pattern_holds_more_than_a_third(tree):
    keys = Counter("".join(q.answer) for q in questions(tree, "multiple"))
    total = sum(keys.values())
    assert total >= 50
    pattern, count = keys.most_common(1)[0]
    assert count * 3 <= total, (pattern, count, total)
    assert len({len(q.answer) for q in questions(tree, "multiple")}) >= 3  # 2, 3 and 4 keys


def test_single_choice_keys_spread_over_a_to_d(tree):
    keys = Counter(q.answer for q in questions(tree, "single"))
    total = sum(keys.values())
    assert set("ABCD") <= set(keys)
    assert max(keys.values()) * 10 <= total * 4, keys


def test_no_stem_is_asked_twice(tree):
    stems = Counter(q.stem for kind in ("single", "multiple", "true_false", "fill_blank")
                    for q in questions(tree, kind))
    assert [stem for stem, n in stems.items() if n > 1] == []


def test_fill_in_answers_are_words_or_single_numbers(tree):
    for q in questions(tree, "fill_blank"):
        for answer in q.answer:
            assert not any(mark in answer for mark in "/-～~"), (q.stem, answer)


def test_estimated_minutes_follow_the_text(tree):
    for item in list(tree.courseware) + list(tree.lessons):
        count = len(item.quiz.questions) if item.quiz else 0
        assert item.estimated_minutes == estimate_minutes(item.body_md, count), item.slug
        assert item.min_read_seconds <= item.estimated_minutes * 60, item.slug


def test_current_police_oath_not_the_old_wording():
    lesson = (COURSES_DIR / "lessons" / "02-2026-02-jingcha-shici.md").read_text("utf-8")
    assert "我是中国人民警察，我宣誓：坚决拥护中国共产党的绝对领导" in lesson
    assert "入警誓词" not in (COURSES_DIR / "lessons" / "12-2026-12-yingmo.md").read_text("utf-8")


@pytest.mark.parametrize("line", [
    "依据《中国共产党支部工作条例(试行)》开展。",
    "会议要求:按时参加。",
    "你准备好了吗?",
    "**规范出访活动**;",
    "差额不少于应选人数的20%;",
])
def test_half_width_in_chinese_text_is_flagged(line):
    found = warnings(line, "x.md", "md")
    assert [(w.path, w.line) for w in found] == [("x.md", 1)]
    assert "warning: half-width" in found[0].message
    assert warnings(to_full_width(line, "md"), "x.md", "md") == []


@pytest.mark.parametrize("line", [
    "共有1,000名民警，3:00集合。",
    "见 `a,b:c` 代码。",
    "访问 https://example.org/a,b?x=1 查看。",
    "详见[条例](https://example.org/x(1)) 全文。",
    "English text, with (parens) and colons: fine?",
])
def test_numbers_code_urls_and_english_are_left_alone(line):
    assert warnings(line, "x.md", "md") == []
    assert to_full_width(line, "md") == line


def test_yaml_syntax_is_not_punctuation():
    text = ("---\nslug: a\ntags: [三会一课, 支部委员会]\noptions: {A: 支部, B: 党小组}\n"
            "stem: 条例(试行)规定?\n---\n正文。\n")
    assert [w.line for w in warnings(text, "a.md", "md")] == [5]
    fixed = to_full_width(text, "md")
    assert "tags: [三会一课, 支部委员会]" in fixed and "options: {A: 支部, B: 党小组}" in fixed
    assert "stem: 条例（试行）规定？" in fixed


def test_fenced_code_is_not_checked():
    text = "---\nslug: a\n---\n```text\n会议名称:支部委员会(扩大)\n```\n正文:一。\n"
    assert [w.line for w in warnings(text, "a.md", "md")] == [7]


def test_sync_warns_with_file_and_line_but_still_applies(runner, tmp_path):
    root = tmp_path / "courses"
    (root / "courseware" / "practice").mkdir(parents=True)
    (root / "lessons").mkdir()
    (root / "catalog.yml").write_text(
        "categories:\n  - key: practice\n    name: 党建实务培训\nclassroom_types: []\n"
        "classrooms: []\n", "utf-8")
    item = root / "courseware" / "practice" / "sanhui.md"
    item.write_text("---\nslug: sanhui\ntitle: 三会一课\ncategory: practice\nsummary: 简介。\n"
                    "estimated_minutes: 1\nmin_read_seconds: 30\nfeatured: false\n"
                    "status: published\n---\n正文:先学习(集中)。\n", "utf-8")
    result = runner.invoke(args=["lms", "sync-courses", str(root)])
    assert result.exit_code == 0, result.output
    assert f"{item}:11: warning: half-width" in result.output
    assert "courseware practice/sanhui" in result.output and "Synced:" in result.output
