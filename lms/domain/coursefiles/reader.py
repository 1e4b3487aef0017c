"""Read a course folder (docs/CONTENT.md) into plain specs, or list every problem in it.

This module walks the folder and reads courseware and lesson files; `catalogfile` reads
catalog.yml, `quizfile` the quizzes, the specs themselves live in `specs`, and `writer`
turns specs back into files that read back the same.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from . import markup
from . import yamlmarks as ym
from .bankfile import load_banks
from .catalogfile import load_catalog
from .quizfile import read_quiz
from .specs import CourseTree, CoursewareSpec, LessonSpec, QuizSpec
from .yamlmarks import MarkedMap, Problem, Report

__all__ = ["Problem", "load_course_tree"]

STATUSES = ("draft", "in_review", "published", "retired")
DATE_FORMAT = "%Y-%m-%d %H:%M"
SIDECAR_SUFFIX = ".quiz.yml"
_LESSON_NAME = re.compile(r"(\d+)-(.+)\.md")

_COMMON = {"slug", "title", "summary", "estimated_minutes", "min_read_seconds"}
COURSEWARE_FIELDS = (_COMMON | {"category", "featured", "status"}, {"lecturer", "quiz"})
# CONTENT.md gives lessons the courseware fields minus category/featured, so lecturer and
# status are accepted (and checked) although LessonSpec does not carry them.
LESSON_FIELDS = (_COMMON | {"issue_no", "publish_at", "due_at"},
                 {"audience", "quiz", "lecturer", "status"})


def load_course_tree(root: Path | str, tz: str = "Asia/Shanghai"
                     ) -> tuple[CourseTree | None, list[Problem]]:
    """Validate the whole folder: (tree, []) if all is well, else (None, every problem)."""
    root, zone, problems = Path(root), ZoneInfo(tz), []
    if not root.is_dir():
        return None, [Problem(str(root), 1, "course folder not found")]
    known, categories, types, classrooms = load_catalog(root, problems)
    courseware = _load_folder(root, "courseware", 3, problems,
                              lambda item: _courseware(item, known), ("slug",))
    lessons = _load_folder(root, "lessons", 2, problems,
                           lambda item: _lesson(item, zone), ("issue_no", "slug"))
    banks = load_banks(root, problems)
    if problems:
        return None, sorted(problems, key=lambda p: (p.path, p.line))
    return CourseTree(tuple(categories), tuple(types), tuple(classrooms),
                      tuple(sorted(courseware, key=lambda c: c.slug)),
                      tuple(sorted(lessons, key=lambda s: s.issue_no)),
                      tuple(sorted(banks, key=lambda b: b.key))), []


# --- files --------------------------------------------------------------------------------

@dataclass
class _Item:
    """One .md file split into front matter and body, with its sidecar if any."""

    rel: str
    report: Report
    front: MarkedMap
    body: str
    last_line: int
    sidecar: tuple[Report, tuple[bool, Any]] | None  # its report and (parsed ok, value)
    digest: str


def normal_body(body: str) -> str:
    """Body without surrounding blank lines, so load(dump(x)) gives x back."""
    return re.sub(r"\A(?:[ \t]*\n)+", "", body.rstrip())


def _read_item(root: Path, rel: Path, sidecar: Path | None, problems: list) -> _Item | None:
    """Read one .md (and its sidecar); None if its front matter cannot be had."""
    rep = Report(str(root / rel), problems)
    read = ym.read_text(root / rel, rep)
    digest = hashlib.sha256(read[1] if read else b"")
    side = _read_sidecar(root, sidecar, problems, digest) if sidecar is not None else None
    front, body = _front_matter(read[0], rep) if read else (None, "")
    if front is None:
        return None
    last_line = read[0].rstrip("\n").count("\n") + 1
    return _Item(rel.as_posix(), rep, front, normal_body(body), last_line, side,
                 digest.hexdigest())


def _front_matter(text: str, rep: Report) -> tuple[MarkedMap | None, str]:
    """(front matter mapping or None after reporting why, body text)."""
    parts = ym.split_front_matter(text, rep)
    if parts is None:
        return None, ""
    ok, front = ym.parse_yaml(parts[0], 2, rep)
    if ok and front is None:
        rep.add(1, "front matter is empty")
        return None, ""
    return (ym.as_mapping(front, 2, rep, "front matter") if ok else None), parts[1]


def _read_sidecar(root: Path, rel: Path, problems: list, digest: Any
                  ) -> tuple[Report, tuple[bool, Any]]:
    """The sidecar's report and (parsed ok, YAML value); its bytes go into ``digest``."""
    rep = Report(str(root / rel), problems)
    read = ym.read_text(root / rel, rep)
    if read is None:
        return rep, (False, None)
    digest.update(read[1])
    return rep, ym.parse_yaml(read[0], 1, rep)


