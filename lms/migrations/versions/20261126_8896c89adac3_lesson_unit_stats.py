"""lesson unit stats

lms_lesson_unit_stats: completed weekly lessons per (lesson, unit) over the active officers
now in each unit (kept exact by lms.domain.unitstats), filled here from lms_completion so an
existing database starts consistent; and an index on lms_points_ledger (at) for the 通报's
points per quarter (index-only on PostgreSQL thanks to INCLUDE).

Revision ID: 8896c89adac3
Revises: 52413bd90178
Create Date: 2026-11-26 23:30:52.569277
"""
import sqlalchemy as sa
from alembic import op


revision = '8896c89adac3'
down_revision = '52413bd90178'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('lms_lesson_unit_stats',
    sa.Column('lesson_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('completed', sa.Integer(), nullable=False),
    sa.Column('on_time', sa.Integer(), nullable=False),
    sa.Column('score_sum', sa.Integer(), nullable=False),
    sa.Column('scored', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('lesson_id', 'unit_id', name=op.f('pk_lms_lesson_unit_stats'))
    )
    with op.batch_alter_table('lms_points_ledger', schema=None) as batch_op:
        batch_op.create_index('ix_lms_points_ledger_at', ['at'], unique=False,
                              postgresql_include=['user_id', 'points'])
    # The same statement as unitstats.rebuild() over everything, frozen here.
    op.execute(sa.text("""
        INSERT INTO lms_lesson_unit_stats (lesson_id, unit_id, completed, on_time, score_sum,
                                           scored)
        SELECT c.item_id, u.unit_id, count(*),
               count(CASE WHEN c.first_completed_at <= l.due_at THEN 1 END),
               coalesce(sum(c.best_score), 0), count(c.best_score)
        FROM lms_completion c
        JOIN lms_user u ON u.id = c.user_id
        JOIN lms_micro_lesson l ON l.id = c.item_id
        WHERE c.item_type = 'lesson' AND c.status = 'completed' AND u.active AND u.is_officer
        GROUP BY c.item_id, u.unit_id
    """))


def downgrade():
    with op.batch_alter_table('lms_points_ledger', schema=None) as batch_op:
        batch_op.drop_index('ix_lms_points_ledger_at', postgresql_include=['user_id', 'points'])

    op.drop_table('lms_lesson_unit_stats')
