"""A year of weekly micro-lessons and the officers' history with them, for the demo; no Flask.

Real lessons (from `courses/`) are kept; the weeks around them without a lesson get a demo
issue reusing a real lesson's reading and a copy of its quiz, so the demo always has a full
year and a lesson for the current week. Outcomes are spread the way a bureau looks: most on
time, some late, some never, with better and worse branches. Every completion comes from
graded attempts (a few failed first), so the attempts, completions, points, mistake
notebooks and the reports' summary agree as if the year had been lived through the app.
"""
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from ...models import Attempt, Completion, MicroLesson, Mistake, PointsEntry, Question, Quiz, utcnow
from ..clock import to_local, to_utc
from ..learning import issues
from ..reports import unitstats
from . import answers, bulk

ISSUE_PREFIX = re.compile(r"^第\s*\d+\s*期\s*")  # "第10期 " at the start of a title
RETAKE = 0.08  # completions whose first attempt failed
FAILED_AND_GAVE_UP = 0.15  # of the lessons an officer owes still: one failed attempt
QUIZ_COLUMNS = ("pass_score", "attempts_allowed", "shuffle", "partial_credit",
                "time_limit_seconds", "review")
QUESTION_COLUMNS = ("key", "position", "kind", "stem", "options", "answer", "explanation",
                    "tags", "retired")
MISTAKE_COLUMNS = ("user_id", "question_id", "wrong_count", "correct_streak", "last_wrong_at")
ATTEMPT_COLUMNS = ("user_id", "quiz_id", "item_type", "item_id", "idempotency_key", "status",
                   "started_at", "submitted_at", "answers", "results", "score", "passed",
                   "points_awarded")
COMPLETION_COLUMNS = ("user_id", "item_type", "item_id", "status", "first_completed_at",
                      "best_score", "attempts", "time_spent_seconds", "last_activity_at",
                      "first_score")
POINTS_COLUMNS = ("user_id", "rule", "points", "source_type", "source_id", "at")
LOADED = (Attempt, Completion, Mistake, PointsEntry)  # the tables `_Book.write` bulk-loads


@dataclass(frozen=True)
class _Lesson:
    id: int
    publish_at: datetime
    due_at: datetime
    quiz_id: int


