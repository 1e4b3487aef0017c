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

from ...models import Attempt, Courseware, MicroLesson, Question, QuestionBank, Quiz
from . import draws
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
                  passed_now: bool = False, passed_before: bool | None = None) -> bool:
    """Whether the user may now see the key and explanations of the item's quiz;
    `passed_now`: the caller just recorded a passed attempt, `passed_before`: the caller
    read whether one was passed before (neither needs looking up then)."""
    policy = item.quiz.review or "after_pass"
    if policy == "immediately":
        return True
    due_passed = item.due_at is not None and now > item.due_at
    if policy == "after_due" and item.due_at is not None:
        return due_passed
    if due_passed or passed_now or (
            passed_before if passed_before is not None else _has_passed(db, user_id, item)):
        return True
    allowed = item.quiz.attempts_allowed
    return allowed is not None and submitted_count(db, user_id, item) >= allowed


def _has_passed(db: Session, user_id: int, item: QuizItem) -> bool:
    return bool(db.scalar(select(exists().where(
        *passed_where(user_id, item.item_type, item.item_id)))))


def passed_where(user_id, item_type, item_id) -> tuple:
    """SQL conditions: a submitted, passed attempt of the user at the item (values or
    binds); what "has passed" means for the review policy, wherever it is read."""
    return (Attempt.user_id == user_id, Attempt.item_type == item_type,
            Attempt.item_id == item_id, Attempt.status == "submitted",
            Attempt.passed.is_(True))


def withheld(db: Session, user_id: int, question_ids, now: datetime,
             asked_in: QuizItem | None = None) -> frozenset[int]:
    """The bank questions among `question_ids` whose key some other live item that may draw
    them (a published lesson or courseware item with draw rules) still hides from the user.

    A bank question is one question wherever it is asked: shown by a practice quiz, or by a
    retake after a pass drawing new questions, its key would be known before the exam that
    draws it too was earned (docs/SECURITY-REVIEW-2026-12-03.md)."""
    rows = db.execute(select(Question.id, Question.tags, QuestionBank.key)
                      .join(QuestionBank, QuestionBank.id == Question.bank_id)
                      .where(Question.id.in_(list(question_ids)))).all() if question_ids else []
    hidden: set[int] = set()
    for other in _drawing_items(db) if rows else ():
        if asked_in is not None and (other.item_type, other.item_id) == (
                asked_in.item_type, asked_in.item_id):
            continue
        rules = draws.rules_of(other.quiz)
        drawable = {qid for qid, tags, bank in rows if qid not in hidden and any(
            rule.tag in (tags or ()) and rule.bank in (None, bank) for rule in rules)}
        if drawable and not answers_shown(db, user_id, other, now):
            hidden |= drawable
    return frozenset(hidden)


def _drawing_items(db: Session) -> list[QuizItem]:
    """Published lessons (released or scheduled) and courseware whose quiz draws."""
    drawn = [quiz.id for quiz in db.scalars(select(Quiz).where(Quiz.draw_rules.is_not(None)))
             if draws.is_drawn(quiz)]
    if not drawn:
        return []
    items = [lesson_item(lesson) for lesson in db.scalars(
        select(MicroLesson).where(MicroLesson.status == "published",
                                  MicroLesson.quiz_id.in_(drawn)))]
    return items + [QuizItem("courseware", cw.id, cw.title, cw.quiz) for cw in db.scalars(
        select(Courseware).where(Courseware.status == "published",
                                 Courseware.quiz_id.in_(drawn)))]


def lines(results: list[dict], shown: bool, hidden: frozenset[int] = frozenset()
          ) -> tuple[ResultLine, ...]:
    """Stored result dicts as lines, the key and explanation blanked unless `shown`, and
    for the `hidden` questions (`withheld`) in any case."""
    def visible(r):
        return shown and r["question_id"] not in hidden
    return tuple(ResultLine(r["question_id"], r["correct"], r.get("given"),
                            r["correct_answer"] if visible(r) else None,
                            r.get("explanation", "") if visible(r) else None) for r in results)


def result_lines(db: Session, user_id: int, item: QuizItem, results: list[dict], shown: bool,
                 now: datetime, drawn: bool = False) -> tuple[ResultLine, ...]:
    """`lines` of an attempt at `item`, a drawn quiz's keys `withheld` where due (`drawn`:
    the attempt drew, whatever its quiz does now)."""
    hidden = frozenset()
    if shown and (drawn or draws.is_drawn(item.quiz)):
        hidden = withheld(db, user_id, [r["question_id"] for r in results], now, item)
    return lines(results, shown, hidden)


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


def _explanation(line: ResultLine, question: Question) -> str | None:
    """The explanation stored with the result; a result stored without one (the demo's
    bulk-loaded history) shows the question's. None while hidden (`lines`, `withheld`)."""
    if line.explanation is None:
        return None
    return line.explanation or question.explanation or ""


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
                         line.correct, line.given, line.correct_answer,
                         _explanation(line, by_id[line.question_id]))
        for line in result_lines(db, user_id, item, attempt.results, shown, now,
                                 drawn=attempt.question_ids is not None)
        if line.question_id in by_id)
    allowed = item.quiz.attempts_allowed
    left = None if allowed is None else max(0, allowed - submitted_count(db, user_id, item))
    return AttemptReview(attempt.id, attempt.item_type, attempt.item_id, slug, item.title or "",
                         attempt.score, attempt.passed, pass_score, attempt.points_awarded,
                         attempt.submitted_at, questions, shown, left)

