"""The quiz as an officer sees it before submitting: what a quiz belongs to, its questions
without answers (options in a per-attempt order), and starting an attempt; no Flask.

Recording a submission (idempotency, grading, completion, points, mistakes) is the business
of `attempts`, which builds on this module; nothing here writes a result.
"""
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from ...models import Attempt, Courseware, MicroLesson, Question, Quiz
from ..learning import completion
from ..problems import Refusal
from . import draws, grading


class QuizError(Refusal):
    """A submission the quiz refuses; `code` is the API's error code."""

    code = "invalid"


class AttemptsExhausted(QuizError):
    """The quiz allows no more attempts for this user."""

    code = "attempts_exhausted"


class NothingToDraw(QuizError):
    """A quiz drawn from the banks whose rules find no question (a trainer's mistake)."""

    code = "nothing_to_draw"


@dataclass(frozen=True)
class QuizItem:
    """What a quiz belongs to: a micro-lesson (with a due time) or a courseware item."""

    item_type: str
    item_id: int
    title: str
    quiz: Quiz  # or a snapshot with the same attributes (`lessonview.QuizSettings`)
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
    remaining: int | None = None  # attempts left (None: unlimited), as counted at the start
    created: bool = False  # a new attempt was written (the caller must commit)


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


def attempt_questions(db: Session, user_id: int, item: QuizItem, idempotency_key: object
                      ) -> list[Question]:
    """The questions a submission with this key answers: the quiz's own, or for a drawn
    quiz the draw of the user's attempt with that key (else of their open attempt)."""
    if not draws.is_drawn(item.quiz):
        return questions_of(db, item.quiz.id)
    return draws.attempt_draw(db, user_id, item.item_type, item.item_id, item.quiz.id,
                              idempotency_key)


def question_key(question: Question) -> grading.QuestionKey:
    """The grading engine's view of a stored question (server side only: it holds the answer)."""
    answer = question.answer
    if question.kind in ("multiple", "fill_blank"):
        answer = tuple(answer)
    return grading.QuestionKey(question.id, question.kind,
                               tuple(key for key, _ in question.options or ()), answer,
                               question.explanation or "")


def public_question(question: "Question | PublicQuestion",
                    order: Sequence[str] | None = None) -> PublicQuestion:
    """A question without its answer, options in `order` when given."""
    options = [(key, text) for key, text in question.options or ()]
    if order and sorted(order) == sorted(key for key, _ in options):
        text_of = dict(options)
        options = [(key, text_of[key]) for key in order]
    return PublicQuestion(question.id, question.kind, question.stem, tuple(options))


def public_questions(questions: "Sequence[Question | PublicQuestion]", order: Mapping | None = None
                     ) -> tuple[PublicQuestion, ...]:
    """The public view of a quiz's questions, shuffled per `order` ({question id: keys})."""
    if not order and all(isinstance(q, PublicQuestion) for q in questions):
        return tuple(questions)  # already public and in order
    order = order or {}
    return tuple(public_question(q, order.get(str(q.id))) for q in questions)


def shuffled_order(questions: "Sequence[Question | PublicQuestion]", seed: str
                   ) -> dict[str, list[str]]:
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


