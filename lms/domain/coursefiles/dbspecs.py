"""The database's content as the plain specs course files are read into; no Flask.

One reading of the rows for the folder export, the studio's per-item "导出文件" and the
sync's question "would this file change anything?": an item whose spec read here equals
its file's spec is left alone, whatever the file's hash (docs/CONTENT.md).
"""

from __future__ import annotations

from dataclasses import replace

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
    Quiz,
    Unit,
)
from .reader import normal_body
from .specs import (
    BankSpec,
    CategorySpec,
    ClassroomSpec,
    ClassroomTypeSpec,
    CoursewareSpec,
    DrawRuleSpec,
    LessonSpec,
    QuestionSpec,
    QuizSpec,
)


def question_specs(questions) -> tuple[QuestionSpec, ...]:
    """Live questions as specs, positions counted from 1 in their stored order."""
    live = sorted((q for q in questions if not q.retired), key=lambda q: (q.position, q.id))
    return tuple(
        QuestionSpec(q.key, q.kind, q.stem, tuple((k, t) for k, t in q.options or ()),
                     tuple(q.answer) if isinstance(q.answer, list) else q.answer,
                     q.explanation or "", tuple(q.tags or ()), n)
        for n, q in enumerate(live, start=1))


def quiz_spec(quiz: Quiz) -> QuizSpec:
    """A stored quiz as the spec the file format writes; retired questions stay out."""
    draw = tuple(DrawRuleSpec(r["tag"], int(r["count"]), r.get("bank"))
                 for r in quiz.draw_rules or ())
    return QuizSpec(quiz.pass_score, quiz.attempts_allowed, quiz.shuffle, quiz.partial_credit,
                    quiz.time_limit_seconds, () if draw else question_specs(quiz.questions),
                    quiz.review or "after_pass", draw)


def _body(text: str) -> str:
    return normal_body((text or "").replace("\r\n", "\n").replace("\r", "\n"))


def courseware_spec(row: Courseware) -> CoursewareSpec:
    """A courseware item as its file would hold it."""
    return CoursewareSpec(
        slug=row.slug, title=row.title, category=row.category.key, summary=row.summary,
        estimated_minutes=row.estimated_minutes, min_read_seconds=row.min_read_seconds,
        featured=row.featured, lecturer=row.lecturer or None, status=row.status,
        body_md=_body(row.body_md), quiz=quiz_spec(row.quiz) if row.quiz else None,
        source_path=row.source_path or courseware_path(row), source_hash=row.source_hash or "")


def courseware_path(row: Courseware) -> str:
    """``courseware/<category>/<slug>.md``."""
    return f"courseware/{row.category.key}/{row.slug}.md"


def lesson_spec(db: Session, row: MicroLesson) -> LessonSpec:
    """A micro-lesson as its file would hold it (audience codes sorted)."""
    codes = tuple(sorted(db.scalars(select(Unit.code).where(
        Unit.id.in_([a.unit_id for a in row.audience])))))
    return LessonSpec(
        issue_no=row.issue_no, slug=row.slug, title=row.title, summary=row.summary,
        estimated_minutes=row.estimated_minutes, min_read_seconds=row.min_read_seconds,
        publish_at=row.publish_at, due_at=row.due_at, audience=codes,
        body_md=_body(row.body_md), quiz=quiz_spec(row.quiz),
        source_path=lesson_path(row), source_hash=row.source_hash or "")


def lesson_path(row: MicroLesson) -> str:
    """``lessons/<NN>-<slug>.md``."""
    return f"lessons/{row.issue_no:02d}-{row.slug}.md"


def bank_spec(db: Session, row: QuestionBank) -> BankSpec:
    """A question bank as its file would hold it."""
    questions = db.scalars(select(Question).where(Question.bank_id == row.id))
    return BankSpec(row.key, row.name, row.description or "", question_specs(questions),
                    row.source_path or f"banks/{row.key}.yml", row.source_hash or "")


def catalog_specs(db: Session) -> tuple[list, list, list]:
    """(categories, classroom types, classrooms) in display order."""
    categories = [CategorySpec(c.key, c.name, c.description or "", n) for n, c in enumerate(
        db.scalars(select(Category).order_by(Category.position, Category.id)), start=1)]
    types = [ClassroomTypeSpec(t.key, t.name, t.description or "", n) for n, t in enumerate(
        db.scalars(select(ClassroomType).order_by(ClassroomType.position, ClassroomType.id)),
        start=1)]
    codes = dict(db.execute(select(Unit.id, Unit.code)).all())
    rooms = [ClassroomSpec(r.slug, r.type.key, r.title, r.description or "",
                           codes.get(r.unit_id) if r.unit_id else None)
             for r in db.scalars(select(Classroom).order_by(Classroom.slug))]
    return categories, types, rooms


def same_content(stored, spec) -> bool:
    """True when a stored item's spec equals a file's, the file's path and hash aside."""
    if isinstance(spec, LessonSpec):
        spec = replace(spec, audience=tuple(sorted(spec.audience)))
    return replace(stored, source_path=spec.source_path, source_hash=spec.source_hash) == spec
