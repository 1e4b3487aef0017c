"""Reviewing a submitted attempt, and the review policy: when an officer may see the correct
answers and explanations; no Flask.

Before the key is shown a result says which questions were wrong and nothing more. It is
shown once the officer has passed the quiz, or used the last allowed attempt, or the
lesson's due time has passed (`review: after_pass`, the default); `after_due` waits for the
due time alone; `immediately` shows it after any attempt. Courseware has no due time, so
there `after_due` behaves like `after_pass`. The result page, the API, the mistake notebook
and the courseware quizzes all ask `answers_shown`.
"""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from ...models import Attempt, Courseware, MicroLesson, Question, Quiz
from .quizview import PublicQuestion, QuizItem, lesson_item, public_question, submitted_count

POLICIES = ("after_pass", "after_due", "immediately")


class AttemptNotFound(LookupError):
    """No such submitted attempt of this user."""


@dataclass(frozen=True)
class ResultLine:
    """One question's outcome; `correct_answer` and `explanation` are None while hidden."""

    question_id: int
    correct: bool
    given: object
    correct_answer: object
    explanation: str | None


def answers_shown(db: Session, user_id: int, item: QuizItem, now: datetime,
                  passed_now: bool = False) -> bool:
    """Whether the user may now see the key and explanations of the item's quiz;
    `passed_now`: the caller just recorded a passed attempt (no need to look it up)."""
    policy = item.quiz.review or "after_pass"
    if policy == "immediately":
        return True
    due_passed = item.due_at is not None and now > item.due_at
    if policy == "after_due" and item.due_at is not None:
        return due_passed
    if due_passed or passed_now or _has_passed(db, user_id, item):
        return True
    allowed = item.quiz.attempts_allowed
    return allowed is not None and submitted_count(db, user_id, item) >= allowed


def _has_passed(db: Session, user_id: int, item: QuizItem) -> bool:
    return bool(db.scalar(select(exists().where(
        Attempt.user_id == user_id, Attempt.item_type == item.item_type,
        Attempt.item_id == item.item_id, Attempt.status == "submitted",
        Attempt.passed.is_(True)))))


def lines(results: list[dict], shown: bool) -> tuple[ResultLine, ...]:
    """Stored result dicts as lines, the key and explanation blanked unless `shown`."""
    return tuple(ResultLine(r["question_id"], r["correct"], r.get("given"),
                            r["correct_answer"] if shown else None,
                            r.get("explanation", "") if shown else None) for r in results)


def item_of(db: Session, item_type: str, item_id: int) -> QuizItem | None:
    """The quiz item an attempt or a mistake belongs to (published or not: history stays)."""
    if item_type == "lesson":
        lesson = db.get(MicroLesson, item_id)
        return None if lesson is None or lesson.quiz is None else lesson_item(lesson)
    courseware = db.get(Courseware, item_id)
    if courseware is None or courseware.quiz is None:
        return None
    return QuizItem("courseware", courseware.id, courseware.title, courseware.quiz)


@dataclass(frozen=True)
class ReviewedQuestion:
    """A question of a submitted attempt with its outcome, for the result page."""

    question: PublicQuestion
    correct: bool
    given: object
    correct_answer: object
    explanation: str | None


@dataclass(frozen=True)
class AttemptReview:
    """A submitted attempt as its owner sees it afterwards."""

    attempt_id: int
    item_type: str
    item_id: int
    item_slug: str | None
    title: str
    score: int
    passed: bool
    pass_score: int
    points_awarded: int
    submitted_at: datetime
    questions: tuple[ReviewedQuestion, ...]
    answers_shown: bool = False
    attempts_left: int | None = None


def review(db: Session, user_id: int, attempt_id: int, now: datetime) -> AttemptReview:
    """The user's own submitted attempt, the key shown as the policy allows now; else
    AttemptNotFound."""
    attempt = db.scalar(select(Attempt).where(Attempt.id == attempt_id,
                                              Attempt.user_id == user_id,
                                              Attempt.status == "submitted"))
    if attempt is None:
        raise AttemptNotFound(attempt_id)
    item = item_of(db, attempt.item_type, attempt.item_id)
    if item is None:
        raise AttemptNotFound(attempt_id)
    shown = answers_shown(db, user_id, item, now)
    ids = [r["question_id"] for r in attempt.results]
    by_id = {q.id: q for q in db.scalars(select(Question).where(Question.id.in_(ids)))}
    slug = None
    if attempt.item_type == "courseware":
        slug = db.scalar(select(Courseware.slug).where(Courseware.id == attempt.item_id))
    pass_score = db.scalar(select(Quiz.pass_score).where(Quiz.id == attempt.quiz_id))
    order = attempt.option_order or {}
    questions = tuple(
        ReviewedQuestion(public_question(by_id[line.question_id],
                                         order.get(str(line.question_id))),
                         line.correct, line.given, line.correct_answer, line.explanation)
        for line in lines(attempt.results, shown) if line.question_id in by_id)
    allowed = item.quiz.attempts_allowed
    left = None if allowed is None else max(0, allowed - submitted_count(db, user_id, item))
    return AttemptReview(attempt.id, attempt.item_type, attempt.item_id, slug, item.title or "",
                         attempt.score, attempt.passed, pass_score, attempt.points_awarded,
                         attempt.submitted_at, questions, shown, left)

