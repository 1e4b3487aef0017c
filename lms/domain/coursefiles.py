"""Read a course folder (docs/CONTENT.md) into plain specs, or list every problem in it."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable
from zoneinfo import ZoneInfo

from . import _yamlmarks as ym
from ._yamlmarks import MarkedMap, Problem, Report

__all__ = [
    "Problem", "CategorySpec", "ClassroomTypeSpec", "ClassroomSpec", "QuestionSpec",
    "QuizSpec", "CoursewareSpec", "LessonSpec", "CourseTree",
    "load_course_tree", "dump_courseware", "dump_lesson",
]

STATUSES = ("draft", "in_review", "published", "retired")
KINDS = ("single", "multiple", "true_false", "fill_blank")
CHOICE_KINDS = ("single", "multiple")
DATE_FORMAT = "%Y-%m-%d %H:%M"
BLANK = "____"
SIDECAR_SUFFIX = ".quiz.yml"
_LESSON_NAME = re.compile(r"(\d+)-(.+)\.md")

_COMMON = {"slug", "title", "summary", "estimated_minutes", "min_read_seconds"}
COURSEWARE_FIELDS = (_COMMON | {"category", "featured", "status"}, {"lecturer", "quiz"})
# CONTENT.md gives lessons the courseware fields minus category/featured, so lecturer and
# status are accepted (and checked) although LessonSpec does not carry them.
LESSON_FIELDS = (_COMMON | {"issue_no", "publish_at", "due_at"},
                 {"audience", "quiz", "lecturer", "status"})
QUIZ_FIELDS = ({"questions"}, {"pass_score", "attempts_allowed", "shuffle", "partial_credit",
                               "time_limit_seconds"})
QUESTION_FIELDS = ({"id", "kind", "stem", "answer"}, {"options", "explanation", "tags"})


@dataclass(frozen=True)
class CategorySpec:
    """A courseware category; ``position`` (from 1) is its display order."""

    key: str
    name: str
    description: str
    position: int


@dataclass(frozen=True)
class ClassroomTypeSpec:
    """A classroom type (五大课堂); ``position`` (from 1) is its display order."""

    key: str
    name: str
    description: str
    position: int


@dataclass(frozen=True)
class ClassroomSpec:
    """A sample classroom of one type, optionally tied to a unit code."""

    slug: str
    type: str
    title: str
    description: str
    unit: str | None = None


@dataclass(frozen=True)
class QuestionSpec:
    """One quiz question; ``answer`` is str, sorted tuple, bool or tuple of texts by kind."""

    key: str
    kind: str
    stem: str
    options: tuple[tuple[str, str], ...]
    answer: Any
    explanation: str
    tags: tuple[str, ...]
    position: int


@dataclass(frozen=True)
class QuizSpec:
    """A quiz's settings and its questions in file order."""

    pass_score: int = 60
    attempts_allowed: int | None = None
    shuffle: bool = False
    partial_credit: bool = False
    time_limit_seconds: int | None = None
    questions: tuple[QuestionSpec, ...] = ()


@dataclass(frozen=True)
class CoursewareSpec:
    """One courseware file (plus its sidecar quiz), validated."""

    slug: str
    title: str
    category: str
    summary: str
    estimated_minutes: int
    min_read_seconds: int
    featured: bool
    lecturer: str | None
    status: str
    body_md: str
    quiz: QuizSpec | None
    source_path: str
    source_hash: str


@dataclass(frozen=True)
class LessonSpec:
    """One weekly micro-lesson file; times are naive UTC."""

    issue_no: int
    slug: str
    title: str
    summary: str
    estimated_minutes: int
    min_read_seconds: int
    publish_at: datetime
    due_at: datetime
    audience: tuple[str, ...]
    body_md: str
    quiz: QuizSpec
    source_path: str
    source_hash: str


@dataclass(frozen=True)
class CourseTree:
    """Everything in a course folder, all of it valid."""

    categories: tuple[CategorySpec, ...]
    classroom_types: tuple[ClassroomTypeSpec, ...]
    classrooms: tuple[ClassroomSpec, ...]
    courseware: tuple[CoursewareSpec, ...]
    lessons: tuple[LessonSpec, ...]


