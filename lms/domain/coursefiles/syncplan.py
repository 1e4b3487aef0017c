"""Syncing a course folder into the database (docs/CONTENT.md, "How sync works"); no Flask.

Two steps, like the CSV imports: `plan_sync` compares a validated `CourseTree` with the
database and lists what would change, plus the problems only the database can reveal
(unknown unit codes, an issue number held by another lesson), without changing anything;
`apply_sync` carries out a problem-free plan and leaves the one commit to the caller.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import (
    Category,
    Classroom,
    ClassroomType,
    Courseware,
    MicroLesson,
    Question,
    QuestionBank,
    Unit,
)
from ..problems import Problem
from ..quiz import keylock, regrade, regrade_bank
from . import dbspecs, syncapply
from . import yamlmarks as ym
from .specs import BankSpec, CourseTree, CoursewareSpec, LessonSpec

__all__ = ["SyncPlan", "plan_sync", "apply_sync"]

CATALOG_FILE = "catalog.yml"


@dataclass
class SyncPlan:
    """What a sync would do, as labels for people and as keys for `apply_sync`."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # kind → keys (category/type key, slug) of the specs to create or update
    writes: dict[str, set[str]] = field(
        default_factory=lambda: {kind: set() for kind in syncapply.KINDS})
    retire_courseware: list[int] = field(default_factory=list)
    retire_lessons: list[int] = field(default_factory=list)
    retire_banks: list[int] = field(default_factory=list)
    unit_ids: dict[str, int] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        """True when the database already matches the folder."""
        return not (self.added or self.changed or self.retired)


def plan_sync(db: Session, tree: CourseTree, root: Path | str | None = None) -> SyncPlan:
    """Compare ``tree`` with the database; ``root`` locates files for problem lines."""
    plan = SyncPlan()
    plan.unit_ids = _resolve_units(db, tree, root, plan.problems)
    _check_issue_numbers(db, tree, root, plan.problems)
    _check_banks(db, tree, root, plan.problems)
    if plan.problems:
        plan.problems.sort()
        return plan
    for kind, specs, rows, differs in _comparisons(db, tree, plan.unit_ids):
        for spec in specs:
            key = _key(spec)
            row = rows.get(key)
            if row is None or differs(row, spec):
                (plan.added if row is None else plan.changed).append(_label(kind, spec))
                plan.writes[kind].add(key)
    _plan_retirements(db, tree, plan)
    _check_answered_keys(db, tree, root, plan)
    plan.problems.sort()
    return plan


def apply_sync(db: Session, plan: SyncPlan, tree: CourseTree) -> None:
    """Carry out ``plan`` in the session's transaction; the caller commits once."""
    if plan.problems:
        raise ValueError("a sync plan with problems cannot be applied")
    syncapply.apply(db, tree, plan.writes, plan.unit_ids,
                    plan.retire_courseware, plan.retire_lessons, plan.retire_banks)


# --- comparing ----------------------------------------------------------------------------

def _comparisons(db: Session, tree: CourseTree, unit_ids: dict[str, int]
                 ) -> list[tuple[str, tuple, dict[str, Any], Callable[[Any, Any], bool]]]:
    """(kind, specs, stored rows by key, "does this row differ from its spec?") per kind."""

    def classroom_differs(row: Classroom, spec) -> bool:
        unit_id = unit_ids[spec.unit] if spec.unit else None
        return ((row.type.key, row.unit_id, row.title, row.description)
                != (spec.type, unit_id, spec.title, spec.description))

    return [
        ("category", tree.categories, _rows(db, Category, "key"), _catalog_differs),
        ("classroom type", tree.classroom_types, _rows(db, ClassroomType, "key"),
         _catalog_differs),
        ("classroom", tree.classrooms, _rows(db, Classroom, "slug"), classroom_differs),
        ("bank", tree.banks, _rows(db, QuestionBank, "key"),
         lambda row, spec: not dbspecs.same_content(dbspecs.bank_spec(db, row), spec)),
        ("courseware", tree.courseware, _rows(db, Courseware, "slug"), _courseware_differs),
        ("lesson", tree.lessons, _rows(db, MicroLesson, "slug"),
         lambda row, spec: _lesson_differs(db, row, spec)),
    ]


def _rows(db: Session, model, key: str) -> dict[str, Any]:
    """Every stored row of ``model`` by its identifying column."""
    return {getattr(row, key): row for row in db.scalars(select(model))}


def _catalog_differs(row: Category | ClassroomType, spec) -> bool:
    return (row.name, row.description, row.position) != (spec.name, spec.description,
                                                         spec.position)


def _courseware_differs(row: Courseware, spec: CoursewareSpec) -> bool:
    # The hash covers the file and its sidecar; status also differs when the item was
    # retired (by a sync or in the browser) and its file is back. A file that differs in
    # bytes only (an exported copy, a comment) but holds what the row holds changes nothing.
    if (row.source_hash, row.source_path, row.status) == (spec.source_hash, spec.source_path,
                                                          spec.status):
        return False
    return not dbspecs.same_content(dbspecs.courseware_spec(row), spec)


