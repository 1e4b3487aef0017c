"""The first-score migration fills existing rows from the attempts they record, on both
databases: upgrade a fresh database to the revision before it, load history, upgrade."""
import tempfile

from dbutil import isolated_database
from sqlalchemy import text

from lms import create_app
from lms.migrate import upgrade

BEFORE = "49bc011aa0bd"
CONFIG = {"TESTING": True, "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
          "RATELIMIT_STORAGE_URI": "memory://"}
T1, T2 = "2026-11-01 08:00:00", "2026-11-02 08:00:00"


def test_existing_completions_get_their_first_attempts_score():
    with isolated_database(tempfile.mkdtemp(prefix="lms-mig-"), "mig") as config:
        app = create_app({**CONFIG, **config})
        with app.app_context():
            upgrade(BEFORE)
            engine = app.extensions["lms"].db.engine
            with engine.begin() as conn:
                for sql in (
                    "INSERT INTO lms_unit (id, code, name, kind, path, depth) "
                    "VALUES (1, 'B1', '党支部', 'branch', '/1/', 0)",
                    "INSERT INTO lms_user (id, police_no, name, unit_id, is_officer, is_trainer,"
                    " is_supervisor, is_admin, party_member, active, session_version,"
                    " created_at) VALUES (1, '100001', '民警', 1, TRUE, FALSE, FALSE, FALSE,"
                    f" TRUE, TRUE, 0, '{T1}')",
                    "INSERT INTO lms_quiz (id, pass_score, shuffle, partial_credit) "
                    "VALUES (1, 60, FALSE, FALSE)",
                    "INSERT INTO lms_micro_lesson (id, issue_no, slug, title, summary, body_md,"
                    " body_html, estimated_minutes, min_read_seconds, publish_at, due_at, status,"
                    f" quiz_id) VALUES (7, 1, 'w1', '第1期', '', '', '', 5, 0, '{T1}',"
                    " '2026-11-08 08:00:00', 'published', 1)",
                    "INSERT INTO lms_attempt (user_id, quiz_id, item_type, item_id,"
                    " idempotency_key, status, started_at, submitted_at, score, passed,"
                    f" points_awarded) VALUES (1, 1, 'lesson', 7, 'a', 'submitted', '{T1}',"
                    f" '{T1}', 40, FALSE, 0), (1, 1, 'lesson', 7, 'b', 'submitted', '{T2}',"
                    f" '{T2}', 100, TRUE, 5)",
                    "INSERT INTO lms_completion (user_id, item_type, item_id, status,"
                    " first_completed_at, best_score, attempts, time_spent_seconds,"
                    f" last_activity_at) VALUES (1, 'lesson', 7, 'completed', '{T2}', 100, 2,"
                    f" 60, '{T2}'), (1, 'courseware', 3, 'completed', '{T2}', 90, 1, 60,"
                    f" '{T2}')",
                    "INSERT INTO lms_lesson_unit_stats (lesson_id, unit_id, completed, on_time,"
                    " score_sum, scored) VALUES (7, 1, 1, 1, 100, 1)",
                ):
                    conn.execute(text(sql))
            upgrade()
            with engine.connect() as conn:
                firsts = dict(conn.execute(text(
                    "SELECT item_type, first_score FROM lms_completion")).all())
                stats = conn.execute(text("SELECT first_score_sum, first_scored "
                                          "FROM lms_lesson_unit_stats")).one()
                review = conn.execute(text("SELECT review FROM lms_quiz")).scalar()
            engine.dispose()
    # the lesson: its first attempt's 40; courseware without attempts: its best score
    assert firsts == {"lesson": 40, "courseware": 90}
    assert tuple(stats) == (40, 1) and review == "after_pass"
