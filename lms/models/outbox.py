"""The notification outbox: one delivery row per notification that leaves the LMS."""
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow

DELIVERY_STATES = ("pending", "failed", "delivered", "dead")


class NotificationDelivery(Base):
    """A notification's way to the messaging platform: pending → delivered, or failed and
    retried at `next_attempt_at` until it is delivered or dead (attempts used up)."""

    __tablename__ = "lms_notification_delivery"
    __table_args__ = (
        CheckConstraint("state IN ('pending', 'failed', 'delivered', 'dead')", name="state"),
        # The due rows (pending/failed by next try) and the per-state counts of a run.
        Index("ix_lms_notification_delivery_due", "state", "next_attempt_at"),
    )

    notification_id: Mapped[int] = mapped_column(
        ForeignKey("lms_notification.id", ondelete="CASCADE"), primary_key=True)
    # Random, not the notification id: a restored or second database cannot reuse it, and
    # it stays the same on every try so the gateway can drop a duplicate.
    idempotency_key: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
