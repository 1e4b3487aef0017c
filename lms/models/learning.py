"""What officers do: attempts, completions, points, mistakes, notifications."""
from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow

ITEM_TYPES = ("lesson", "courseware", "session")


class Attempt(Base):
    """One quiz attempt; (user, idempotency_key) is unique so a retry is never counted twice."""

    __tablename__ = "lms_attempt"
    __table_args__ = (
        UniqueConstraint("user_id", "idempotency_key"),
        Index("ix_lms_attempt_item", "item_type", "item_id"),
        # the lesson page's open-attempt lookup (attempts.start)
        Index("ix_lms_attempt_lookup", "user_id", "item_type", "item_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("lms_user.id"))
    quiz_id: Mapped[int] = mapped_column(ForeignKey("lms_quiz.id"))
    item_type: Mapped[str] = mapped_column(String(16))
    item_id: Mapped[int] = mapped_column(Integer)
    idempotency_key: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | submitted
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)
    option_order: Mapped[dict | None] = mapped_column(JSON)
    answers: Mapped[dict | None] = mapped_column(JSON)
    results: Mapped[list | None] = mapped_column(JSON)
    score: Mapped[int | None] = mapped_column(Integer)
    passed: Mapped[bool | None] = mapped_column(Boolean)
    points_awarded: Mapped[int] = mapped_column(Integer, default=0)
    # The questions a bank-drawn quiz gave this attempt, in order; None for fixed questions.
    question_ids: Mapped[list | None] = mapped_column(JSON)


class Completion(Base):
    """One row per (user, item): the learning profile's backbone and the reports' fact table."""

    __tablename__ = "lms_completion"
    __table_args__ = (
        UniqueConstraint("user_id", "item_type", "item_id"),
        Index("ix_lms_completion_item", "item_type", "item_id", "status"),
        # study hours: the few days at a period's edges that the minutes summary leaves
        # (`hours.earned`); completed rows only, index-only on PostgreSQL
        Index("ix_lms_completion_first_completed", "first_completed_at",
              postgresql_include=["user_id", "item_type", "item_id"],
              postgresql_where=text("status = 'completed'"),
              sqlite_where=text("status = 'completed'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("lms_user.id"))
    item_type: Mapped[str] = mapped_column(String(16))
    item_id: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="in_progress")  # in_progress|completed
    first_completed_at: Mapped[datetime | None] = mapped_column(DateTime)
    best_score: Mapped[int | None] = mapped_column(Integer)
    first_score: Mapped[int | None] = mapped_column(Integer)  # the first attempt's, never raised
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    time_spent_seconds: Mapped[int] = mapped_column(Integer, default=0)
    opened_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_activity_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class LessonUnitStats(Base):
    """Assigned and completed weekly lessons per (lesson, unit), counted over the officers
    who owe them for the unit: a summary of lms_membership and lms_completion kept exact by
    `domain.unitstats` (incremented in the transaction that completes a lesson, rebuilt for
    the units or lessons a change touches), so the reports read ~650 rows per lesson
    instead of every membership and completion.

    Derived data, hence no foreign keys: `unitstats.rebuild()` recreates any part of it."""

    __tablename__ = "lms_lesson_unit_stats"

    lesson_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    completed: Mapped[int] = mapped_column(Integer, default=0)
    on_time: Mapped[int] = mapped_column(Integer, default=0)  # first completed by due_at
    score_sum: Mapped[int] = mapped_column(Integer, default=0)  # of the best scores
    scored: Mapped[int] = mapped_column(Integer, default=0)  # completions with a best score
    # the same for the first attempts' scores (the reports' 首次平均分)
    first_score_sum: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    first_scored: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # officers who owe the lesson for the unit (`policy.owed_per_unit`, released or not);
    # no Python default: a completion's increment (a CTE on PostgreSQL) leaves it out
    assigned: Mapped[int] = mapped_column(Integer, server_default="0")


class StudyMinutes(Base):
    """Items first completed per (UTC year, UTC month, officer, item type, item): a summary
    of lms_completion kept exact by `domain.learning.studyminutes` (in the transaction that
    first completes an item), so a year's study hours read one or two rows per officer.
    `month` 0 is the whole year; `item_id` is 0 for lessons (their minutes are a fixed rule)
    and the item's id for courseware and class sessions, whose own minutes are read at
    report time (they may be corrected).

    Derived data, hence no foreign keys: `unitstats.rebuild()` recreates it."""

    __tablename__ = "lms_study_minutes"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    month: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    item_type: Mapped[str] = mapped_column(String(16), primary_key=True)
    item_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    completions: Mapped[int] = mapped_column(Integer, default=0)


class PointsEntry(Base):
    """An append-only line of the points ledger (党建积分); unique per (user, rule, source)."""

    __tablename__ = "lms_points_ledger"
    __table_args__ = (UniqueConstraint("user_id", "rule", "source_type", "source_id"),
                      # the 通报's points per quarter: an index-only range scan on PostgreSQL,
                      # over the whole tree by time, within a bureau of a province by officer
                      # (which also serves every lookup by officer)
                      Index("ix_lms_points_ledger_at", "at",
                            postgresql_include=["user_id", "points"]),
                      Index("ix_lms_points_ledger_user_at", "user_id", "at",
                            postgresql_include=["points"]))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("lms_user.id"))
    rule: Mapped[str] = mapped_column(String(32))
    points: Mapped[int] = mapped_column(Integer)
    source_type: Mapped[str] = mapped_column(String(16))
    source_id: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Mistake(Base):
    """A question the user got wrong (错题本); resolved after two later correct reviews."""

    __tablename__ = "lms_mistake"
    __table_args__ = (UniqueConstraint("user_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("lms_user.id"))
    question_id: Mapped[int] = mapped_column(ForeignKey("lms_question.id"))
    wrong_count: Mapped[int] = mapped_column(Integer, default=1)
    correct_streak: Mapped[int] = mapped_column(Integer, default=0)
    last_wrong_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Where it was last answered wrong: a bank question belongs to no one quiz, so the
    # review policy of this item decides when its key may be practised.
    item_type: Mapped[str | None] = mapped_column(String(16))
    item_id: Mapped[int | None] = mapped_column(Integer)


class Notification(Base):
    """An in-app notification; `dedupe_key` makes each reminder step happen once."""

    __tablename__ = "lms_notification"
    __table_args__ = (UniqueConstraint("user_id", "dedupe_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("lms_user.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str | None] = mapped_column(String(255))
    dedupe_key: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(DateTime)