def _lesson_differs(db: Session, row: MicroLesson, spec: LessonSpec) -> bool:
    if (row.source_hash, row.source_path, row.status) == (spec.source_hash, spec.source_path,
                                                          "published"):
        return False
    return row.status != "published" or not dbspecs.same_content(
        dbspecs.lesson_spec(db, row), spec)


def _key(spec) -> str:
    return getattr(spec, "slug", None) or spec.key


def _label(kind: str, spec) -> str:
    """``courseware practice/sanhui-yike-guifan``, ``lesson 03-2026-03-sanhui-yike``, ..."""
    if isinstance(spec, CoursewareSpec):
        return f"courseware {spec.category}/{spec.slug}"
    if isinstance(spec, LessonSpec):
        return f"lesson {Path(spec.source_path).stem}"
    if isinstance(spec, BankSpec):
        return f"bank {spec.key}"
    return f"{kind} {_key(spec)}"


def _plan_retirements(db: Session, tree: CourseTree, plan: SyncPlan) -> None:
    """Items that came from files no longer there; items made in the browser are left be."""
    for row in _gone(db, Courseware, {spec.slug for spec in tree.courseware}):
        plan.retire_courseware.append(row.id)
        plan.retired.append(f"courseware {row.category.key}/{row.slug}")
    for row in _gone(db, MicroLesson, {spec.slug for spec in tree.lessons}):
        plan.retire_lessons.append(row.id)
        plan.retired.append(f"lesson {Path(row.source_path).stem}")
    # A bank whose file is gone keeps its rows; its questions are retired (drawn no more).
    live = select(Question.id).where(Question.bank_id == QuestionBank.id,
                                     Question.retired.is_(False)).exists()
    in_folder = {spec.key for spec in tree.banks}
    for row in db.scalars(select(QuestionBank).where(QuestionBank.source_path.is_not(None),
                                                     live).order_by(QuestionBank.key)):
        if row.key not in in_folder:
            plan.retire_banks.append(row.id)
            plan.retired.append(f"bank {row.key}")


def _gone(db: Session, model, slugs: set[str]) -> list:
    """Live rows of ``model`` synced from a file whose slug the folder no longer has."""
    return [row for row in db.scalars(select(model).where(model.source_path.is_not(None),
                                                          model.status != "retired"))
            if row.slug not in slugs]


# --- problems only the database reveals ---------------------------------------------------

def _resolve_units(db: Session, tree: CourseTree, root: Path | str | None,
                   problems: list[Problem]) -> dict[str, int]:
    """Unit ids by code for every code the folder names; unknown codes become problems."""
    wanted = {c.unit for c in tree.classrooms if c.unit}
    wanted |= {code for lesson in tree.lessons for code in lesson.audience}
    found = dict(db.execute(select(Unit.code, Unit.id).where(Unit.code.in_(wanted))).all()
                 ) if wanted else {}
    for classroom in tree.classrooms:
        if classroom.unit and classroom.unit not in found:
            line = _classroom_line(root, classroom.slug, "unit")
            problems.append(Problem(_path(root, CATALOG_FILE), line,
                                    f"unknown unit code '{classroom.unit}'"))
    for lesson in tree.lessons:
        for index, code in enumerate(lesson.audience):
            if code not in found:
                line = _front_line(root, lesson.source_path, "audience", index)
                problems.append(Problem(_path(root, lesson.source_path), line,
                                        f"unknown unit code '{code}'"))
    return found


def _check_issue_numbers(db: Session, tree: CourseTree, root: Path | str | None,
                         problems: list[Problem]) -> None:
    """An issue number stays with its lesson, even retired, unless that lesson moves on."""
    in_folder = {spec.slug for spec in tree.lessons}
    held = dict(db.execute(select(MicroLesson.issue_no, MicroLesson.slug)).all())
    for spec in tree.lessons:
        holder = held.get(spec.issue_no)
        # A holder still in the folder has a new number of its own (numbers are unique there).
        if holder is not None and holder not in in_folder:
            line = _front_line(root, spec.source_path, "issue_no")
            problems.append(Problem(_path(root, spec.source_path), line,
                                    f"issue_no {spec.issue_no} already belongs to lesson "
                                    f"'{holder}' in the database"))


def _check_banks(db: Session, tree: CourseTree, root: Path | str | None,
                 problems: list[Problem]) -> None:
    """A draw rule must name a bank of the folder or of the database."""
    known = {spec.key for spec in tree.banks}
    known |= set(db.scalars(select(QuestionBank.key)))
    for spec in (*tree.courseware, *tree.lessons):
        for rule in spec.quiz.draw if spec.quiz is not None else ():
            if rule.bank is not None and rule.bank not in known:
                line = _front_line(root, spec.source_path, "quiz")
                problems.append(Problem(_path(root, spec.source_path), line,
                                        f"draw rule names unknown bank '{rule.bank}'"))


