"""Catalogue content: categories, courseware, weekly micro-lessons, quizzes, classrooms."""
from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow

STATUSES = ("draft", "in_review", "published", "retired")
QUESTION_KINDS = ("single", "multiple", "true_false", "fill_blank")


class Category(Base):
    """A courseware category (党建课题研究, 党建实务培训, 党内法规解读)."""

    __tablename__ = "lms_category"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)


class Quiz(Base):
    """The quiz of a courseware item or micro-lesson; its questions hold the answer key."""

    __tablename__ = "lms_quiz"

    id: Mapped[int] = mapped_column(primary_key=True)
    pass_score: Mapped[int] = mapped_column(Integer, default=60)
    attempts_allowed: Mapped[int | None] = mapped_column(Integer)
    shuffle: Mapped[bool] = mapped_column(Boolean, default=True)  # option order per attempt
    partial_credit: Mapped[bool] = mapped_column(Boolean, default=False)
    time_limit_seconds: Mapped[int | None] = mapped_column(Integer)
    # when the key and explanations are shown: after_pass | after_due | immediately
    review: Mapped[str] = mapped_column(String(16), default="after_pass",
                                        server_default="after_pass")
    # A quiz drawn from the question banks: [{"tag": T, "count": N, "bank": KEY | None}, ...]
    # in order; None for a quiz of fixed questions (docs/BANKS.md).
    draw_rules: Mapped[list | None] = mapped_column(JSON)

    questions: Mapped[list["Question"]] = relationship(
        order_by="Question.position", cascade="all, delete-orphan", back_populates="quiz")


class Question(Base):
    """One question; `answer` is the key and never leaves the server before submission."""

    __tablename__ = "lms_question"
    __table_args__ = (UniqueConstraint("quiz_id", "key"), UniqueConstraint("bank_id", "key"))

    id: Mapped[int] = mapped_column(primary_key=True)
    # A question belongs to one quiz (fixed questions) or to one bank (drawn by tag).
    quiz_id: Mapped[int | None] = mapped_column(ForeignKey("lms_quiz.id", ondelete="CASCADE"),
                                                index=True)
    bank_id: Mapped[int | None] = mapped_column(ForeignKey("lms_question_bank.id"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(16))
    stem: Mapped[str] = mapped_column(Text)
    options: Mapped[list] = mapped_column(JSON, default=list)  # [[key, text], ...]
    answer: Mapped[object] = mapped_column(JSON)
    explanation: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list] = mapped_column(JSON, default=list)
    # Retired questions stay for the history of attempts and the mistake notebook.
    retired: Mapped[bool] = mapped_column(Boolean, default=False)

    quiz: Mapped[Quiz | None] = relationship(back_populates="questions")


class Courseware(Base):
    """A courseware item (课件): Markdown source, sanitized HTML rendered once at save."""

    __tablename__ = "lms_courseware"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    category_id: Mapped[int] = mapped_column(ForeignKey("lms_category.id"), index=True)
    summary: Mapped[str] = mapped_column(Text, default="")
    body_md: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    search_text: Mapped[str] = mapped_column(Text, default="")
    estimated_minutes: Mapped[int] = mapped_column(Integer, default=5)
    min_read_seconds: Mapped[int] = mapped_column(Integer, default=60)
    featured: Mapped[bool] = mapped_column(Boolean, default=False)
    lecturer: Mapped[str | None] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    quiz_id: Mapped[int | None] = mapped_column(ForeignKey("lms_quiz.id"))
    source_path: Mapped[str | None] = mapped_column(String(255))
    source_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    category: Mapped[Category] = relationship(lazy="joined")
    quiz: Mapped[Quiz | None] = relationship()


class CoursewareRevision(Base):
    """A saved revision of a courseware item, kept for review and history."""

    __tablename__ = "lms_courseware_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    courseware_id: Mapped[int] = mapped_column(
        ForeignKey("lms_courseware.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("lms_user.id"))
    title: Mapped[str] = mapped_column(String(200))
    body_md: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(String(255), default="")


class MicroLesson(Base):
    """One weekly issue (期号) of the 政治练兵小课堂 column: reading + quiz, publish and due."""

    __tablename__ = "lms_micro_lesson"

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_no: Mapped[int] = mapped_column(Integer, unique=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    body_md: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    estimated_minutes: Mapped[int] = mapped_column(Integer, default=8)
    min_read_seconds: Mapped[int] = mapped_column(Integer, default=120)
    publish_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    due_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    status: Mapped[str] = mapped_column(String(16), default="published")
    quiz_id: Mapped[int] = mapped_column(ForeignKey("lms_quiz.id"))
    source_path: Mapped[str | None] = mapped_column(String(255))
    source_hash: Mapped[str | None] = mapped_column(String(64))

    quiz: Mapped[Quiz] = relationship()
    audience: Mapped[list["LessonAudience"]] = relationship(cascade="all, delete-orphan")


class LessonAudience(Base):
    """A unit subtree a lesson is assigned to; a lesson without rows goes to everyone."""

    __tablename__ = "lms_lesson_audience"

    lesson_id: Mapped[int] = mapped_column(
        ForeignKey("lms_micro_lesson.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("lms_unit.id"), primary_key=True)


class ClassroomType(Base):
    """One of the 五大课堂 types; data, so an admin can rename or add one."""

    __tablename__ = "lms_classroom_type"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)


class Classroom(Base):
    """A classroom a branch runs; peers from other units inspect and accept it (推磨式验收)."""

    __tablename__ = "lms_classroom"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    type_id: Mapped[int] = mapped_column(ForeignKey("lms_classroom_type.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("lms_unit.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # applied | returned (with the inspectors' comments) | accepted | retired
    status: Mapped[str] = mapped_column(String(16), default="accepted")
    accepted_by_unit_id: Mapped[int | None] = mapped_column(ForeignKey("lms_unit.id"))
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Each (re-)application is a round: scores and the decision belong to one round.
    round: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    applied_at: Mapped[datetime | None] = mapped_column(DateTime)
    retired_at: Mapped[datetime | None] = mapped_column(DateTime)

    type: Mapped[ClassroomType] = relationship(lazy="joined")


class ClassSession(Base):
    """One session of a classroom; officers check in with its one-time code."""

    __tablename__ = "lms_class_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    classroom_id: Mapped[int] = mapped_column(
        ForeignKey("lms_classroom.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    topic: Mapped[str] = mapped_column(String(200))
    courseware_id: Mapped[int | None] = mapped_column(ForeignKey("lms_courseware.id"))
    checkin_code_hash: Mapped[str | None] = mapped_column(String(64))
    checkin_closes_at: Mapped[datetime | None] = mapped_column(DateTime)
    lecturer_id: Mapped[int | None] = mapped_column(ForeignKey("lms_user.id"), index=True)
    # regular | listening (集中听课: the room plays one featured courseware item)
    kind: Mapped[str] = mapped_column(String(16), default="regular", server_default="regular")
    # its length: the 学时 an attendee earns (docs/POINTS-AND-HOURS.md)
    duration_minutes: Mapped[int] = mapped_column(Integer, default=90, server_default="90")

    classroom: Mapped[Classroom] = relationship()


class Attendance(Base):
    """An officer's check-in at a class session."""

    __tablename__ = "lms_attendance"
    __table_args__ = (UniqueConstraint("session_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("lms_class_session.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("lms_user.id"), index=True)
    checked_in_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
