"""The quiz as an officer sees it before submitting: what a quiz belongs to, its questions
without answers (options in a per-attempt order), and starting an attempt; no Flask.

Recording a submission (idempotency, grading, completion, points, mistakes) is the business
of `attempts`, which builds on this module; nothing here writes a result.
"""
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import Attempt, Courseware, MicroLesson, Question, Quiz
from . import completion, grading


class QuizError(Exception):
    """A submission the quiz refuses; `code` is the API's error code."""

    code = "invalid"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class AttemptsExhausted(QuizError):
    """The quiz allows no more attempts for this user."""

    code = "attempts_exhausted"


@dataclass(frozen=True)
class QuizItem:
    """What a quiz belongs to: a micro-lesson (with a due time) or a courseware item."""

    item_type: str
    item_id: int
    title: str
    quiz: Quiz
    due_at: datetime | None = None


@dataclass(frozen=True)
class PublicQuestion:
    """A question as the client may see it before submitting: no answer, no explanation."""

    id: int
    kind: str
    stem: str
    options: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class OpenAttempt:
    """A started attempt, ready to render as a form."""

    id: int
    idempotency_key: str
    started_at: datetime
    deadline: datetime | None
    questions: tuple[PublicQuestion, ...]


def lesson_item(lesson: MicroLesson) -> QuizItem:
    """A micro-lesson's quiz."""
    return QuizItem("lesson", lesson.id, lesson.title, lesson.quiz, lesson.due_at)


def courseware_item(db: Session, slug: str) -> QuizItem | None:
    """A published courseware item's quiz, or None when it has none."""
    item = db.scalar(select(Courseware).where(Courseware.slug == slug,
                                              Courseware.status == "published"))
    if item is None or item.quiz is None:
        return None
    return QuizItem("courseware", item.id, item.title, item.quiz)


def questions_of(db: Session, quiz_id: int) -> list[Question]:
    """The quiz's current questions, in order."""
    return list(db.scalars(select(Question).where(Question.quiz_id == quiz_id,
                                                  Question.retired.is_(False))
                           .order_by(Question.position, Question.id)))


def question_key(question: Question) -> grading.QuestionKey:
    """The grading engine's view of a stored question (server side only: it holds the answer)."""
    answer = question.answer
    if question.kind in ("multiple", "fill_blank"):
        answer = tuple(answer)
    return grading.QuestionKey(question.id, question.kind,
                               tuple(key for key, _ in question.options or ()), answer,
                               question.explanation or "")


def public_question(question: Question, order: Sequence[str] | None = None) -> PublicQuestion:
    """A question without its answer, options in `order` when given."""
    options = [(key, text) for key, text in question.options or ()]
    if order and sorted(order) == sorted(key for key, _ in options):
        text_of = dict(options)
        options = [(key, text_of[key]) for key in order]
    return PublicQuestion(question.id, question.kind, question.stem, tuple(options))


def public_questions(questions: Sequence[Question], order: Mapping | None = None
                     ) -> tuple[PublicQuestion, ...]:
    """The public view of a quiz's questions, shuffled per `order` ({question id: keys})."""
    order = order or {}
    return tuple(public_question(q, order.get(str(q.id))) for q in questions)


def shuffled_order(questions: Sequence[Question], seed: str) -> dict[str, list[str]]:
    """A per-attempt option order for every choice question."""
    return {str(q.id): grading.option_order([key for key, _ in q.options], f"{seed}:{q.id}")
            for q in questions if q.options}


def answers_from_form(questions: Sequence[PublicQuestion], getlist: Callable[[str], list]
                      ) -> dict[str, object]:
    """An HTML form's fields `q<id>` as raw answers; empty fields are unanswered."""
    raw: dict[str, object] = {}
    for question in questions:
        values = [v for v in getlist(f"q{question.id}") if isinstance(v, str)]
        if question.kind == "multiple":
            raw[str(question.id)] = values or None
        else:
            value = values[0].strip() if values else ""
            raw[str(question.id)] = value or None
    return raw


def submitted_count(db: Session, user_id: int, item: QuizItem) -> int:
    """How many attempts the user has submitted for the item."""
    return int(db.scalar(select(func.count()).select_from(Attempt).where(
        Attempt.user_id == user_id, Attempt.item_type == item.item_type,
        Attempt.item_id == item.item_id, Attempt.status == "submitted")))


def remaining_attempts(db: Session, user_id: int, item: QuizItem) -> int | None:
    """Attempts left, or None when unlimited."""
    allowed = item.quiz.attempts_allowed
    if allowed is None:
        return None
    return max(0, allowed - submitted_count(db, user_id, item))


def start(db: Session, user_id: int, item: QuizItem, now: datetime) -> OpenAttempt:
    """The user's open attempt at the item's quiz (reused while it can still be submitted),
    or a new one; raises AttemptsExhausted."""
    if remaining_attempts(db, user_id, item) == 0:
        raise AttemptsExhausted("作答次数已用完")
    questions = questions_of(db, item.quiz.id)
    limit = item.quiz.time_limit_seconds
    query = (select(Attempt).where(
        Attempt.user_id == user_id, Attempt.item_type == item.item_type,
        Attempt.item_id == item.item_id, Attempt.quiz_id == item.quiz.id,
        Attempt.status == "open").order_by(Attempt.started_at.desc()).limit(1))
    if limit is not None:
        query = query.where(Attempt.started_at >= now - timedelta(seconds=limit))
    attempt = db.scalar(query)
    if attempt is None:
        key = secrets.token_urlsafe(24)
        attempt = Attempt(user_id=user_id, quiz_id=item.quiz.id, item_type=item.item_type,
                          item_id=item.item_id, idempotency_key=key, status="open",
                          started_at=now,
                          option_order=shuffled_order(questions, key) if item.quiz.shuffle
                          else None)
        db.add(attempt)
        db.flush()
        if item.item_type == "lesson":  # courseware keeps its own reading timer
            completion.record_open(db, user_id, item.item_type, item.item_id, now)
    deadline = None if limit is None else attempt.started_at + timedelta(seconds=limit)
    return OpenAttempt(attempt.id, attempt.idempotency_key, attempt.started_at, deadline,
                       public_questions(questions, attempt.option_order))


def start_if_allowed(db: Session, user_id: int, item: QuizItem, now: datetime
                     ) -> OpenAttempt | None:
    """The attempt a quiz page shows (see `start`), or None once no attempts are left."""
    try:
        return start(db, user_id, item, now)
    except AttemptsExhausted:
        return None


def start_api_clock(db: Session, user_id: int, item: QuizItem, now: datetime) -> None:
    """For a time-limited quiz fetched over the API: remember when, once, server-side."""
    if item.quiz.time_limit_seconds is None:
        return
    row = completion.get(db, user_id, item.item_type, item.item_id)
    if row is None or row.opened_at is None:
        completion.record_open(db, user_id, item.item_type, item.item_id, now)
