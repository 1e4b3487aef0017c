"""The write side of a course sync: upsert specs into rows, retire what left; no Flask.

Called through `content.apply_sync`. Nothing is deleted: courseware, lessons and questions
are referenced by attempts, completions and the mistake notebook, so a vanished file or
question is marked retired instead. Markdown is rendered here, once per changed item.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import (
    Category,
    Classroom,
    ClassroomType,
    Courseware,
    LessonAudience,
    MicroLesson,
    Question,
    QuestionBank,
    Quiz,
)
from ..reports import unitstats
from .markup import plain_text, render_markdown
from .specs import BankSpec, CourseTree, CoursewareSpec, LessonSpec, QuestionSpec, QuizSpec

KINDS = ("category", "classroom type", "classroom", "bank", "courseware", "lesson")
RETIRED = "retired"


def apply(db: Session, tree: CourseTree, writes: dict[str, set[str]],
          unit_ids: dict[str, int], retire_courseware: list[int],
          retire_lessons: list[int], retire_banks: list[int] = ()) -> None:
    """Write the specs named in ``writes`` and retire the given ids; no commit."""
    _write_catalog(db, Category, [s for s in tree.categories if s.key in writes["category"]])
    _write_catalog(db, ClassroomType, [s for s in tree.classroom_types
                                       if s.key in writes["classroom type"]])
    type_ids = _ids(db, ClassroomType, "key")
    for spec in (s for s in tree.classrooms if s.slug in writes["classroom"]):
        _write_classroom(db, spec, type_ids[spec.type],
                         unit_ids[spec.unit] if spec.unit else None)
    for spec in (s for s in tree.banks if s.key in writes["bank"]):
        write_bank(db, spec)
    category_ids = _ids(db, Category, "key")
    for spec in (s for s in tree.courseware if s.slug in writes["courseware"]):
        write_courseware(db, spec, category_ids[spec.category])
    _write_lessons(db, [s for s in tree.lessons if s.slug in writes["lesson"]], unit_ids)
    _retire(db, Courseware, retire_courseware)
    _retire(db, MicroLesson, retire_lessons)
    if retire_banks:
        for question in db.scalars(select(Question).where(Question.bank_id.in_(retire_banks))):
            question.retired = True
    db.flush()


def _ids(db: Session, model, key: str) -> dict[str, int]:
    """Row ids by identifying column, new rows included."""
    db.flush()
    return dict(db.execute(select(getattr(model, key), model.id)).all())


def _existing(db: Session, model, column: str, value: str):
    return db.scalars(select(model).where(getattr(model, column) == value)).one_or_none()


def _new(db: Session, row):
    db.add(row)
    return row


# --- catalog ------------------------------------------------------------------------------

def _write_catalog(db: Session, model, specs: list) -> None:
    """Create or update categories or classroom types by key."""
    for spec in specs:
        row = _existing(db, model, "key", spec.key) or _new(db, model(key=spec.key))
        row.name, row.description, row.position = spec.name, spec.description, spec.position


def _write_classroom(db: Session, spec, type_id: int, unit_id: int | None) -> None:
    """Create or update a sample classroom; its status is the acceptance workflow's, not ours."""
    row = _existing(db, Classroom, "slug", spec.slug) or _new(db, Classroom(slug=spec.slug))
    row.type_id, row.unit_id = type_id, unit_id
    row.title, row.description = spec.title, spec.description


# --- courseware and lessons ---------------------------------------------------------------

def write_courseware(db: Session, spec: CoursewareSpec, category_id: int) -> None:
    """Create or update a courseware item, its rendered body and its quiz."""
    row = (_existing(db, Courseware, "slug", spec.slug)
           or _new(db, Courseware(slug=spec.slug)))
    _write_common(row, spec)
    row.category_id = category_id
    row.search_text = plain_text(row.body_html)
    row.featured, row.lecturer, row.status = spec.featured, spec.lecturer, spec.status
    # A quiz dropped from the file is unlinked, not deleted: past attempts still point at it.
    row.quiz = _write_quiz(spec.quiz, row.quiz) if spec.quiz is not None else None


def _write_lessons(db: Session, specs: list[LessonSpec], unit_ids: dict[str, int]) -> None:
    """Create or update lessons; renumbered ones first step aside so numbers can swap."""
    rows = {spec.slug: _existing(db, MicroLesson, "slug", spec.slug) for spec in specs}
    moving = [(rows[s.slug], s) for s in specs
              if rows[s.slug] is not None and rows[s.slug].issue_no != s.issue_no]
    for row, _spec in moving:
        row.issue_no = -row.id  # unique and never a real issue number
    if moving:
        db.flush()
    recount = []  # new, or a new due time or audience: who owes it, and on-time counts
    for spec in specs:
        row = rows[spec.slug] or _new(db, MicroLesson(slug=spec.slug))
        before = owing_fields(row)
        _write_lesson(row, spec, unit_ids)
        if rows[spec.slug] is None or owing_fields(row) != before:
            recount.append(row)
    db.flush()
    unitstats.rebuild(db, lesson_ids=[row.id for row in recount])