def _discover(root: Path, folder: str, depth: int, problems: list
              ) -> list[tuple[Path, Path | None]]:
    """(.md, sidecar or None) pairs under ``folder``, relative to root; misfits reported."""
    base = root / folder
    if not base.is_dir():
        return []
    # Hidden files are editor and VCS litter, never content.
    files = sorted(rel for rel in (p.relative_to(root) for p in base.rglob("*") if p.is_file())
                   if not any(part.startswith(".") for part in rel.parts))
    sidecars = {p for p in files if p.name.endswith(SIDECAR_SUFFIX)}
    pairs = []
    for md in (p for p in files if p.suffix == ".md"):
        sidecar = md.with_name(md.stem + SIDECAR_SUFFIX)
        found = sidecar if sidecar in sidecars else None
        sidecars.discard(sidecar)
        if len(md.parts) != depth:
            shape = "courseware/<category>/<slug>.md" if depth == 3 else "lessons/<NN>-<slug>.md"
            problems.append(Problem(str(root / md), 1, f"misplaced file: expected {shape}"))
        else:
            pairs.append((md, found))
    for orphan in sorted(sidecars):
        stem = orphan.name[:-len(SIDECAR_SUFFIX)]
        problems.append(Problem(str(root / orphan), 1, f"quiz file without its {stem}.md"))
    return pairs


def _load_folder(root: Path, folder: str, depth: int, problems: list,
                 build: Callable[[_Item], Any], unique: tuple[str, ...]) -> list:
    """Build every item of a folder, reporting values of ``unique`` fields seen twice."""
    specs, seen = [], {name: {} for name in unique}
    for md, sidecar in _discover(root, folder, depth, problems):
        item = _read_item(root, md, sidecar, problems)
        if item is None:
            continue
        for name in unique:
            value = item.front.get(name)
            if isinstance(value, (str, int)) and value in seen[name]:
                item.report.add(item.front.line_of(name),
                                f"duplicate {name} {value!r} (also in {seen[name][value]})")
            elif isinstance(value, (str, int)):
                seen[name][value] = item.rel
        spec = build(item)
        if spec is not None:
            specs.append(spec)
    return specs


# --- courseware and lessons ---------------------------------------------------------------

def _common(item: _Item, fields: tuple[set[str], set[str]]) -> dict[str, Any]:
    """Fields shared by courseware and lessons, checked."""
    front, rep = item.front, item.report
    ym.check_fields(front, *fields, rep, "front matter")
    if not item.body:
        rep.add(item.last_line, "missing body: write the Markdown text after the front matter")
    elif markup.nesting_depth(item.body) > markup.NESTING_MAX:
        rep.add(item.last_line, f"body nests lists or quotes more than {markup.NESTING_MAX} "
                                "levels deep")
    return {"slug": ym.key(front, "slug", rep),
            "title": ym.text(front, "title", rep, ym.TEXT_MAX),
            "summary": ym.text(front, "summary", rep),
            "estimated_minutes": ym.integer(front, "estimated_minutes", rep, 1, 120),
            "min_read_seconds": ym.integer(front, "min_read_seconds", rep, 0, 3600),
            "body_md": item.body, "source_path": item.rel, "source_hash": item.digest}


def _courseware(item: _Item, categories: set[str] | None) -> CoursewareSpec | None:
    """A CoursewareSpec, or None after reporting what is wrong."""
    front, rep, before = item.front, item.report, item.report.count
    fields = _common(item, COURSEWARE_FIELDS)
    folder, stem = Path(item.rel).parts[1], Path(item.rel).stem
    category = ym.key(front, "category", rep)
    if category is not None and categories is not None and category not in categories:
        rep.add(front.line_of("category"), f"unknown category '{category}' (catalog.yml has: "
                f"{', '.join(sorted(categories)) or 'none'})")
    elif category is not None and category != folder:
        rep.add(front.line_of("category"), f"category '{category}' but the file is in "
                f"courseware/{folder}/")
    if fields["slug"] is not None and fields["slug"] != stem:
        rep.add(front.line_of("slug"), f"slug '{fields['slug']}' does not match the file name "
                f"'{stem}.md'")
    ok, quiz = _item_quiz(item)
    spec = dict(fields, category=category, featured=ym.boolean(front, "featured", rep),
                lecturer=ym.text(front, "lecturer", rep, ym.TEXT_MAX, required=False),
                status=ym.choice(front, "status", STATUSES, rep), quiz=quiz)
    return CoursewareSpec(**spec) if ok and rep.count == before else None


