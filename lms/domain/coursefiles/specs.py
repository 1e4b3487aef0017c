"""The plain specs a course folder is read into and written from (docs/CONTENT.md); no Flask.

Standard library only: the file readers (`reader`, `catalogfile`, `quizfile`), the `writer`,
the sync and the studio all speak in these.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


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
class DrawRuleSpec:
    """Draw ``count`` questions tagged ``tag`` from bank ``bank`` (a key), or from any bank."""

    tag: str
    count: int
    bank: str | None = None


@dataclass(frozen=True)
class QuizSpec:
    """A quiz's settings and either its questions in file order or its draw rules."""

    pass_score: int = 60
    attempts_allowed: int | None = None
    shuffle: bool = True
    partial_credit: bool = False
    time_limit_seconds: int | None = None
    questions: tuple[QuestionSpec, ...] = ()
    review: str = "after_pass"  # when the key is shown: after_pass | after_due | immediately
    draw: tuple[DrawRuleSpec, ...] = ()  # a quiz drawn from the banks has no questions


@dataclass(frozen=True)
class BankSpec:
    """A question bank file ``banks/<key>.yml``: a name and tagged questions."""

    key: str
    name: str
    description: str
    questions: tuple[QuestionSpec, ...]
    source_path: str
    source_hash: str


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
    banks: tuple[BankSpec, ...] = ()
