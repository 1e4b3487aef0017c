"""A year of weekly micro-lessons and the officers' history with them, for the demo; no Flask.

Real lessons (from `courses/`) are kept; the weeks around them without a lesson get a demo
issue reusing a real lesson's reading and a copy of its quiz, so the demo always has a full
year and a lesson for the current week. Outcomes are spread the way a bureau looks: most on
time, some late, some never, with better and worse branches. Every completion comes from
graded attempts (a few failed first), so the attempts, completions, points, mistake
notebooks and the reports' summary agree as if the year had been lived through the app.
"""
import bisect
import random
import re
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from ...models import Attempt, Completion, MicroLesson, Mistake, PointsEntry, Question, Quiz, utcnow
from ..clock import to_local, to_utc
from ..learning import issues
from ..reports import unitstats
from . import answers, bulk, historyrows

ISSUE_PREFIX = re.compile(r"^第\s*\d+\s*期\s*")  # "第10期 " at the start of a title
RETAKE = 0.08  # completions whose first attempt failed
FAILED_AND_GAVE_UP = 0.15  # of the lessons an officer owes still: one failed attempt
QUIZ_COLUMNS = ("pass_score", "attempts_allowed", "shuffle", "partial_credit",
                "time_limit_seconds", "review")
QUESTION_COLUMNS = ("key", "position", "kind", "stem", "options", "answer", "explanation",
                    "tags", "retired")