def _check_answered_keys(db: Session, tree: CourseTree, root: Path | str | None,
                         plan: SyncPlan) -> None:
    """A key officers have answered changes only through a regrade (docs/REGRADING.md),
    never by overwriting it from a file: the file waits until the studio has regraded."""
    for kind, model, specs in (("courseware", Courseware, tree.courseware),
                               ("lesson", MicroLesson, tree.lessons)):
        written = [spec for spec in specs if spec.slug in plan.writes[kind] and spec.quiz]
        quiz_ids = dict(db.execute(select(model.slug, model.quiz_id).where(
            model.slug.in_([spec.slug for spec in written]))).all()) if written else {}
        for spec in written:
            quiz_id = quiz_ids.get(spec.slug)
            if quiz_id is None or not regrade.has_answers(db, quiz_id):
                continue
            changed = regrade.changed_keys(db, quiz_id, {q.key: q.answer
                                                         for q in spec.quiz.questions})
            if changed:
                names = ", ".join(regrade.question_keys(db, changed))
                plan.problems.append(Problem(
                    _path(root, spec.source_path), _front_line(root, spec.source_path, "quiz"),
                    f"the answer of question {names} changed and officers have answered it: "
                    "correct the key from the studio's answer statistics first, which "
                    "regrades their attempts, then sync again"))
    _check_answered_bank_keys(db, tree, root, plan)


def _check_answered_bank_keys(db: Session, tree: CourseTree, root: Path | str | None,
                              plan: SyncPlan) -> None:
    """The same for a bank file: a question's key that attempts of any quiz drew stays as
    it is until the studio regrades it (the bank's answer statistics)."""
    written = [(spec, db.scalar(select(QuestionBank.id).where(QuestionBank.key == spec.key)))
               for spec in tree.banks if spec.key in plan.writes["bank"]]
    written = [(spec, bank_id) for spec, bank_id in written if bank_id is not None]
    # No submission grades on these keys meanwhile; the locks in id order, as a drawn
    # quiz's submission takes them (`keylock.grading_banks`), so the two cannot deadlock.
    for bank_id in sorted(bank_id for _, bank_id in written):
        keylock.changing_bank(db, bank_id)
    for spec, bank_id in written:
        stored = {q.key: q for q in db.scalars(select(Question).where(
            Question.bank_id == bank_id))}
        rekeyed = {}
        for index, question in enumerate(spec.questions):
            row = stored.get(question.key)
            new = list(question.answer) if isinstance(question.answer, tuple) else question.answer
            if row is not None and not regrade.same_key(row.kind, row.answer, new):
                rekeyed[row.id] = (index, question.key)
        for qid in sorted(regrade_bank.answered(db, rekeyed)):
            index, key = rekeyed[qid]
            plan.problems.append(Problem(
                _path(root, spec.source_path), _bank_question_line(root, spec.source_path, index),
                f"the answer of question {key} changed and officers have answered it: correct "
                "the key from the bank's answer statistics in the studio first, which regrades "
                "their attempts, then sync again"))


# --- where a problem is -------------------------------------------------------------------

def _path(root: Path | str | None, rel: str) -> str:
    """The path problems name, as the file loader names them."""
    return str(Path(root) / rel) if root is not None else rel


def _front_line(root: Path | str | None, rel: str, name: str, index: int | None = None) -> int:
    """Line of front-matter field ``name`` (of its item ``index`` if a list) in a .md file."""
    front = _marked(root, rel, front_matter=True)
    if not isinstance(front, ym.MarkedMap):
        return 1
    value = front.get(name)
    if index is not None and isinstance(value, ym.MarkedList):
        return value.line_of(index)
    return front.line_of(name)


def _bank_question_line(root: Path | str | None, rel: str, index: int) -> int:
    """Line of the ``index``-th question of a bank file."""
    bank = _marked(root, rel, front_matter=False)
    items = bank.get("questions") if isinstance(bank, ym.MarkedMap) else None
    return items.line_of(index) if isinstance(items, ym.MarkedList) else 1


def _classroom_line(root: Path | str | None, slug: str, name: str) -> int:
    """Line of field ``name`` of the classroom ``slug`` in catalog.yml."""
    catalog = _marked(root, CATALOG_FILE, front_matter=False)
    items = catalog.get("classrooms") if isinstance(catalog, ym.MarkedMap) else None
    for item in items if isinstance(items, list) else ():
        if isinstance(item, ym.MarkedMap) and item.get("slug") == slug:
            return item.line_of(name)
    return 1


def _marked(root: Path | str | None, rel: str, front_matter: bool) -> Any:
    """The YAML of a file (a .md file's front matter) with line marks, or None."""
    if root is None:
        return None
    rep = ym.Report(rel, [])  # the file was valid a moment ago; problems here are moot
    read = ym.read_text(Path(root) / rel, rep)
    if read is None:
        return None
    text, first_line = read[0], 1
    if front_matter:
        parts = ym.split_front_matter(text, rep)
        if parts is None:
            return None
        text, first_line = parts[0], 2
    return ym.parse_yaml(text, first_line, rep)[1]