def ensure_weekly_lessons(db: Session, weeks: int, tz: str, now: datetime) -> list[_Lesson]:
    """One published lesson per week for the `weeks` weeks up to this one (creating demo
    issues where a week has none); returns them oldest first. Needs at least one real lesson."""
    real = db.scalars(select(MicroLesson).where(MicroLesson.status == "published")
                      .order_by(MicroLesson.publish_at)).all()
    if not real:
        return []
    this_monday = _monday(to_local(now, tz).replace(tzinfo=None))
    taken = {_monday(to_local(lesson.publish_at, tz).replace(tzinfo=None)) for lesson in real}
    # Weeks after the first real issue continue its numbering (第15期, …); weeks before it
    # are the previous seasons' issues, numbered backwards from it (issues.season_issue).
    first_real = min(taken)
    next_after = max(lesson.issue_no for lesson in real) + 1
    for k in range(weeks):
        monday = this_monday - timedelta(weeks=weeks - 1 - k)
        if monday in taken:
            continue
        source = real[k % len(real)]
        topic = ISSUE_PREFIX.sub("", source.title)
        if monday > first_real:
            issue, next_after = next_after, next_after + 1
        else:
            issue = issues.season_issue(first_real.year, (first_real - monday).days // 7)
        publish = to_utc(monday.replace(hour=8), tz)
        due = to_utc(monday + timedelta(days=6, hours=23, minutes=59), tz)
        db.add(MicroLesson(
            issue_no=issue, slug=f"demo-{monday:%Y-%m-%d}",
            title=f"{issues.issue_name(issue)} {topic}",
            summary=source.summary, body_md=source.body_md, body_html=source.body_html,
            estimated_minutes=source.estimated_minutes, min_read_seconds=source.min_read_seconds,
            publish_at=publish, due_at=due, status="published",
            quiz_id=_copy_quiz(db, source.quiz_id)))
    db.flush()
    start = to_utc(this_monday - timedelta(weeks=weeks - 1), tz)
    rows = db.execute(select(MicroLesson.id, MicroLesson.publish_at, MicroLesson.due_at,
                             MicroLesson.quiz_id)
                      .where(MicroLesson.status == "published", MicroLesson.publish_at >= start,
                             MicroLesson.publish_at <= now)
                      .order_by(MicroLesson.publish_at))
    return [_Lesson(*row) for row in rows]


def _copy_quiz(db: Session, quiz_id: int) -> int:
    """A copy of a quiz and its questions: every lesson has its own quiz, so its statistics,
    review policy and mistakes name that lesson and no other."""
    quiz = db.get(Quiz, quiz_id)
    copy = Quiz(**{c: getattr(quiz, c) for c in QUIZ_COLUMNS})
    db.add(copy)
    db.flush()
    questions = db.scalars(select(Question).where(Question.quiz_id == quiz_id)).all()
    db.add_all(Question(quiz_id=copy.id, **{c: getattr(q, c) for c in QUESTION_COLUMNS})
               for q in questions)
    return copy.id


def build(db: Session, officers: list[tuple[int, int]], seed: int, tz: str, weeks: int,
          points: dict[str, int], progress: Callable[[int], object],
          now: datetime | None = None,
          windows: dict[int, tuple[datetime, datetime]] | None = None) -> int:
    """Attempts, completions, points and mistakes for (user_id, unit_id) officers; returns
    completion rows made. `windows` (user id → joined, left) keeps a joiner's or a leaver's
    history to their time."""
    now = now or utcnow()
    lessons = ensure_weekly_lessons(db, weeks, tz, now)
    if not lessons or not officers:
        return 0
    rng = random.Random(seed)
    book = _Book(answers.Sheets(db, {lesson.quiz_id for lesson in lessons}, rng), points)
    branch_factor: dict[int, float] = {}
    _staging(db)
    # The attempts go to the server while the rest are decided: it parses one chunk of the
    # COPY while this process decides the next (two cores).
    with bulk.stream(db, STAGED_ATTEMPT, STAGED_ATTEMPT_COLUMNS) as send:
        for n, (user_id, unit_id) in enumerate(officers):
            if unit_id not in branch_factor:
                branch_factor[unit_id] = rng.uniform(0.55, 1.0)
            diligence = min(1.0, rng.betavariate(5, 1.6) * branch_factor[unit_id] + 0.15)
            joined, left = (windows or {}).get(user_id, (None, None))
            for lesson in lessons:
                if (joined and lesson.publish_at < joined) or (left and lesson.due_at > left):
                    continue
                row = _outcome(rng, diligence, lesson, now)
                if row is not None:
                    book.passed(rng, user_id, lesson, *row)
                elif (lesson.due_at < now and rng.random() < FAILED_AND_GAVE_UP
                      and book.sheets.can_fail(lesson.quiz_id)):
                    book.failed(rng, user_id, lesson)
            if len(book.attempts) >= 50_000:
                send(book.attempts)
                book.attempts = []
            if n % max(1, len(officers) // 10) == 0:
                progress(4)
        send(book.attempts)
        book.attempts = []
    book.write(db)
    unitstats.rebuild(db)  # bulk-loaded completions: the reports' summary from scratch
    return book.completed


class _Book:
    """The history as it is decided: attempts, each with its answer sheet. Completions,
    points and mistake notebooks follow from them in SQL when written (`write`)."""

    def __init__(self, sheets: answers.Sheets, points: dict[str, int]):
        self.sheets, self.points = sheets, points
        self.attempts: list[tuple] = []  # STAGED_ATTEMPT_COLUMNS, not yet sent
        self.completed = 0
        self._seq = 0

    def passed(self, rng: random.Random, user_id: int, lesson: _Lesson,
               completed_at: datetime, on_time: bool) -> None:
        """A completion: sometimes a failed attempt first, then the passing one."""
        tries = []
        if rng.random() < RETAKE and self.sheets.can_fail(lesson.quiz_id):
            before = completed_at - timedelta(minutes=rng.uniform(5, 60 * 30))
            tries.append((max(before, lesson.publish_at), self.sheets.failing(lesson.quiz_id)))
        tries.append((completed_at, self.sheets.passing(lesson.quiz_id)))
        # What the passing attempt paid; the ledger rows themselves are derived (`_LEDGER`).
        paid = self.points["lesson_on_time" if on_time else "lesson_late"]
        if tries[0][1].score == 100:  # only a perfect first attempt earns the bonus
            paid += self.points["lesson_perfect"]
        self._attempts(rng, user_id, lesson, tries, paid, 240, 480)
        self.completed += 1

    def failed(self, rng: random.Random, user_id: int, lesson: _Lesson) -> None:
        """One failed attempt, never taken again: the lesson stays owed."""
        at = lesson.publish_at + timedelta(seconds=rng.uniform(
            0, (lesson.due_at - lesson.publish_at).total_seconds()))
        sheet = self.sheets.failing(lesson.quiz_id)
        self._attempts(rng, user_id, lesson, [(at.replace(microsecond=0), sheet)], 0, 120, 240)

    def _attempts(self, rng: random.Random, user_id: int, lesson: _Lesson,
                  tries: list[tuple[datetime, answers.Sheet]], paid: int,
                  least: int, spread: int) -> None:
        """The tries' rows; the last carries the completion's time spent on the lesson
        (`least` s plus up to `spread`), the others 0."""
        seq, last = self._seq, len(tries) - 1
        for n, (at, sheet) in enumerate(tries):
            started = at - timedelta(seconds=60 + int(rng.random() * 300))
            if n < last:
                self.attempts.append((seq + n, user_id, lesson.id, n + 1, started, at,
                                      sheet.no, 0, 0))
            else:
                self.attempts.append((seq + n, user_id, lesson.id, n + 1, started, at,
                                      sheet.no, paid if sheet.passed else 0,
                                      least + int(rng.random() * spread)))
        self._seq = seq + last + 1

    def write(self, db: Session) -> None:
        """Everything from the staged attempts, set-based, in bulk (`bulk.loading`: indexes
        and keys checked once after): the attempts joined with their graded sheets, so each
        sheet's JSON travels once; the mistake notebooks (every question answered wrongly:
        how often, when last); the completions (passed or still owed, first and best
        scores, attempts); the points ledger (on time or late, and the bonus for a perfect
        first attempt). As the app would have written them one attempt at a time."""
        pg = db.get_bind().dialect.name == "postgresql"
        graded = self.sheets.graded
        bulk.insert(db, STAGED_SHEET, ("no", "answers", "results", "score", "passed"), [
            (s.no, *((bulk.copy_text(s.answers), bulk.copy_text(s.results)) if pg
                     else (s.answers, s.results)),
             s.score, ("t" if s.passed else "f") if pg else s.passed) for s in graded])
        bulk.insert(db, STAGED_WRONG, ("no", "question_id"),
                    [(s.no, question) for s in graded for question in s.wrong])
        if pg:  # the completions' GROUP BY and the sorts in memory
            db.execute(text("SET LOCAL work_mem = '256MB'"))
        bulk.lock_for_loading(db, LOADED)
        if pg:  # plans from the staged rows' real sizes
            db.execute(text(f"ANALYZE {STAGED_ATTEMPT}, {STAGED_SHEET}, {STAGED_WRONG}"))
        first = (db.scalar(select(func.max(Attempt.id))) or 0) + 1
        _derive(db, Attempt, _ATTEMPTS, {"first": first})
        if pg:  # the ids were given: the sequence continues after them
            db.execute(text("SELECT setval(pg_get_serial_sequence('lms_attempt', 'id'), "
                            "(SELECT max(id) FROM lms_attempt))"))
        _derive(db, Mistake, _MISTAKES)
        _derive(db, Completion, _COMPLETIONS)
        _derive(db, PointsEntry, _LEDGER, {"on_time": self.points["lesson_on_time"],
                                           "late": self.points["lesson_late"],
                                           "perfect": self.points["lesson_perfect"]})
        for table in (STAGED_ATTEMPT, STAGED_SHEET, STAGED_WRONG):
            db.execute(text(f"DROP TABLE {table}"))
        if pg:
            db.execute(text("SET LOCAL work_mem TO DEFAULT"))


def _derive(db: Session, model, statement, params: dict | None = None) -> None:
    """Fill `model`'s table with one INSERT … SELECT from the staged attempts."""
    with bulk.loading(db, model):
        db.execute(statement, params or {})


STAGED_ATTEMPT, STAGED_SHEET, STAGED_WRONG = "demo_attempt", "demo_sheet", "demo_sheet_wrong"
STAGED_ATTEMPT_COLUMNS = ("seq", "user_id", "lesson_id", "n", "started_at", "submitted_at",
                          "sheet", "paid", "spent")


def _staging(db: Session) -> tuple[str, ...]:
    """The temporary tables `_Book.write` stages attempts and sheets in (this session only,
    never logged); returns their names."""
    json, stamp = ("json", "timestamp") if db.get_bind().dialect.name == "postgresql" \
        else ("text", "datetime")
    for ddl in (f"{STAGED_SHEET} (no integer, answers {json}, results {json}, score integer, "
                "passed boolean)",
                f"{STAGED_WRONG} (no integer, question_id integer)",
                f"{STAGED_ATTEMPT} (seq integer, user_id integer, lesson_id integer, "
                f"n integer, started_at {stamp}, submitted_at {stamp}, sheet integer, "
                "paid integer, spent integer)"):
        db.execute(text(f"CREATE TEMPORARY TABLE {ddl}"))
    return STAGED_ATTEMPT, STAGED_SHEET, STAGED_WRONG


# Ids in the order the attempts were made, given rather than drawn: sorting the joined rows
# (~600 bytes each) to draw them in order cost more than writing them.
_ATTEMPTS = text(
    f"INSERT INTO lms_attempt (id, {', '.join(ATTEMPT_COLUMNS)}) "
    "SELECT :first + a.seq, a.user_id, l.quiz_id, 'lesson', a.lesson_id, "
    "'demo-' || a.lesson_id || '-' || a.n, "
    "'submitted', a.started_at, a.submitted_at, s.answers, s.results, s.score, s.passed, "
    f"a.paid FROM {STAGED_ATTEMPT} a JOIN {STAGED_SHEET} s ON s.no = a.sheet "
    "JOIN lms_micro_lesson l ON l.id = a.lesson_id")
_MISTAKES = text(
    f"INSERT INTO lms_mistake ({', '.join(MISTAKE_COLUMNS)}) "
    "SELECT a.user_id, w.question_id, count(*), 0, max(a.submitted_at) "
    f"FROM {STAGED_ATTEMPT} a JOIN {STAGED_WRONG} w ON w.no = a.sheet "
    "GROUP BY a.user_id, w.question_id ORDER BY a.user_id, w.question_id")
# A lesson passed has one passing attempt, its last; one still owed has one failed attempt.
_COMPLETIONS = text(
    f"INSERT INTO lms_completion ({', '.join(COMPLETION_COLUMNS)}) "
    "SELECT a.user_id, 'lesson', a.lesson_id, "
    "CASE WHEN max(CASE WHEN s.passed THEN 1 ELSE 0 END) = 1 THEN 'completed' "
    "ELSE 'in_progress' END, max(CASE WHEN s.passed THEN a.submitted_at END), max(s.score), "
    "count(*), max(a.spent), max(a.submitted_at), max(CASE WHEN a.n = 1 THEN s.score END) "
    f"FROM {STAGED_ATTEMPT} a JOIN {STAGED_SHEET} s ON s.no = a.sheet "
    "GROUP BY a.user_id, a.lesson_id ORDER BY min(a.seq)")
# The ledger of the lessons completed: on time (by the due time) or late, and the bonus
# when the first attempt was perfect; in the order the app pays them.
_LEDGER = text(
    f"INSERT INTO lms_points_ledger ({', '.join(POINTS_COLUMNS)}) "
    "SELECT user_id, rule, points, 'lesson', item_id, at FROM ("
    "SELECT c.id, c.user_id, c.item_id, c.first_completed_at AS at, "
    "CASE WHEN c.first_completed_at <= l.due_at THEN 'lesson_on_time' "
    "ELSE 'lesson_late' END AS rule, "
    "CASE WHEN c.first_completed_at <= l.due_at THEN :on_time ELSE :late END AS points "
    "FROM lms_completion c JOIN lms_micro_lesson l ON l.id = c.item_id "
    "WHERE c.item_type = 'lesson' AND c.status = 'completed' "
    "UNION ALL SELECT c.id, c.user_id, c.item_id, c.first_completed_at, 'lesson_perfect', "
    ":perfect FROM lms_completion c "
    "WHERE c.item_type = 'lesson' AND c.status = 'completed' AND c.first_score = 100"
    ") AS earned ORDER BY id, rule")


def _outcome(rng: random.Random, diligence: float, lesson: _Lesson, now: datetime):
    """(completed_at, on time) or None for an officer who has not done it."""
    if lesson.publish_at > now:
        return None
    roll = rng.random()
    window = (min(lesson.due_at, now) - lesson.publish_at).total_seconds()
    if roll < diligence:  # done within the week
        moment = lesson.publish_at + timedelta(seconds=rng.uniform(0, max(window, 0)))
        if moment > now:
            return None
    elif roll < diligence + (1 - diligence) * 0.45 and lesson.due_at < now:  # late
        moment = lesson.due_at + timedelta(hours=rng.uniform(1, 24 * 10))
        if moment > now:
            return None
    else:
        return None
    return moment.replace(microsecond=0), moment <= lesson.due_at


def _monday(moment: datetime) -> datetime:
    """Midnight of the Monday of `moment`'s week."""
    return (moment - timedelta(days=moment.weekday())).replace(hour=0, minute=0, second=0,
                                                               microsecond=0)
