"""The audit log of security-relevant events; no Flask."""
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import AuditEvent


def record(db: Session, action: str, *, actor_id: int | None = None, target: str | None = None,
           detail: dict | None = None, ip: str | None = None) -> None:
    """Add an audit event to the current transaction."""
    if target is not None:
        # Targets often echo client input (a police number typed at login): keep it storable.
        target = target.replace("\x00", "\ufffd")[:255]
    db.add(AuditEvent(action=action, actor_id=actor_id, target=target, detail=detail, ip=ip))


def last_at(db: Session, action: str) -> datetime | None:
    """When `action` was last recorded (naive UTC), or None."""
    return db.scalar(select(func.max(AuditEvent.at)).where(AuditEvent.action == action))
