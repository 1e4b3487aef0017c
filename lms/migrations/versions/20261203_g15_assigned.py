"""assigned lessons in the reports' summary

lms_lesson_unit_stats.assigned: how many officers owe each lesson for each unit (the
membership covering its due time, joined early enough, in its audience), so a quarter
report reads summary rows instead of joining every membership with every lesson
(DESIGN §6). The summary is recounted whole, as `unitstats.rebuild()` does: a row for each
(lesson, unit) owed, with its completions.

Revision ID: g15_assigned
Revises: s15_study_minutes
Create Date: 2026-12-03 16:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'g15_assigned'
down_revision = 's15_study_minutes'
branch_labels = None
depends_on = None

# The officer's half of policy.owes, over membership m, user u and lesson l.
OWES = """m.valid_from <= l.due_at AND (m.valid_to IS NULL OR m.valid_to > l.due_at)
          AND m.active AND m.is_officer AND u.owes_from <= l.due_at"""
# Its audience half, over the member's unit mu.
REACHES = """(NOT EXISTS (SELECT 1 FROM lms_lesson_audience a WHERE a.lesson_id = l.id)
              OR EXISTS (SELECT 1 FROM lms_lesson_audience a
                         JOIN lms_unit au ON au.id = a.unit_id
                         WHERE a.lesson_id = l.id AND mu.path LIKE au.path || '%'))"""


def upgrade():
    with op.batch_alter_table('lms_lesson_unit_stats', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assigned', sa.Integer(), nullable=False,
                                      server_default='0'))
    # The same statement as unitstats.rebuild() over everything, frozen here.
    op.execute("DELETE FROM lms_lesson_unit_stats")
    op.execute(f"""
        INSERT INTO lms_lesson_unit_stats (lesson_id, unit_id, completed, on_time, score_sum,
                                           scored, first_score_sum, first_scored, assigned)
        SELECT owed.lesson_id, owed.unit_id, coalesce(done.completed, 0),
               coalesce(done.on_time, 0), coalesce(done.score_sum, 0),
               coalesce(done.scored, 0), coalesce(done.first_score_sum, 0),
               coalesce(done.first_scored, 0), owed.n
        FROM (SELECT counted.unit_id, counted.lesson_id, counted.n
              FROM (SELECT m.unit_id, l.id AS lesson_id, count(*) AS n
                    FROM lms_membership m
                    JOIN lms_user u ON u.id = m.user_id
                    JOIN lms_micro_lesson l ON {OWES}
                    GROUP BY m.unit_id, l.id) counted
              JOIN lms_micro_lesson l ON l.id = counted.lesson_id
              JOIN lms_unit mu ON mu.id = counted.unit_id
              WHERE {REACHES}) owed
        LEFT JOIN (
            SELECT c.item_id AS lesson_id, m.unit_id, count(*) AS completed,
                   count(CASE WHEN c.first_completed_at <= l.due_at THEN 1 END) AS on_time,
                   coalesce(sum(c.best_score), 0) AS score_sum, count(c.best_score) AS scored,
                   coalesce(sum(c.first_score), 0) AS first_score_sum,
                   count(c.first_score) AS first_scored
            FROM lms_completion c
            JOIN lms_micro_lesson l ON l.id = c.item_id
            JOIN lms_membership m ON m.user_id = c.user_id
            JOIN lms_user u ON u.id = c.user_id
            JOIN lms_unit mu ON mu.id = m.unit_id
            WHERE c.item_type = 'lesson' AND c.status = 'completed' AND {OWES}
              AND {REACHES}
            GROUP BY c.item_id, m.unit_id) done
          ON done.lesson_id = owed.lesson_id AND done.unit_id = owed.unit_id
    """)


def downgrade():
    op.execute("DELETE FROM lms_lesson_unit_stats WHERE completed = 0")
    with op.batch_alter_table('lms_lesson_unit_stats', schema=None) as batch_op:
        batch_op.drop_column('assigned')
