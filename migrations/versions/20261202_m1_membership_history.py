"""membership history

lms_membership: each user's unit, officer role and active flag over time, so that who owes
a lesson is decided by membership at its due time; lms_user.joined_at and owes_from (joined
plus the newcomer grace). Existing accounts are taken as members since their creation, with
no grace (they were already counted before this rule); the reports' summary is rebuilt by
the application (`flask lms` commands rebuild it on the next roster change; see
docs/WHO-OWES.md).

Revision ID: m1_membership_history
Revises: 49bc011aa0bd
Create Date: 2026-12-02 18:45:00
"""
import sqlalchemy as sa
from alembic import op


revision = 'm1_membership_history'
down_revision = '49bc011aa0bd'
branch_labels = None
depends_on = None


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
    op.execute("UPDATE lms_user SET joined_at = created_at, owes_from = created_at")
    with op.batch_alter_table('lms_user', schema=None) as batch_op:
        batch_op.alter_column('joined_at', existing_type=sa.DateTime(), nullable=False)
        batch_op.alter_column('owes_from', existing_type=sa.DateTime(), nullable=False)
    op.execute("""
        INSERT INTO lms_membership (user_id, unit_id, is_officer, active, valid_from)
        SELECT id, unit_id, is_officer, active, created_at FROM lms_user
        WHERE unit_id IS NOT NULL
    """)


def downgrade():
    with op.batch_alter_table('lms_user', schema=None) as batch_op:
        batch_op.drop_column('owes_from')
        batch_op.drop_column('joined_at')
    with op.batch_alter_table('lms_membership', schema=None) as batch_op:
        batch_op.drop_index('ix_lms_membership_user')
        batch_op.drop_index('ix_lms_membership_unit')
    op.drop_table('lms_membership')
