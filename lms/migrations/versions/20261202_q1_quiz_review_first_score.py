"""quiz review policy, first-attempt scores

lms_quiz.review: when an officer may see the key (after_pass | after_due | immediately).
lms_completion.first_score: the first attempt's score, kept beside the best one.
lms_lesson_unit_stats.first_score_sum / first_scored: the first scores of completed lessons,
so the reports average first attempts as they average best scores.

Revision ID: q1_quiz_review_first_score
Revises: o1_notification_outbox
Create Date: 2026-12-02 18:50:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'q1_quiz_review_first_score'
down_revision = 'o1_notification_outbox'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('lms_quiz', schema=None) as batch_op:
        batch_op.add_column(sa.Column('review', sa.String(length=16), nullable=False,
                                      server_default='after_pass'))
    with op.batch_alter_table('lms_completion', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_score', sa.Integer(), nullable=True))
    with op.batch_alter_table('lms_lesson_unit_stats', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_score_sum', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('first_scored', sa.Integer(), nullable=False,
                                      server_default='0'))
    # Existing rows: the first submitted attempt's score is known from lms_attempt.
    op.execute("""
        UPDATE lms_completion SET first_score = (
            SELECT a.score FROM lms_attempt a
            WHERE a.user_id = lms_completion.user_id AND a.item_type = lms_completion.item_type
              AND a.item_id = lms_completion.item_id AND a.status = 'submitted'
            ORDER BY a.submitted_at, a.id LIMIT 1)
        WHERE best_score IS NOT NULL""")
    op.execute("UPDATE lms_completion SET first_score = best_score "
               "WHERE first_score IS NULL AND best_score IS NOT NULL")
    # The summary table's first-score sums, counted as unitstats.recount counts them.
    counted = """
        FROM lms_completion c JOIN lms_user u ON u.id = c.user_id
        WHERE c.item_type = 'lesson' AND c.item_id = lms_lesson_unit_stats.lesson_id
          AND c.status = 'completed' AND u.unit_id = lms_lesson_unit_stats.unit_id
          AND u.active = TRUE AND u.is_officer = TRUE"""
    op.execute(f"""
        UPDATE lms_lesson_unit_stats SET
          first_score_sum = COALESCE((SELECT SUM(c.first_score) {counted}), 0),
          first_scored = (SELECT COUNT(c.first_score) {counted})""")


def downgrade():
    with op.batch_alter_table('lms_lesson_unit_stats', schema=None) as batch_op:
        batch_op.drop_column('first_scored')
        batch_op.drop_column('first_score_sum')
    with op.batch_alter_table('lms_completion', schema=None) as batch_op:
        batch_op.drop_column('first_score')
    with op.batch_alter_table('lms_quiz', schema=None) as batch_op:
        batch_op.drop_column('review')