LOADED = (Attempt, Completion, Mistake, PointsEntry)  # the tables `build` bulk-loads


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
    book = _Book(answers.Sheets(db, {lesson.quiz_id for lesson in lessons}, rng), lessons,
                 points, now, windows or {})
    historyrows.staging(db, book.sheets.graded)
    if db.get_bind().dialect.name == "postgresql":  # the staged attempts' join in memory
        db.execute(text("SET LOCAL work_mem = '256MB'"))
    bulk.lock_for_loading(db, LOADED)
    first = (db.scalar(select(func.max(Attempt.id))) or 0) + 1
    ticks = max(1, len(officers) // 10)
    with ExitStack() as loads:
        loads.enter_context(historyrows.no_cycle_collection())
        for model in LOADED:  # indexes and keys once, after every chunk is in
            loads.enter_context(bulk.loading(db, model))
        # The server writes one chunk while this process decides the next (two cores).
        with historyrows.writer(db, first, points) as write:
            for start in range(0, len(officers), CHUNK):
                for n, (user_id, unit_id) in enumerate(officers[start:start + CHUNK], start):
                    book.officer(rng, user_id, unit_id)
                    if n % ticks == 0:
                        progress(4)
                write(book.take())
    postgres = db.get_bind().dialect.name == "postgresql"
    if postgres:  # the ids were given: continue after them
        db.execute(text("SELECT setval(pg_get_serial_sequence('lms_attempt', 'id'), "
                        "(SELECT max(id) FROM lms_attempt))"))
        # Statistics of the rows just loaded (ANALYZE counts this transaction's own rows) for
        # the rebuild: without any, PostgreSQL guesses two completions per lesson and
        # fetches each of a province's 13 M by index with a lookup per officer and
        # membership (191 s at 300,000 officers; 14 s with them).
        db.execute(text(f"ANALYZE {', '.join(unitstats.REBUILD_READS)}"))
    for table in (historyrows.STAGED_ATTEMPT, historyrows.STAGED_SHEET):
        db.execute(text(f"DROP TABLE {table}"))
    # bulk-loaded completions: the reports' summary from scratch, its hashes and sorts
    # still in the load's work_mem (at the default they spill ~600 MB at a province)
    unitstats.rebuild(db)
    if postgres:
        db.execute(text("SET LOCAL work_mem TO DEFAULT"))
    return book.completed


CHUNK = 5_000  # officers decided and written at a time (memory stays flat)


class _Book:
    """The history as it is decided: the attempts (narrow, each with the number of its
    graded answer sheet), and the completions, points ledger and mistake notebooks that
    follow from them, as the app would have written them one attempt at a time. Times are
    `bulk` stamps (whole seconds)."""

    def __init__(self, sheets: answers.Sheets, lessons: list[_Lesson], points: dict[str, int],
                 now: datetime, windows: dict[int, tuple[datetime, datetime]]):
        self.sheets, self.points, self.now = sheets, points, bulk.stamp(now)
        # Per lesson what every decision needs, drawn tables included (no lookups per cell).
        self.lessons = [(lesson.id, bulk.stamp(lesson.publish_at), bulk.stamp(lesson.due_at),
                         sheets.table(lesson.quiz_id, True),
                         sheets.table(lesson.quiz_id, False) if sheets.can_fail(lesson.quiz_id)
                         else None)
                        for lesson in lessons if lesson.publish_at <= now]
        self.windows = {user: (bulk.stamp(joined) if joined else None,
                               bulk.stamp(left) if left else None)
                        for user, (joined, left) in windows.items()}
        self.branch_factor: dict[int, float] = {}
        self.completed = 0
        self._seq = 0
        self.attempts: list[tuple] = []  # the rows of the next `_Part`
        self.done: list[tuple] = []
        self.owed: list[tuple] = []
        self.ledger: dict[str, list[tuple]] = {rule: [] for rule in points}
        self.mistakes: list[tuple] = []

    def take(self) -> historyrows.Part:
        """The rows decided since the last call."""
        part = historyrows.Part(self.attempts, self.done, self.owed, self.ledger, self.mistakes)
        self.attempts, self.done, self.owed, self.mistakes = [], [], [], []
        self.ledger = {rule: [] for rule in self.points}
        return part

    def officer(self, rng: random.Random, user_id: int, unit_id: int) -> None:
        """One officer's year: per lesson done on time, late, tried and failed, or not."""
        if unit_id not in self.branch_factor:
            self.branch_factor[unit_id] = rng.uniform(0.55, 1.0)
        diligence = min(1.0, rng.betavariate(5, 1.6) * self.branch_factor[unit_id] + 0.15)
        late_below = diligence + (1 - diligence) * 0.45
        joined, left = self.windows.get(user_id, (None, None))
        now, random_, uniform = self.now, rng.random, rng.uniform
        wrong: dict[int, list[int]] = {}  # question → [times wrong, last wrong]
        for lesson_id, publish, due, passing, failing in self.lessons:
            if (joined and publish < joined) or (left and due > left):
                continue
            roll = random_()
            if roll < diligence:  # done within the week
                window = min(due, now) - publish
                moment = publish + int(uniform(0, max(window, 0)) / SECOND) * SECOND
            elif roll < late_below and due < now:  # late
                moment = due + int(uniform(3600, 3600 * 24 * 10)) * SECOND
            else:
                moment = None
            if moment is not None and moment <= now:
                tries = []
                if failing and random_() < RETAKE:
                    before = moment - int(uniform(5 * 60, 60 * 60 * 30)) * SECOND
                    tries.append((max(before, publish), _draw(random_, failing)))
                tries.append((moment, _draw(random_, passing)))
                self._completed(random_, user_id, lesson_id, due, tries, wrong)
            elif due < now and failing and random_() < FAILED_AND_GAVE_UP:
                at = publish + int(uniform(0, due - publish) / SECOND) * SECOND
                self._owed(random_, user_id, lesson_id, at, _draw(random_, failing), wrong)
        self.mistakes += [(user_id, question, *wrong[question]) for question in sorted(wrong)]

    def _completed(self, random_, user_id: int, lesson_id: int, due: int,
                   tries: list[tuple[int, answers.Sheet]], wrong: dict) -> None:
        """A completion: its attempts (a failed one first, sometimes), its ledger lines (on
        time or late, and the bonus for a perfect first attempt)."""
        at, sheet = tries[-1]
        rule = "lesson_on_time" if at <= due else "lesson_late"
        paid = self.points[rule]
        first_score = tries[0][1].score
        if first_score == 100:
            paid += self.points["lesson_perfect"]
            self.ledger["lesson_perfect"].append((user_id, lesson_id, at))
        self.ledger[rule].append((user_id, lesson_id, at))
        spent = self._attempts(random_, user_id, lesson_id, tries, paid, 240, 480, wrong)
        self.done.append((user_id, lesson_id, at, max(first_score, sheet.score), len(tries),
                          spent, at, first_score))
        self.completed += 1

    def _owed(self, random_, user_id: int, lesson_id: int, at: int, sheet: answers.Sheet,
              wrong: dict) -> None:
        """One failed attempt, never taken again: the lesson stays owed."""
        spent = self._attempts(random_, user_id, lesson_id, [(at, sheet)], 0, 120, 240, wrong)
        self.owed.append((user_id, lesson_id, sheet.score, spent, at, sheet.score))

    def _attempts(self, random_, user_id: int, lesson_id: int,
                  tries: list[tuple[int, answers.Sheet]], paid: int, least: int, spread: int,
                  wrong: dict) -> int:
        """The tries' staged rows; returns the time spent on the lesson (`least` s plus up
        to `spread`), which the last carries (the others 0)."""
        last = len(tries) - 1
        spent = least + int(random_() * spread)
        for n, (at, sheet) in enumerate(tries):
            self.attempts.append((self._seq, user_id, lesson_id, n + 1,
                                  at - (60 + int(random_() * 300)) * SECOND, at, sheet.no,
                                  paid if n == last and sheet.passed else 0))
            self._seq += 1
            for question in sheet.wrong:
                seen = wrong.get(question)
                if seen is None:
                    wrong[question] = [1, at]
                else:
                    seen[0] += 1
                    seen[1] = max(seen[1], at)
        return spent


def _draw(random_, table: tuple[list[float], list[answers.Sheet]]) -> answers.Sheet:
    cumulative, sheets = table
    return sheets[bisect.bisect(cumulative, random_() * cumulative[-1])]


SECOND = 1_000_000  # in stamps
def _monday(moment: datetime) -> datetime:
    """Midnight of the Monday of `moment`'s week."""
    return (moment - timedelta(days=moment.weekday())).replace(hour=0, minute=0, second=0,
                                                               microsecond=0)
