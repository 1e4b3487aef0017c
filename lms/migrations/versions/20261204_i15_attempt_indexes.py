"""no plain user_id index on attempts and mistakes

Each was a prefix of a wider index on the same table: (user_id, item_type, item_id, status)
and the (user_id, idempotency_key) constraint on attempts, the (user_id, question_id)
constraint on mistakes, which serve every lookup by officer. Every submitted attempt
maintained them for nothing (docs/PERFORMANCE.md, attempts).

Revision ID: i15_attempt_indexes
Revises: h15_points_user_at
Create Date: 2026-12-04 17:00:00
"""
from alembic import op


revision = 'i15_attempt_indexes'
down_revision = 'h15_points_user_at'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('lms_attempt', schema=None) as batch_op:
        batch_op.drop_index('ix_lms_attempt_user_id')
    with op.batch_alter_table('lms_mistake', schema=None) as batch_op:
        batch_op.drop_index('ix_lms_mistake_user_id')


def downgrade():
    with op.batch_alter_table('lms_mistake', schema=None) as batch_op:
        batch_op.create_index('ix_lms_mistake_user_id', ['user_id'], unique=False)
    with op.batch_alter_table('lms_attempt', schema=None) as batch_op:
        batch_op.create_index('ix_lms_attempt_user_id', ['user_id'], unique=False)
