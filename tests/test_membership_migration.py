"""Upgrading a database with data to the membership history changes no report: an account
created after a lesson was due (the old rule counted it) still owes it, and the summary is
recounted under the new rule."""
import tempfile
from datetime import datetime

from dbutil import isolated_database
from sqlalchemy import text

from lms import create_app

BEFORE = "o1_notification_outbox"  # the revision before lms_membership
ROWS = [
    ("lms_unit", "id, code, name, kind, path, depth", "1, 'SZ', '市局', 'bureau', '/1/', 0"),
    ("lms_user", "id, police_no, name, unit_id, is_officer, is_trainer, is_supervisor, "
                 "is_admin, party_member, active, session_version, created_at",
     "1, '100001', '民警', 1, true, false, false, false, false, true, 1, "
     "'2026-06-01 00:00:00'"),
    ("lms_quiz", "id, pass_score, shuffle, partial_credit", "1, 60, false, false"),
    ("lms_micro_lesson", "id, issue_no, slug, title, quiz_id, publish_at, due_at, status, "
                         "summary, body_md, body_html, estimated_minutes, min_read_seconds",
     "1, 1, 'l1', '第1期', 1, '2026-01-01 00:00:00', '2026-01-08 00:00:00', 'published', "
     "'', '', '', 5, 0"),
    ("lms_completion", "user_id, item_type, item_id, status, first_completed_at, best_score, "
                       "attempts, time_spent_seconds, last_activity_at",
     "1, 'lesson', 1, 'completed', '2026-01-05 00:00:00', 90, 1, 0, '2026-01-05 00:00:00'"),
]


def test_the_upgrade_keeps_existing_accounts_owing_what_they_owed():
    with isolated_database(tempfile.mkdtemp(), "upgrade") as config:
        app = create_app({"TESTING": True, "SECRET_KEY": "x" * 40, **config})
        with app.app_context():
            from lms.domain.reports import rollup, unitstats
            from lms.migrate import upgrade
            from lms.models import Unit
            from lms.web import db_session
            upgrade(BEFORE)
            db = db_session()
            for table, columns, values in ROWS:
                db.execute(text(f"INSERT INTO {table} ({columns}) VALUES ({values})"))
            db.commit()
            upgrade()
            try:
                assert unitstats.drift(db) == {}
                report = rollup.completion_by_child(
                    db, db.get(Unit, 1), rollup.Selection(lesson=rollup.find_lesson(db, 1)),
                    datetime(2026, 12, 1))
                assert (report.total.assigned, report.total.completed) == (1, 1)
            finally:
                db.remove()
                app.extensions["lms"].db.engine.dispose()
