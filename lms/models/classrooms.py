"""Classroom acceptance checklists, inspectors' scores and decisions, session ratings."""
from datetime import datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class ChecklistItem(Base):
    """One item of a classroom type's acceptance checklist, with its weight; data an admin
    edits. Items dropped from a checklist are retired, so past scores keep their text."""

    __tablename__ = "lms_checklist_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    type_id: Mapped[int] = mapped_column(ForeignKey("lms_classroom_type.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(String(200))
    weight: Mapped[int] = mapped_column(Integer)
    retired: Mapped[bool] = mapped_column(Boolean, default=False)


class ChecklistScore(Base):
    """An inspector's score (0–10) and comment on one checklist item, in one round."""

    __tablename__ = "lms_checklist_score"
    __table_args__ = (UniqueConstraint("classroom_id", "round", "item_id", "inspector_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    classroom_id: Mapped[int] = mapped_column(
        ForeignKey("lms_classroom.id", ondelete="CASCADE"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[int] = mapped_column(ForeignKey("lms_checklist_item.id"))
    inspector_id: Mapped[int] = mapped_column(ForeignKey("lms_user.id"))
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    scored_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ClassroomReview(Base):
    """The decision of one round (accept or return, with comments); one per round. The two
    counties (`policy.county_of`) are kept for the 推磨 rotation."""

    __tablename__ = "lms_classroom_review"
    __table_args__ = (UniqueConstraint("classroom_id", "round"),
                      Index("ix_lms_classroom_review_at", "decided_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    classroom_id: Mapped[int] = mapped_column(ForeignKey("lms_classroom.id", ondelete="CASCADE"))
    round: Mapped[int] = mapped_column(Integer)
    decision: Mapped[str] = mapped_column(String(16))  # accepted | returned
    comment: Mapped[str] = mapped_column(Text, default="")
    score: Mapped[float | None] = mapped_column(Float)  # the weighted score when decided, 0–100
    inspector_id: Mapped[int] = mapped_column(ForeignKey("lms_user.id"))
    inspector_unit_id: Mapped[int] = mapped_column(ForeignKey("lms_unit.id"))
    inspector_county_id: Mapped[int] = mapped_column(ForeignKey("lms_unit.id"))
    applicant_county_id: Mapped[int] = mapped_column(ForeignKey("lms_unit.id"))
    decided_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class SessionRating(Base):
    """An officer's rating (1–5) of a session they attended; one per officer and session.
    Who rated is kept only to enforce that; no page or API shows it."""

    __tablename__ = "lms_session_rating"
    __table_args__ = (UniqueConstraint("session_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("lms_class_session.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("lms_user.id"))
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