def _lesson(item: _Item, zone: ZoneInfo) -> LessonSpec | None:
    """A LessonSpec, or None after reporting what is wrong."""
    front, rep, before = item.front, item.report, item.report.count
    fields = _common(item, LESSON_FIELDS)
    issue_no = ym.integer(front, "issue_no", rep, 1, 99999)  # a 32-bit column
    _check_lesson_name(item, issue_no, fields["slug"])
    ym.text(front, "lecturer", rep, ym.TEXT_MAX, required=False)
    ym.choice(front, "status", STATUSES, rep)
    publish_at = _local_time(front, "publish_at", rep, zone)
    due_at = _local_time(front, "due_at", rep, zone)
    if publish_at is not None and due_at is not None and due_at <= publish_at:
        rep.add(front.line_of("due_at"), "due_at must be later than publish_at")
    audience = ym.text_list(front, "audience", rep) if "audience" in front else ()
    ok, quiz = _item_quiz(item)
    if ok and quiz is None:
        rep.add(front.line, "a micro-lesson must have a quiz")
    spec = dict(fields, issue_no=issue_no, publish_at=publish_at, due_at=due_at,
                audience=audience, quiz=quiz)
    return LessonSpec(**spec) if quiz is not None and rep.count == before else None


def _check_lesson_name(item: _Item, issue_no: int | None, slug: str | None) -> None:
    """The file name must read ``<NN>-<slug>.md`` with this file's issue_no and slug."""
    front, rep = item.front, item.report
    match = _LESSON_NAME.fullmatch(Path(item.rel).name)
    if match is None:
        rep.add(1, "file name must be <NN>-<slug>.md, e.g. 01-some-slug.md")
        return
    if issue_no is not None and int(match[1]) != issue_no:
        rep.add(front.line_of("issue_no"), f"issue_no {issue_no} does not match the file "
                f"name's number {match[1]}")
    if slug is not None and match[2] != slug:
        rep.add(front.line_of("slug"), f"slug '{slug}' does not match the file name's "
                f"'{match[2]}'")


def _local_time(m: MarkedMap, name: str, rep: Report, zone: ZoneInfo) -> datetime | None:
    """A ``YYYY-MM-DD HH:MM`` local time as naive UTC."""
    if name not in m:
        return None
    value = m[name]
    if isinstance(value, str):
        try:
            value = datetime.strptime(value.strip(), DATE_FORMAT)
        except ValueError:
            pass
    # An explicit `!!timestamp` still arrives as a datetime; a bare date has no time of day.
    # Years near 1 or 9999 overflow datetime on the way to UTC or in later arithmetic.
    if not isinstance(value, datetime) or not 1900 <= value.year <= 2999:
        rep.add(m.line_of(name), f"{name} must be a local time 'YYYY-MM-DD HH:MM' "
                f"from 1900 to 2999, not {m[name]!r}")
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(UTC).replace(tzinfo=None)


# --- quizzes ------------------------------------------------------------------------------

def _item_quiz(item: _Item) -> tuple[bool, QuizSpec | None]:
    """(ok, quiz) from the front matter's ``quiz:`` or the sidecar, never both."""
    front, rep = item.front, item.report
    inline = front.get("quiz")
    if item.sidecar is not None:
        side_rep, (parsed, data) = item.sidecar
        if "quiz" in front:
            rep.add(front.line_of("quiz"), f"quiz given twice: here and in "
                    f"{Path(side_rep.path).name}; keep one")
            return False, None
        quiz_map = ym.as_mapping(data, 1, side_rep, "quiz file") if parsed else None
        return (False, None) if quiz_map is None else read_quiz(quiz_map, side_rep)
    if inline is None:
        return True, None  # courseware may go without; `quiz: null` means the same
    quiz_map = ym.as_mapping(inline, front.line_of("quiz"), rep, "quiz")
    return (False, None) if quiz_map is None else read_quiz(quiz_map, rep)