def load_course_tree(root: Path | str, tz: str = "Asia/Shanghai"
                     ) -> tuple[CourseTree | None, list[Problem]]:
    """Validate the whole folder: (tree, []) if all is well, else (None, every problem)."""
    root, zone, problems = Path(root), ZoneInfo(tz), []
    if not root.is_dir():
        return None, [Problem(str(root), 1, "course folder not found")]
    known, categories, types, classrooms = _load_catalog(root, problems)
    courseware = _load_folder(root, "courseware", 3, problems,
                              lambda item: _courseware(item, known), ("slug",))
    lessons = _load_folder(root, "lessons", 2, problems,
                           lambda item: _lesson(item, zone), ("issue_no", "slug"))
    if problems:
        return None, sorted(problems, key=lambda p: (p.path, p.line))
    return CourseTree(tuple(categories), tuple(types), tuple(classrooms),
                      tuple(sorted(courseware, key=lambda c: c.slug)),
                      tuple(sorted(lessons, key=lambda s: s.issue_no))), []


def dump_courseware(spec: CoursewareSpec) -> str:
    """The file text for a courseware item (quiz in the front matter)."""
    front = {"slug": spec.slug, "title": spec.title, "category": spec.category,
             "summary": spec.summary, "estimated_minutes": spec.estimated_minutes,
             "min_read_seconds": spec.min_read_seconds, "featured": spec.featured}
    if spec.lecturer is not None:
        front["lecturer"] = spec.lecturer
    front["status"] = spec.status
    if spec.quiz is not None:
        front["quiz"] = _quiz_data(spec.quiz)
    return _document(front, spec.body_md)


def dump_lesson(spec: LessonSpec, tz: str = "Asia/Shanghai") -> str:
    """The file text for a micro-lesson, times written as local ``YYYY-MM-DD HH:MM``."""
    zone = ZoneInfo(tz)

    def local(moment: datetime) -> str:
        return moment.replace(tzinfo=timezone.utc).astimezone(zone).strftime(DATE_FORMAT)

    front = {"issue_no": spec.issue_no, "slug": spec.slug, "title": spec.title,
             "summary": spec.summary, "estimated_minutes": spec.estimated_minutes,
             "min_read_seconds": spec.min_read_seconds,
             "publish_at": local(spec.publish_at), "due_at": local(spec.due_at)}
    if spec.audience:
        front["audience"] = list(spec.audience)
    front["quiz"] = _quiz_data(spec.quiz)
    return _document(front, spec.body_md)


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