def start(db: Session, user_id: int, item: QuizItem, now: datetime,
          questions: Sequence[PublicQuestion] | None = None) -> OpenAttempt:
    """The user's open attempt at the item's quiz (reused while it can still be submitted),
    or a new one; raises AttemptsExhausted. `questions`: the quiz's public questions when the
    caller has them already (`lessonview`). `created` tells whether anything
    was written."""
    remaining = remaining_attempts(db, user_id, item)
    if remaining == 0:
        raise AttemptsExhausted("作答次数已用完")
    drawn = draws.is_drawn(item.quiz)
    if questions is None and not drawn:
        questions = public_questions(questions_of(db, item.quiz.id))
    limit = item.quiz.time_limit_seconds
    params = {"p_user_id": user_id, "p_item_type": item.item_type, "p_item_id": item.item_id,
              "p_quiz_id": item.quiz.id}
    if limit is None:
        attempt = db.execute(_OPEN_ATTEMPT, params).first()
    else:
        attempt = db.execute(_OPEN_ATTEMPT_SINCE,
                             {**params, "p_since": now - timedelta(seconds=limit)}).first()
    created = attempt is None
    if drawn and not created:  # the attempt's own draw, whatever the banks hold now
        questions = public_questions(draws.questions_by_ids(db, attempt.question_ids or ()))
    if created:
        key = secrets.token_urlsafe(24)
        question_ids = None
        if drawn:  # seeded by the attempt: its draw is stable, a retake draws again
            questions = public_questions(_abandoned_draw(db, params) or draws.draw(
                db, draws.rules_of(item.quiz), key))
            if not questions:
                raise NothingToDraw("题库中没有可抽取的题目，请联系出题人")
            question_ids = [q.id for q in questions]
        attempt = Attempt(user_id=user_id, quiz_id=item.quiz.id, item_type=item.item_type,
                          item_id=item.item_id, idempotency_key=key, status="open",
                          started_at=now, question_ids=question_ids,
                          option_order=shuffled_order(questions, key) if item.quiz.shuffle
                          else None)
        db.add(attempt)
        db.flush()
        if item.item_type == "lesson":  # courseware keeps its own reading timer
            completion.record_open(db, user_id, item.item_type, item.item_id, now)
    deadline = None if limit is None else attempt.started_at + timedelta(seconds=limit)
    return OpenAttempt(attempt.id, attempt.idempotency_key, attempt.started_at, deadline,
                       public_questions(questions, attempt.option_order), remaining, created)


# `start`'s lookup of the open attempt (index ix_lms_attempt_lookup), built once; only the
# columns the page needs, no ORM object
_OPEN_ATTEMPT = (
    select(Attempt.id, Attempt.idempotency_key, Attempt.started_at, Attempt.option_order,
           Attempt.question_ids)
    .where(Attempt.user_id == bindparam("p_user_id"),
           Attempt.item_type == bindparam("p_item_type"),
           Attempt.item_id == bindparam("p_item_id"),
           Attempt.quiz_id == bindparam("p_quiz_id"), Attempt.status == "open")
    .order_by(Attempt.started_at.desc()).limit(1))
_OPEN_ATTEMPT_SINCE = _OPEN_ATTEMPT.where(Attempt.started_at >= bindparam("p_since"))


def _abandoned_draw(db: Session, params: dict) -> list[Question]:
    """The draw of the user's last attempt left open past its time limit: a new attempt
    keeps it, so waiting out the limit neither rerolls the questions nor reads the bank
    (docs/SECURITY-REVIEW-2026-12-03.md); only a submitted attempt draws again."""
    ids = db.execute(_OPEN_ATTEMPT, params).first()
    return draws.questions_by_ids(db, ids.question_ids) if ids and ids.question_ids else []


def start_if_allowed(db: Session, user_id: int, item: QuizItem, now: datetime,
                     questions: Sequence[PublicQuestion] | None = None) -> OpenAttempt | None:
    """The attempt a quiz page shows (see `start`), or None once no attempts are left."""
    try:
        return start(db, user_id, item, now, questions)
    except (AttemptsExhausted, NothingToDraw):  # the page shows the quiz closed, not a 500
        return None


@dataclass(frozen=True)
class OpenedQuiz:
    """What the lesson page and the API show of a quiz: the open attempt (None once no
    attempts are left) and the questions, in that attempt's option order."""

    attempt: OpenAttempt | None
    questions: tuple[PublicQuestion, ...]
    remaining: int | None
    created: bool


def open_quiz(db: Session, user_id: int, item: QuizItem, now: datetime,
              questions: Sequence[PublicQuestion] | None = None) -> OpenedQuiz:
    """The one way to open a quiz, for the HTML page and the API alike: the user's open
    attempt (its own server start time is the time limit's start) or a new one.
    `questions`: the fixed quiz's public questions when the caller has them (`lessonview`).
    The caller commits when `created`."""
    if draws.is_drawn(item.quiz):
        questions = None  # each attempt draws its own (`start`)
    elif questions is not None:
        questions = tuple(questions)
    else:
        questions = public_questions(questions_of(db, item.quiz.id))
    attempt = start_if_allowed(db, user_id, item, now, questions)
    if attempt is None:
        return OpenedQuiz(None, public_questions(questions or ()), 0, False)
    return OpenedQuiz(attempt, attempt.questions, attempt.remaining, attempt.created)
