"""What the demo's year leaves behind besides the history: officers' last sign-ins and the
notifications the reminder job has stored by now; no Flask."""
from datetime import datetime, timedelta

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from ...models import Completion, Notification, User
from ..reminders import escalation, inbox

RUNS = (timedelta(days=14), timedelta(days=7), timedelta(0))  # the reminder job, back then
REMINDERS_READ = ("lms_user", "lms_unit", "lms_membership", "lms_micro_lesson",
                  "lms_lesson_audience", "lms_completion", "lms_notification")


def record(db: Session, now: datetime, tz: str) -> int:
    """Set last sign-ins and store the reminders of the last weeks' runs of the reminder job;
    returns notifications stored."""
    _last_sign_ins(db)
    if db.get_bind().dialect.name == "postgresql":
        # Statistics of the rows just loaded (ANALYZE counts this transaction's own rows):
        # without them the reminder queries plan nested loops over millions of rows. Only
        # the tables they read: sampling the attempts (800 MB at 30,000 officers) took
        # seconds and nothing here reads them; autovacuum analyses them after the commit.
        db.execute(text(f"ANALYZE {', '.join(REMINDERS_READ)}"))
    for ago in RUNS:
        moment = now - ago
        for step in escalation.STEPS:
            drafts = escalation.plan_step(db, step, moment, tz)
            inbox.store_quietly(db, drafts, at=moment)
        # Most have read what came in earlier weeks; a third of the officers (by id, so the
        # same each time) have read this week's too. The rest see the unread badge.
        readers = Notification.user_id % (5 if ago else 3)
        db.execute(update(Notification)
                   .where(Notification.created_at == moment,
                          readers != 0 if ago else readers == 0)
                   .values(read_at=moment + min(ago, timedelta(hours=3)))
                   .execution_options(synchronize_session=False))
    return db.scalar(select(func.count()).select_from(Notification))


def _last_sign_ins(db: Session) -> None:
    """An officer last signed in when they last did something (an attempt, a reading); one
    who never did anything has never signed in ("从未登录" on the not-yet-done lists)."""
    last = (select(func.max(Completion.last_activity_at))
            .where(Completion.user_id == User.id).correlate(User).scalar_subquery())
    db.execute(update(User).values(last_login_at=last)
               .execution_options(synchronize_session=False))
