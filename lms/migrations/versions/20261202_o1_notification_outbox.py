"""notification outbox

lms_notification_delivery: one row per notification that goes to the messaging platform,
written in the same transaction as the notification; `flask lms deliver` sends the due ones
and retries failures with backoff until delivered or dead (docs/NOTIFICATIONS.md).

Revision ID: o1_notification_outbox
Revises: 49bc011aa0bd
Create Date: 2026-12-02 18:50:00
"""
import sqlalchemy as sa
from alembic import op


revision = 'o1_notification_outbox'
down_revision = '49bc011aa0bd'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('lms_notification_delivery',
    sa.Column('notification_id', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=True),
    sa.Column('last_attempt_at', sa.DateTime(), nullable=True),
    sa.Column('delivered_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("state IN ('pending', 'failed', 'delivered', 'dead')",
                       name=op.f('ck_lms_notification_delivery_state')),
    sa.ForeignKeyConstraint(['notification_id'], ['lms_notification.id'],
                            name=op.f('fk_lms_notification_delivery_notification_id_lms_notification'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('notification_id', name=op.f('pk_lms_notification_delivery'))
    )
    with op.batch_alter_table('lms_notification_delivery', schema=None) as batch_op:
        batch_op.create_index('ix_lms_notification_delivery_due', ['state', 'next_attempt_at'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('lms_notification_delivery', schema=None) as batch_op:
        batch_op.drop_index('ix_lms_notification_delivery_due')

    op.drop_table('lms_notification_delivery')
