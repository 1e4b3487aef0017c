"""points ledger indexed by (officer, time)

The 通报 of one bureau inside a province sums its officers' points in the quarter; by
time alone that reads the whole province's quarter (docs/PERFORMANCE.md, province scale).
(user_id, at) INCLUDE (points) reads only the bureau's officers, and replaces the plain
user_id index, whose lookups it serves too, so a write maintains no more indexes.

Revision ID: h15_points_user_at
Revises: g15_assigned
Create Date: 2026-12-03 18:00:00
"""
from alembic import op


revision = 'h15_points_user_at'
down_revision = 'g15_assigned'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('lms_points_ledger', schema=None) as batch_op:
        batch_op.create_index('ix_lms_points_ledger_user_at', ['user_id', 'at'], unique=False,
                              postgresql_include=['points'])
        batch_op.drop_index('ix_lms_points_ledger_user_id')


def downgrade():
    with op.batch_alter_table('lms_points_ledger', schema=None) as batch_op:
        batch_op.create_index('ix_lms_points_ledger_user_id', ['user_id'], unique=False)
        batch_op.drop_index('ix_lms_points_ledger_user_at')