def owing_fields(row: MicroLesson) -> tuple:
    """What decides who owes a lesson, besides memberships: its due time and audience."""
    return row.due_at, frozenset(a.unit_id for a in row.audience)


def write_lesson(row: MicroLesson, spec: LessonSpec, unit_ids: dict[str, int]) -> None:
    """One lesson's fields, quiz and audience, as a sync writes them (the studio's too)."""
    _write_lesson(row, spec, unit_ids)


def _write_lesson(row: MicroLesson, spec: LessonSpec, unit_ids: dict[str, int]) -> None:
    """One lesson's fields, quiz and audience."""
    _write_common(row, spec)
    row.issue_no, row.publish_at, row.due_at = spec.issue_no, spec.publish_at, spec.due_at
    row.status = "published"  # the lesson format carries no status: a file is a live issue
    row.quiz = _write_quiz(spec.quiz, row.quiz)
    wanted = {unit_ids[code] for code in spec.audience}
    kept = [a for a in row.audience if a.unit_id in wanted]
    added = sorted(wanted - {a.unit_id for a in kept})
    row.audience = kept + [LessonAudience(unit_id=unit_id) for unit_id in added]


def _write_common(row: Courseware | MicroLesson, spec: CoursewareSpec | LessonSpec) -> None:
    """Fields courseware and lessons share; the body is rendered and sanitized here, once."""
    row.title, row.summary, row.body_md = spec.title, spec.summary, spec.body_md
    row.body_html = render_markdown(spec.body_md)
    row.estimated_minutes, row.min_read_seconds = spec.estimated_minutes, spec.min_read_seconds
    row.source_path, row.source_hash = spec.source_path, spec.source_hash


def _retire(db: Session, model, ids: list[int]) -> None:
    """Mark items retired; they stay for learners' history."""
    if ids:
        for row in db.scalars(select(model).where(model.id.in_(ids))):
            row.status = RETIRED


# --- quizzes ------------------------------------------------------------------------------

def _write_quiz(spec: QuizSpec, quiz: Quiz | None) -> Quiz:
    """Update ``quiz`` (or make one): questions matched by key, missing ones retired."""
    quiz = quiz or Quiz()
    quiz.pass_score, quiz.attempts_allowed = spec.pass_score, spec.attempts_allowed
    quiz.shuffle, quiz.partial_credit = spec.shuffle, spec.partial_credit
    quiz.time_limit_seconds, quiz.review = spec.time_limit_seconds, spec.review
    # A drawn quiz keeps no questions of its own (docs/BANKS.md); its fixed ones retire.
    quiz.draw_rules = [{"tag": r.tag, "count": r.count, "bank": r.bank}
                       for r in spec.draw] or None
    _write_questions(spec.questions, quiz.questions, quiz.questions.append)
    return quiz


def write_bank(db: Session, spec: BankSpec, keep_missing: bool = False) -> QuestionBank:
    """Create or update a bank by key and its questions by key; questions the spec lacks
    are retired unless ``keep_missing`` (an import adds to a bank, a file is all of it)."""
    bank = _existing(db, QuestionBank, "key", spec.key) or _new(db, QuestionBank(key=spec.key))
    bank.name, bank.description = spec.name, spec.description
    if not keep_missing:
        bank.source_path, bank.source_hash = spec.source_path or None, spec.source_hash or None
    db.flush()
    stored = list(db.scalars(select(Question).where(Question.bank_id == bank.id)))

    def add(question: Question) -> None:
        question.bank_id = bank.id
        db.add(question)

    _write_questions(spec.questions, stored, add, retire_missing=not keep_missing)
    return bank


def _write_questions(specs, stored, add, retire_missing: bool = True) -> None:
    """Questions matched by key: updated in place, added, or retired when gone."""
    by_key = {question.key: question for question in stored}
    for question_spec in specs:
        question = by_key.pop(question_spec.key, None)
        if question is None:
            question = Question(key=question_spec.key)
            add(question)
        _write_question(question, question_spec)
    for gone in by_key.values() if retire_missing else ():
        gone.retired = True  # attempts and the mistake notebook still reference it


def _write_question(row: Question, spec: QuestionSpec) -> None:
    row.kind, row.stem, row.position = spec.kind, spec.stem, spec.position
    row.options = [[key, text] for key, text in spec.options]
    row.answer = _json(spec.answer)
    row.explanation, row.tags, row.retired = spec.explanation, list(spec.tags), False


def _json(answer: Any) -> Any:
    """An answer as JSON stores it: tuples become lists."""
    return list(answer) if isinstance(answer, tuple) else answer
