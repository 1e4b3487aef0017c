"""Points beyond quizzes (党建积分申报): rules, officers' requests with evidence, the
per-period counters that hold the caps."""
from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow
from .org import Unit, User

CAP_PERIODS = ("quarter", "year")
REQUESTERS = ("any", "lecturer")  # lecturer: trainers (党员讲师) only
APPROVERS = ("branch", "county")  # the requester's branch's secretaries, or their county's
CLAIM_STATES = ("requested", "approved", "returned", "reversed")


class PointsRule(Base):
    """A kind of activity the platform cannot observe, its points, cap and approver; data."""

    __tablename__ = "lms_points_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(32), unique=True)  # also the ledger's rule
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    points: Mapped[int] = mapped_column(Integer)
    cap: Mapped[int] = mapped_column(Integer)  # most points per officer per period
    cap_period: Mapped[str] = mapped_column(String(8), default="quarter")
    requesters: Mapped[str] = mapped_column(String(16), default="any")
    approver: Mapped[str] = mapped_column(String(16), default="branch")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class PointsClaim(Base):
    """An officer's request for a rule's points, with a note and an image as evidence."""

    __tablename__ = "lms_points_claim"
    __table_args__ = (Index("ix_lms_points_claim_approver", "approver_unit_id", "status"),
                      Index("ix_lms_points_claim_user", "user_id", "requested_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("lms_user.id"))
    rule_id: Mapped[int] = mapped_column(ForeignKey("lms_points_rule.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("lms_unit.id"))  # the requester's, then
    approver_unit_id: Mapped[int] = mapped_column(ForeignKey("lms_unit.id"))
    occurred_on: Mapped[date] = mapped_column(Date)
    period_key: Mapped[str] = mapped_column(String(8))  # 2026Q4 or 2026: the cap's period
    points: Mapped[int] = mapped_column(Integer)  # the rule's points when requested
    note: Mapped[str] = mapped_column(Text, default="")
    evidence_name: Mapped[str] = mapped_column(String(64))  # a random file name
    evidence_type: Mapped[str] = mapped_column(String(16))  # image/jpeg | image/png
    evidence_bytes: Mapped[int] = mapped_column(Integer)
    evidence_width: Mapped[int] = mapped_column(Integer)
    evidence_height: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="requested")
    reason: Mapped[str] = mapped_column(Text, default="")  # why returned or reversed
    requested_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("lms_user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)

    rule: Mapped[PointsRule] = relationship(lazy="joined")
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    unit: Mapped[Unit] = relationship(foreign_keys=[unit_id])


class PointsQuota(Base):
    """Points reserved per (officer, rule, period) by pending and approved claims: the row
    that a conditional UPDATE locks, so a cap holds under concurrent requests."""

    __tablename__ = "lms_points_quota"

    user_id: Mapped[int] = mapped_column(ForeignKey("lms_user.id"), primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("lms_points_rule.id"), primary_key=True)
    period_key: Mapped[str] = mapped_column(String(8), primary_key=True)
    used: Mapped[int] = mapped_column(Integer, default=0)