def _normal_body(body: str) -> str:
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
    return _Item(rel.as_posix(), rep, front, _normal_body(body), last_line, side,
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
    issue_no = ym.integer(front, "issue_no", rep, 1)
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
    if not isinstance(value, datetime):
        rep.add(m.line_of(name), f"{name} must be a local time 'YYYY-MM-DD HH:MM', "
                f"not {m[name]!r}")
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(timezone.utc).replace(tzinfo=None)


# --- catalog ------------------------------------------------------------------------------

def _load_catalog(root: Path, problems: list) -> tuple[set[str] | None, list, list, list]:
    """(category keys, categories, classroom types, classrooms); keys None if unreadable."""
    path = root / "catalog.yml"
    rep = Report(str(path), problems)
    if not path.is_file():
        rep.add(1, "catalog.yml is missing")
        return None, [], [], []
    read = ym.read_text(path, rep)
    ok, data = ym.parse_yaml(read[0], 1, rep) if read else (False, None)
    catalog = ym.as_mapping(data, 1, rep, "catalog.yml") if ok else None
    if catalog is None:
        return None, [], [], []
    ym.check_fields(catalog, {"categories", "classroom_types"}, {"classrooms"}, rep, "catalog")
    categories, category_keys = _entries(catalog, "categories", "key", rep, _category)
    types, type_keys = _entries(catalog, "classroom_types", "key", rep, _classroom_type)
    rooms, _ = _entries(catalog, "classrooms", "slug", rep,
                        lambda m, n, r: _classroom(m, r, type_keys))
    return category_keys, categories, types, rooms


def _entries(catalog: MarkedMap, name: str, ident: str, rep: Report,
             parse: Callable[[MarkedMap, int, Report], Any]) -> tuple[list, set[str]]:
    """(valid specs, every ``ident`` named) of list ``name``; repeated idents reported."""
    items = catalog.get(name, [])
    if not isinstance(items, list):
        rep.add(catalog.line_of(name), f"{name} must be a list")
        return [], set()
    specs, seen = [], {}
    for index, item in enumerate(items):
        entry = ym.as_mapping(item, items.line_of(index), rep, f"{name} item {index + 1}")
        if entry is None:
            continue
        value = entry.get(ident)
        if isinstance(value, str) and value in seen:
            rep.add(entry.line_of(ident), f"duplicate {ident} '{value}' in {name} "
                    f"(first at line {seen[value]})")
        elif isinstance(value, str):
            seen[value] = entry.line_of(ident)
        before = rep.count
        spec = parse(entry, index + 1, rep)
        if rep.count == before:
            specs.append(spec)
    return specs, set(seen)


def _category(m: MarkedMap, position: int, rep: Report) -> CategorySpec:
    """One entry of ``categories``."""
    ym.check_fields(m, {"key", "name"}, {"description"}, rep, "category")
    return CategorySpec(ym.key(m, "key", rep), ym.text(m, "name", rep, ym.TEXT_MAX),
                        ym.text(m, "description", rep, required=False) or "", position)


def _classroom_type(m: MarkedMap, position: int, rep: Report) -> ClassroomTypeSpec:
    """One entry of ``classroom_types``."""
    ym.check_fields(m, {"key", "name"}, {"description"}, rep, "classroom type")
    return ClassroomTypeSpec(ym.key(m, "key", rep), ym.text(m, "name", rep, ym.TEXT_MAX),
                             ym.text(m, "description", rep, required=False) or "", position)


def _classroom(m: MarkedMap, rep: Report, types: set[str]) -> ClassroomSpec:
    """One entry of ``classrooms``; its type must be a listed classroom type."""
    ym.check_fields(m, {"slug", "type", "title"}, {"description", "unit"}, rep, "classroom")
    kind = ym.key(m, "type", rep)
    if kind is not None and kind not in types:
        rep.add(m.line_of("type"), f"unknown classroom type '{kind}'")
    return ClassroomSpec(ym.key(m, "slug", rep), kind, ym.text(m, "title", rep, ym.TEXT_MAX),
                         ym.text(m, "description", rep, required=False) or "",
                         ym.text(m, "unit", rep, required=False))


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
        return (False, None) if quiz_map is None else _quiz(quiz_map, side_rep)
    if inline is None:
        return True, None  # courseware may go without; `quiz: null` means the same
    quiz_map = ym.as_mapping(inline, front.line_of("quiz"), rep, "quiz")
    return (False, None) if quiz_map is None else _quiz(quiz_map, rep)


def _quiz(m: MarkedMap, rep: Report) -> tuple[bool, QuizSpec | None]:
    """(ok, QuizSpec) from a quiz mapping."""
    before = rep.count
    ym.check_fields(m, *QUIZ_FIELDS, rep, "quiz")
    quiz = QuizSpec(pass_score=ym.integer(m, "pass_score", rep, 0, 100, default=60),
                    attempts_allowed=ym.integer(m, "attempts_allowed", rep, 1, nullable=True),
                    shuffle=ym.boolean(m, "shuffle", rep, default=False),
                    partial_credit=ym.boolean(m, "partial_credit", rep, default=False),
                    time_limit_seconds=ym.integer(m, "time_limit_seconds", rep, 1,
                                                  nullable=True),
                    questions=_questions(m, rep))
    return (True, quiz) if rep.count == before else (False, None)


def _questions(m: MarkedMap, rep: Report) -> tuple[QuestionSpec, ...]:
    """The checked questions of a quiz; ids must not repeat."""
    items = m.get("questions")
    if "questions" in m and not (isinstance(items, list) and items):
        rep.add(m.line_of("questions"), "questions must be a non-empty list")
    if not isinstance(items, list):
        return ()
    specs, seen = [], {}
    for index, item in enumerate(items):
        q = ym.as_mapping(item, items.line_of(index), rep, f"question {index + 1}")
        if q is None:
            continue
        qid = q.get("id")
        if isinstance(qid, (str, int)) and qid in seen:
            rep.add(q.line_of("id"), f"duplicate question id '{qid}' (first at line "
                    f"{seen[qid]})")
        elif isinstance(qid, (str, int)):
            seen[qid] = q.line_of("id")
        spec = _question(q, index + 1, rep)
        if spec is not None:
            specs.append(spec)
    return tuple(specs)


def _question(q: MarkedMap, position: int, rep: Report) -> QuestionSpec | None:
    """One checked question, or None after reporting what is wrong."""
    before = rep.count
    label = f"question {q.get('id', position)}"
    ym.check_fields(q, *QUESTION_FIELDS, rep, label)
    qid, kind = ym.key(q, "id", rep), ym.choice(q, "kind", KINDS, rep)
    stem = ym.text(q, "stem", rep)
    options = _kind_options(q, kind, label, rep)
    if kind == "fill_blank" and stem is not None and BLANK not in stem:
        rep.add(q.line_of("stem"), f"a fill_blank stem must mark the blank with {BLANK}")
    answer = None
    if kind is not None and "answer" in q and options is not None:
        answer = _ANSWER_READERS[kind](q, tuple(k for k, _ in options), rep)
    tags = ym.text_list(q, "tags", rep) if q.get("tags") else ()
    explanation = ym.text(q, "explanation", rep, required=False) or ""
    if rep.count != before:
        return None
    return QuestionSpec(qid, kind, stem, options, answer, explanation, tags, position)


def _kind_options(q: MarkedMap, kind: str | None, label: str, rep: Report
                  ) -> tuple[tuple[str, str], ...] | None:
    """Options where the kind needs them, () where it takes none; None if broken."""
    if kind not in CHOICE_KINDS:
        if kind is not None and "options" in q:
            rep.add(q.line_of("options"), f"a {kind} question takes no options")
        return ()
    if "options" not in q:
        rep.add(q.line, f"{label}: missing field 'options'")
        return None
    return _options(q, rep)


def _options(q: MarkedMap, rep: Report) -> tuple[tuple[str, str], ...] | None:
    """Options keyed A, B, C, ... in that order, each with text."""
    value, line = q["options"], q.line_of("options")
    if not isinstance(value, MarkedMap) or len(value) < 2:
        rep.add(line, "options must map at least two keys to texts, e.g. {A: ..., B: ...}")
        return None
    expected = [chr(ord("A") + i) for i in range(len(value))]
    if list(value) != expected:
        rep.add(line, f"option keys must be {', '.join(expected)} in this order, not "
                f"{', '.join(str(k) for k in value)}")
        return None
    texts = [ym.text_value(value[k], value.raw.get(k), value.line_of(k), rep, f"option {k}")
             for k in expected]
    return None if None in texts else tuple(zip(expected, texts))


def _single_answer(q: MarkedMap, keys: tuple[str, ...], rep: Report) -> str | None:
    """One option key."""
    answer = q["answer"]
    if not (isinstance(answer, str) and answer in keys):
        rep.add(q.line_of("answer"), f"answer {answer!r} is not one of the options "
                f"{', '.join(keys)}")
        return None
    return answer


def _multiple_answer(q: MarkedMap, keys: tuple[str, ...], rep: Report
                     ) -> tuple[str, ...] | None:
    """Two or more distinct option keys, sorted."""
    answer, line = q["answer"], q.line_of("answer")
    if not isinstance(answer, list):
        rep.add(line, f"a multiple answer must be a list of option keys like [A, C], "
                f"not {answer!r}")
        return None
    strays = [a for a in answer if not (isinstance(a, str) and a in keys)]
    if strays:
        rep.add(line, f"answer {', '.join(map(repr, strays))} not among the options "
                f"{', '.join(keys)}")
    elif len(set(answer)) != len(answer):
        rep.add(line, "answer lists the same key twice")
    elif len(answer) < 2:
        rep.add(line, "a multiple question needs two or more correct keys "
                "(use kind: single for one)")
    return tuple(sorted(set(answer))) if not strays else None


def _true_false_answer(q: MarkedMap, keys: tuple[str, ...], rep: Report) -> bool | None:
    """true or false."""
    answer = q["answer"]
    if not isinstance(answer, bool):
        rep.add(q.line_of("answer"), f"a true_false answer must be true or false, "
                f"not {answer!r}")
        return None
    return answer


def _fill_blank_answer(q: MarkedMap, keys: tuple[str, ...], rep: Report
                       ) -> tuple[str, ...] | None:
    """One accepted text or a list of them."""
    return ym.text_list(q, "answer", rep)


# Question kinds as a small registry, like grading.KINDS: one answer reader per kind.
_ANSWER_READERS: dict[str, Callable[[MarkedMap, tuple[str, ...], Report], Any]] = {
    "single": _single_answer,
    "multiple": _multiple_answer,
    "true_false": _true_false_answer,
    "fill_blank": _fill_blank_answer,
}


# --- writing ------------------------------------------------------------------------------

def _document(front: dict, body_md: str) -> str:
    """Front matter between ``---`` lines, a blank line, then the body."""
    return f"---\n{ym.dump_yaml(front)}---\n\n{_normal_body(body_md)}\n"


def _quiz_data(quiz: QuizSpec) -> dict:
    """A quiz as the plain mapping the file format uses."""
    return {"pass_score": quiz.pass_score, "attempts_allowed": quiz.attempts_allowed,
            "shuffle": quiz.shuffle, "partial_credit": quiz.partial_credit,
            "time_limit_seconds": quiz.time_limit_seconds,
            "questions": [_question_data(q) for q in quiz.questions]}


def _question_data(q: QuestionSpec) -> dict:
    """A question as the plain mapping the file format uses."""
    data = {"id": q.key, "kind": q.kind, "stem": q.stem}
    if q.options:
        data["options"] = dict(q.options)
    data["answer"] = list(q.answer) if isinstance(q.answer, tuple) else q.answer
    if q.explanation:
        data["explanation"] = q.explanation
    if q.tags:
        data["tags"] = list(q.tags)
    return data
