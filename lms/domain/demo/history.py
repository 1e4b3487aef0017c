"""A year of weekly micro-lessons and the officers' history with them, for the demo; no Flask.

Real lessons (from `courses/`) are kept; the weeks around them without a lesson get a
"往期" issue reusing a real lesson's reading and quiz, so the demo always has a full year
and a lesson for the current week. Outcomes are spread the way a bureau looks: most on
time, some late, some never, with better and worse branches.
"""
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import Completion, MicroLesson, PointsEntry, utcnow
from ..clock import to_local, to_utc
from ..reports import unitstats

ISSUE_PREFIX = re.compile(r"^第\s*\d+\s*期\s*")  # "第10期 " at the start of a title
DEMO_ISSUE_BASE = 1000  # demo-only issues are numbered 1001, 1002, ... (real ones 1..999)
COMPLETION_COLUMNS = ("user_id", "item_type", "item_id", "status", "first_completed_at",
                      "best_score", "attempts", "time_spent_seconds", "last_activity_at",
                      "first_score")
POINTS_COLUMNS = ("user_id", "rule", "points", "source_type", "source_id", "at")


@dataclass(frozen=True)
class _Lesson:
    id: int
    publish_at: datetime
    due_at: datetime


def ensure_weekly_lessons(db: Session, weeks: int, tz: str, now: datetime) -> list[_Lesson]:
    """One published lesson per week for the `weeks` weeks up to this one (creating demo
    issues where a week has none); returns them oldest first. Needs at least one real lesson."""
    real = db.scalars(select(MicroLesson).where(MicroLesson.status == "published")
                      .order_by(MicroLesson.publish_at)).all()
    if not real:
        return []
    this_monday = _monday(to_local(now, tz).replace(tzinfo=None))
    taken = {_monday(to_local(lesson.publish_at, tz).replace(tzinfo=None)) for lesson in real}
    # Weeks after the last real issue continue its numbering (第15期, …); weeks before the
    # first are earlier issues of the column, numbered from 1001 so they never collide.
    last_real = max(taken)
    next_after = max(lesson.issue_no for lesson in real) + 1
    next_before = max(DEMO_ISSUE_BASE, next_after) + 1
    for k in range(weeks):
        monday = this_monday - timedelta(weeks=weeks - 1 - k)
        if monday in taken:
            continue
        source = real[k % len(real)]
        topic = ISSUE_PREFIX.sub("", source.title)
        if monday > last_real:
            issue, title, next_after = next_after, f"第{next_after}期 {topic}", next_after + 1
        else:
            issue, title, next_before = next_before, f"往期 · {topic}", next_before + 1
        publish = to_utc(monday.replace(hour=8), tz)
        due = to_utc(monday + timedelta(days=6, hours=23, minutes=59), tz)
        db.add(MicroLesson(
            issue_no=issue, slug=f"demo-{monday:%Y-%m-%d}", title=title,
            summary=source.summary, body_md=source.body_md, body_html=source.body_html,
            estimated_minutes=source.estimated_minutes, min_read_seconds=source.min_read_seconds,
            publish_at=publish, due_at=due, status="published", quiz_id=source.quiz_id))
    db.flush()
    start = to_utc(this_monday - timedelta(weeks=weeks - 1), tz)
    rows = db.execute(select(MicroLesson.id, MicroLesson.publish_at, MicroLesson.due_at)
                      .where(MicroLesson.status == "published", MicroLesson.publish_at >= start,
                             MicroLesson.publish_at <= now)
                      .order_by(MicroLesson.publish_at))
    return [_Lesson(*row) for row in rows]


def build(db: Session, officers: list[tuple[int, int]], seed: int, tz: str, weeks: int,
          points: dict[str, int], progress: Callable[[int], object],
          now: datetime | None = None) -> int:
    """Completions and points for (user_id, unit_id) officers; returns completion rows made."""
    now = now or utcnow()
    lessons = ensure_weekly_lessons(db, weeks, tz, now)
    if not lessons or not officers:
        return 0
    rng = random.Random(seed)
    branch_factor: dict[int, float] = {}
    completions, ledger = [], []
    for n, (user_id, unit_id) in enumerate(officers):
        if unit_id not in branch_factor:
            branch_factor[unit_id] = rng.uniform(0.55, 1.0)
        diligence = min(1.0, rng.betavariate(5, 1.6) * branch_factor[unit_id] + 0.15)
        for lesson in lessons:
            row = _outcome(rng, diligence, lesson, now)
            if row is None:
                continue
            completed_at, score, on_time = row
            tries = 1 if score >= 80 or rng.random() < 0.7 else 2
            first = score if tries == 1 else 40  # a failed first try (only 60s are retakes)
            completions.append((user_id, "lesson", lesson.id, "completed", completed_at, score,
                                tries, 240 + int(rng.random() * 480), completed_at, first))
            rule = "lesson_on_time" if on_time else "lesson_late"
            ledger.append((user_id, rule, points[rule], "lesson", lesson.id, completed_at))
            if score == 100:
                ledger.append((user_id, "lesson_perfect", points["lesson_perfect"], "lesson",
                               lesson.id, completed_at))
        if n % max(1, len(officers) // 10) == 0:
            progress(4)
    _bulk(db, Completion, COMPLETION_COLUMNS, completions)
    _bulk(db, PointsEntry, POINTS_COLUMNS, ledger)
    unitstats.rebuild(db)  # bulk-loaded completions: the reports' summary from scratch
    return len(completions)


def _outcome(rng: random.Random, diligence: float, lesson: _Lesson, now: datetime):
    """(completed_at, best score, on time) or None for an officer who has not done it."""
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
    pick = rng.random()  # scores of a 5-question quiz that passed: 60, 80 or 100 (2:5:4)
    score = 60 if pick < 2 / 11 else 80 if pick < 7 / 11 else 100
    return moment.replace(microsecond=0), score, moment <= lesson.due_at


def _bulk(db: Session, model, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Insert many rows: COPY on PostgreSQL, executemany elsewhere."""
    if not rows:
        return
    if db.get_bind().dialect.name == "postgresql":
        # COPY in text form, formatted here in large chunks: psycopg's write_row per row
        # costs more than the server's work. Values are ints, plain words and datetimes.
        raw = db.connection().connection.driver_connection
        with raw.cursor() as cursor:
            with cursor.copy(f"COPY {model.__tablename__} ({', '.join(columns)}) FROM STDIN"
                             ) as copy:
                for start in range(0, len(rows), 100_000):
                    copy.write("".join("\t".join(map(str, row)) + "\n"
                                       for row in rows[start:start + 100_000]))
        return
    # SQLite: the driver's executemany with tuples, ~10x faster than ORM dicts. Datetimes are
    # written in SQLAlchemy's own SQLite format so string comparisons in SQL stay right.
    raw = db.connection().connection.driver_connection
    marks = ", ".join("?" * len(columns))
    raw.executemany(f"INSERT INTO {model.__tablename__} ({', '.join(columns)}) VALUES ({marks})",
                    (tuple(_sqlite_value(v) for v in row) for row in rows))


def _sqlite_value(value):
    """A value as SQLAlchemy stores it on SQLite."""
    return value.strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(value, datetime) else value


def _monday(moment: datetime) -> datetime:
    """Midnight of the Monday of `moment`'s week."""
    return (moment - timedelta(days=moment.weekday())).replace(hour=0, minute=0, second=0,
                                                               microsecond=0)
