"""The mistake notebook (错题本): every question a user got wrong, until reviewed right; no Flask.

A question leaves the notebook after it is answered correctly twice in a row in later
reviews; a wrong answer (in a review or a quiz) puts it back with its streak reset. Each
review answer is counted with a compare-and-set on the row's state as the page showed it,
so a form submitted twice (a double tap, a resend) counts once.
"""
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache

from sqlalchemy import (
    ARRAY,
    DateTime,
    Integer,
    String,
    and_,
    bindparam,
    case,
    func,
    literal,
    null,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from ...models import Courseware, MicroLesson, Mistake, Question
from . import grading, quizview
from . import review as review_policy

RESOLVE_AFTER = 2  # correct answers in a row, in later reviews
REVIEW_SIZE = 10


@dataclass(frozen=True)
class MistakeEntry:
    """A question in the notebook, as the officer sees it (no answer)."""

    question: "quizview.PublicQuestion"
    wrong_count: int
    correct_streak: int
    last_wrong_at: datetime
    source_type: str | None  # lesson | courseware
    source_id: int | None
    source_title: str
    source_slug: str | None

    @property
    def version(self) -> str:
        """The row's state as shown; a review answer counts only against this state."""
        return f"{self.wrong_count}.{self.correct_streak}"

    @property
    def remaining(self) -> int:
        """Correct reviews still needed to leave the notebook."""
        return max(0, RESOLVE_AFTER - self.correct_streak)


@dataclass(frozen=True)
class ReviewLine:
    """One reviewed question: what was given, whether it was right, and where it stands."""

    question: "quizview.PublicQuestion"
    given: object
    correct: bool
    correct_answer: object  # None while the review policy hides the key
    explanation: str | None
    counted: bool
    resolved: bool
    remaining: int


def record_wrong(db: Session, user_id: int, question_ids: Iterable[int], now: datetime,
                 source: tuple[str, int] | None = None) -> None:
    """Put wrongly answered questions in the notebook (again), resetting their streak;
    `source` (item type, id) is where they were answered wrong."""
    ids = sorted(set(question_ids))  # a fixed order: concurrent writers lock rows alike
    if not ids:
        return
    if db.get_bind().dialect.name == "postgresql":
        db.execute(wrong_statement(), wrong_params(user_id, ids, now, source))
        return
    item_type, item_id = source or (None, None)
    stmt = sqlite.insert(Mistake).values([
        {"user_id": user_id, "question_id": qid, "wrong_count": 1, "correct_streak": 0,
         "last_wrong_at": now, "resolved_at": None, "item_type": item_type,
         "item_id": item_id} for qid in ids])
    table = Mistake.__table__
    again = {"wrong_count": table.c.wrong_count + 1, "correct_streak": 0,
             "last_wrong_at": now, "resolved_at": None}
    if source is not None:
        again.update(item_type=item_type, item_id=item_id)
    db.execute(stmt.on_conflict_do_update(index_elements=("user_id", "question_id"), set_=again))


def wrong_params(user_id: int, question_ids: Iterable[int], now: datetime,
                 source: tuple[str, int] | None = None) -> dict:
    """The binds of `wrong_statement`."""
    item_type, item_id = source or (None, None)
    return {"p_user_id": user_id, "p_question_ids": sorted(set(question_ids)), "p_now": now,
            "p_item_type": item_type, "p_item_id": item_id}


@lru_cache(maxsize=1)
def wrong_statement():
    """`record_wrong` on PostgreSQL as one statement of fixed shape, built once: the ids
    come as an array (sorted: concurrent writers lock rows alike); a source of None keeps
    the row's own."""
    table = Mistake.__table__
    qid = func.unnest(bindparam("p_question_ids", type_=ARRAY(Integer))).column_valued("qid")
    rows = select(bindparam("p_user_id", type_=Integer), qid, literal(1), literal(0),
                  bindparam("p_now", type_=DateTime), null(),
                  bindparam("p_item_type", type_=String(16)),
                  bindparam("p_item_id", type_=Integer)).order_by(qid)
    stmt = postgresql.insert(table).from_select(
        ("user_id", "question_id", "wrong_count", "correct_streak", "last_wrong_at",
         "resolved_at", "item_type", "item_id"), rows)
    return stmt.on_conflict_do_update(index_elements=("user_id", "question_id"), set_={
        "wrong_count": table.c.wrong_count + 1, "correct_streak": 0,
        "last_wrong_at": stmt.excluded.last_wrong_at, "resolved_at": None,
        "item_type": func.coalesce(stmt.excluded.item_type, table.c.item_type),
        "item_id": func.coalesce(stmt.excluded.item_id, table.c.item_id)})


def _entries(db: Session, user_id: int, open_only: bool = True, question_ids=None,
             limit: int | None = None):
    # One entry per question: a quiz reused by several lessons (the demo's recycled weeks)
    # names its first lesson, so the join never multiplies a mistake.
    lesson, courseware = aliased(MicroLesson), aliased(Courseware)
    first_lesson = (select(func.min(lesson.id)).where(lesson.quiz_id == Question.quiz_id)
                    .correlate(Question).scalar_subquery())
    first_courseware = (select(func.min(courseware.id))
                        .where(courseware.quiz_id == Question.quiz_id)
                        .correlate(Question).scalar_subquery())
    # A bank question has no quiz of its own: the item it was last answered wrong in
    # (kept on the mistake) is its source, whose review policy gates practising it.
    lesson_id = case((Question.quiz_id.is_(None),
                      case((Mistake.item_type == "lesson", Mistake.item_id))),
                     else_=first_lesson)
    courseware_id = case((Question.quiz_id.is_(None),
                          case((Mistake.item_type == "courseware", Mistake.item_id))),
                         else_=first_courseware)
    query = (
        select(Mistake, Question, MicroLesson.id, MicroLesson.title, Courseware.id,
               Courseware.title, Courseware.slug)
        .join(Question, Question.id == Mistake.question_id)
        .outerjoin(MicroLesson, MicroLesson.id == lesson_id)
        .outerjoin(Courseware, and_(Courseware.id == courseware_id,
                                    MicroLesson.id.is_(None)))
        .where(Mistake.user_id == user_id, Question.retired.is_(False))
        .order_by(Mistake.last_wrong_at.desc(), Mistake.question_id))
    if open_only:
        query = query.where(Mistake.resolved_at.is_(None))
    if question_ids is not None:
        query = query.where(Mistake.question_id.in_(question_ids))
    if limit is not None:
        query = query.limit(limit)
    result = []
    for mistake, question, lesson_id, lesson_title, cw_id, cw_title, cw_slug in db.execute(query):
        source = ("lesson", lesson_id, lesson_title, None) if lesson_id else (
            ("courseware", cw_id, cw_title, cw_slug) if cw_id else (None, None, "", None))
        entry = MistakeEntry(quizview.public_question(question), mistake.wrong_count,
                             mistake.correct_streak, mistake.last_wrong_at, *source)
        result.append((entry, question))
    return result


def notebook(db: Session, user_id: int, limit: int | None = None) -> list[MistakeEntry]:
    """The open mistakes, most recent first (at most `limit`)."""
    return [entry for entry, _ in _entries(db, user_id, limit=limit)]


def practice_batch(db: Session, user_id: int, now: datetime) -> list[MistakeEntry]:
    """The next practice round: at most REVIEW_SIZE open mistakes, most recent first, of
    those whose quiz shows its key now (`practicable`)."""
    entries = notebook(db, user_id)
    shown = _shown_by_source(db, user_id, entries, now)
    entries = [e for e in entries if practicable(e, shown)]
    hidden = review_policy.withheld(db, user_id, [e.question.id for e in entries], now)
    return [e for e in entries if e.question.id not in hidden][:REVIEW_SIZE]


def practicable(entry: MistakeEntry, shown: Mapping[tuple, bool]) -> bool:
    """A mistake may be practised once its quiz shows the key (review policy): graded
    earlier, unlimited reviews would tell right from wrong option by option and so give the
    key away while the quiz's own attempts are still limited."""
    return entry.source_id is None or shown.get((entry.source_type, entry.source_id), False)


def open_count(db: Session, user_id: int) -> int:
    """How many questions are in the notebook."""
    return int(db.scalar(select(func.count()).select_from(Mistake)
                         .join(Question, Question.id == Mistake.question_id)
                         .where(Mistake.user_id == user_id, Mistake.resolved_at.is_(None),
                                Question.retired.is_(False))))


def review(db: Session, user_id: int, answers_raw: Mapping, versions: Mapping[str, str],
           now: datetime) -> list[ReviewLine]:
    """Grade review answers and move each question's streak; raises grading.AnswerError.

    `versions` maps question ids to the `MistakeEntry.version` the page showed; an answer
    whose version no longer matches (already counted) is graded but not counted again.
    """
    asked = [q for q in map(grading.parse_question_id, answers_raw) if q is not None]
    found = _entries(db, user_id, open_only=False, question_ids=asked)
    shown = _shown_by_source(db, user_id, [entry for entry, _ in found], now)
    found = [(entry, question) for entry, question in found if practicable(entry, shown)]
    # a bank question another quiz still hides is not practised either (its key would show)
    hidden = review_policy.withheld(db, user_id, [q.id for _, q in found], now)
    found = [(entry, question) for entry, question in found if question.id not in hidden]
    by_id = {question.id: (entry, question) for entry, question in found}
    keys = [quizview.question_key(question) for _, question in found]
    # unknown ids raise AnswerError, and so do questions not yet practicable
    answers = grading.parse_answers(keys, answers_raw)
    graded = grading.grade(keys, answers)
    lines = []
    for result in graded.results:
        entry, _ = by_id[result.question_id]
        if not shown.get((entry.source_type, entry.source_id), False):
            result = replace(result, correct_answer=None, explanation=None)
        counted = result.given is not None and _count(
            db, user_id, result.question_id, versions.get(str(result.question_id)),
            result.correct, now)
        streak, resolved_at = db.execute(
            select(Mistake.correct_streak, Mistake.resolved_at)
            .where(Mistake.user_id == user_id, Mistake.question_id == result.question_id)).one()
        lines.append(ReviewLine(entry.question, result.given, result.correct,
                                result.correct_answer, result.explanation, counted,
                                resolved_at is not None, max(0, RESOLVE_AFTER - streak)))
    return lines


def _shown_by_source(db: Session, user_id: int, entries: list[MistakeEntry], now: datetime
                     ) -> dict[tuple, bool]:
    """Whether the quiz each entry comes from shows its key to the user now (review policy)."""
    shown = {}
    for source in {(e.source_type, e.source_id) for e in entries if e.source_id is not None}:
        item = review_policy.item_of(db, *source)
        shown[source] = item is not None and review_policy.answers_shown(db, user_id, item, now)
    return shown


def _count(db: Session, user_id: int, question_id: int, version: str | None, correct: bool,
           now: datetime) -> bool:
    """Apply one review answer if the row is still as the page showed it."""
    try:
        wrong_count, streak = (int(part) for part in (version or "").split("."))
    except ValueError:
        return False
    where = (Mistake.user_id == user_id, Mistake.question_id == question_id,
             Mistake.wrong_count == wrong_count, Mistake.correct_streak == streak,
             Mistake.resolved_at.is_(None))
    if correct:
        values = {"correct_streak": Mistake.correct_streak + 1,
                  "resolved_at": case((Mistake.correct_streak + 1 >= RESOLVE_AFTER, now),
                                      else_=None)}
    else:
        values = {"wrong_count": Mistake.wrong_count + 1, "correct_streak": 0,
                  "last_wrong_at": now}
    result = db.execute(update(Mistake).where(*where).values(**values)
                        .execution_options(synchronize_session=False))
    return result.rowcount == 1
