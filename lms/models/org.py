"""The org tree, users, API tokens and the audit log."""
from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow

UNIT_KINDS = ("province", "bureau", "county", "department", "station", "branch")
ROLES = ("officer", "trainer", "supervisor", "admin")


class Unit(Base):
    """A node of the org tree; `path` is the materialized path `/1/7/42/` of ids."""

    __tablename__ = "lms_unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("lms_unit.id"), index=True)
    path: Mapped[str] = mapped_column(String(255), default="")
    depth: Mapped[int] = mapped_column(Integer, default=0)

    parent: Mapped["Unit | None"] = relationship(remote_side=[id])

    # text_pattern_ops lets PostgreSQL use the index for `path LIKE '/1/7/%'` in any collation.
    __table_args__ = (
        Index("ix_lms_unit_path", "path", postgresql_ops={"path": "text_pattern_ops"}),
    )

    def __repr__(self) -> str:
        return f"<Unit {self.code} {self.path}>"


class User(Base):
    """An account: officer, trainer, supervisor or admin (a person may hold several roles)."""

    __tablename__ = "lms_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    police_no: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    unit_id: Mapped[int] = mapped_column(ForeignKey("lms_unit.id"), index=True)
    is_officer: Mapped[bool] = mapped_column(Boolean, default=True)
    is_trainer: Mapped[bool] = mapped_column(Boolean, default=False)
    is_supervisor: Mapped[bool] = mapped_column(Boolean, default=False)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    party_member: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    activation_hash: Mapped[str | None] = mapped_column(String(255))
    activation_expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Bumped on logout and password change: every older session cookie stops working.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    locale: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # When the officer joined the bureau, and the first due time they can owe a lesson at:
    # joined_at plus the newcomer grace in force when they joined (fixed then, so that a later
    # change of the setting never rewrites a past report). Every writer sets both; the
    # columns are nullable only because SQLite cannot make an added column NOT NULL without
    # rebuilding lms_user, which the tables referencing it forbid. NULL owes nothing.
    joined_at: Mapped[datetime | None] = mapped_column(DateTime, default=utcnow)
    owes_from: Mapped[datetime | None] = mapped_column(DateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)

    unit: Mapped[Unit] = relationship(lazy="joined")

    @property
    def roles(self) -> list[str]:
        """Role names in their canonical order."""
        return [r for r in ROLES if getattr(self, f"is_{r}")]

    def has_role(self, role: str) -> bool:
        """Whether the user holds `role`."""
        return bool(getattr(self, f"is_{role}", False))

    def __repr__(self) -> str:
        return f"<User {self.police_no}>"


class Membership(Base):
    """One stretch of a user's history: their unit, officer role and active flag from
    `valid_from` until `valid_to` (None: still so). Who owes a lesson is decided by the row
    that covers its due time (`policy.owes`); every import, move, role change and
    deactivation closes the open row and opens a new one (`org.membership`)."""

    __tablename__ = "lms_membership"
    __table_args__ = (Index("ix_lms_membership_user", "user_id", "valid_from"),
                      Index("ix_lms_membership_unit", "unit_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("lms_user.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("lms_unit.id"))
    is_officer: Mapped[bool] = mapped_column(Boolean)
    active: Mapped[bool] = mapped_column(Boolean)
    valid_from: Mapped[datetime] = mapped_column(DateTime)
    valid_to: Mapped[datetime | None] = mapped_column(DateTime)


class ApiToken(Base):
    """A bearer token; only its SHA-256 is stored."""

    __tablename__ = "lms_api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("lms_user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)

    user: Mapped[User] = relationship()


class AuditEvent(Base):
    """A security-relevant event: logins, role changes, imports, exports."""

    __tablename__ = "lms_audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("lms_user.id"), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str | None] = mapped_column(String(255))
    detail: Mapped[dict | None] = mapped_column(JSON)
    ip: Mapped[str | None] = mapped_column(String(64))

    actor: Mapped[User | None] = relationship()
