"""membership history

lms_membership: each user's unit, officer role and active flag over time, so that who owes
a lesson is decided by membership at its due time; lms_user.joined_at and owes_from (joined
plus the newcomer grace). Existing accounts keep their present state as their whole history
(valid_from and owes_from at EARLIEST), so the upgrade changes no report: they were
counted that way before this rule (docs/WHO-OWES.md). The reports' summary is recounted
under the rule (completions of owed lessons, by the unit owed for).

Revision ID: m1_membership_history
Revises: o1_notification_outbox
Create Date: 2026-12-02 18:45:00
"""
import sqlalchemy as sa
from alembic import op


revision = 'm1_membership_history'
down_revision = 'o1_notification_outbox'
branch_labels = None
depends_on = None

EARLIEST = "2000-01-01 00:00:00"  # before any lesson: "a member all along"


def upgrade():
    op.create_table('lms_membership',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('is_officer', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('valid_from', sa.DateTime(), nullable=False),
    sa.Column('valid_to', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['unit_id'], ['lms_unit.id'], name=op.f('fk_lms_membership_unit_id_lms_unit')),
    sa.ForeignKeyConstraint(['user_id'], ['lms_user.id'], name=op.f('fk_lms_membership_user_id_lms_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lms_membership'))
    )
    with op.batch_alter_table('lms_membership', schema=None) as batch_op:
        batch_op.create_index('ix_lms_membership_unit', ['unit_id'], unique=False)
        batch_op.create_index('ix_lms_membership_user', ['user_id', 'valid_from'], unique=False)
    with op.batch_alter_table('lms_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('joined_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('owes_from', sa.DateTime(), nullable=True))
    earliest = (f"TIMESTAMP '{EARLIEST}'" if op.get_bind().dialect.name == "postgresql"
                else f"'{EARLIEST}'")
    op.execute(f"UPDATE lms_user SET joined_at = created_at, owes_from = {earliest}")
    op.execute("""
        INSERT INTO lms_membership (user_id, unit_id, is_officer, active, valid_from)
        SELECT id, unit_id, is_officer, active, {EARLIEST} FROM lms_user
        WHERE unit_id IS NOT NULL
    """.replace("{EARLIEST}", earliest))
    op.execute("DELETE FROM lms_lesson_unit_stats")
    op.execute("""
        INSERT INTO lms_lesson_unit_stats (lesson_id, unit_id, completed, on_time, score_sum,
                                           scored)
        SELECT c.item_id, m.unit_id, count(*),
               count(CASE WHEN c.first_completed_at <= l.due_at THEN 1 END),
               coalesce(sum(c.best_score), 0), count(c.best_score)
        FROM lms_completion c
        JOIN lms_micro_lesson l ON l.id = c.item_id
        JOIN lms_membership m ON m.user_id = c.user_id AND m.valid_from <= l.due_at
             AND (m.valid_to IS NULL OR m.valid_to > l.due_at) AND m.active AND m.is_officer
        JOIN lms_user u ON u.id = c.user_id AND u.owes_from <= l.due_at
        JOIN lms_unit mu ON mu.id = m.unit_id
        WHERE c.item_type = 'lesson' AND c.status = 'completed'
          AND (NOT EXISTS (SELECT 1 FROM lms_lesson_audience a WHERE a.lesson_id = l.id)
               OR EXISTS (SELECT 1 FROM lms_lesson_audience a
                          JOIN lms_unit au ON au.id = a.unit_id
                          WHERE a.lesson_id = l.id AND mu.path LIKE au.path || '%'))
        GROUP BY c.item_id, m.unit_id
    """)


def downgrade():
    with op.batch_alter_table('lms_user', schema=None) as batch_op:
        batch_op.drop_column('owes_from')
        batch_op.drop_column('joined_at')
    with op.batch_alter_table('lms_membership', schema=None) as batch_op:
        batch_op.drop_index('ix_lms_membership_user')
        batch_op.drop_index('ix_lms_membership_unit')
    op.drop_table('lms_membership')
