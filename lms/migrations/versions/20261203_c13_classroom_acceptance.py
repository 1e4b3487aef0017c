"""classroom acceptance checklists, decisions, lecturers and session ratings

lms_classroom: round (each re-application), applied_at, retired_at.
lms_class_session: lecturer_id (党员讲师), kind (regular | listening, 集中听课).
lms_checklist_item, lms_checklist_score, lms_classroom_review, lms_session_rating: new.

Revision ID: c13_classroom_acceptance
Revises: p13_points_claims_hours
Create Date: 2026-12-03 08:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'c13_classroom_acceptance'
down_revision = 'p13_points_claims_hours'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('lms_classroom', schema=None) as batch_op:
        batch_op.add_column(sa.Column('round', sa.Integer(), nullable=False,
                                      server_default='1'))
        batch_op.add_column(sa.Column('applied_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('retired_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('lms_class_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lecturer_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('kind', sa.String(length=16), nullable=False,
                                      server_default='regular'))
        batch_op.create_index(batch_op.f('ix_lms_class_session_lecturer_id'), ['lecturer_id'],
                              unique=False)
        batch_op.create_foreign_key('fk_lms_class_session_lecturer_id_lms_user', 'lms_user',
                                    ['lecturer_id'], ['id'])
    op.create_table(
        'lms_checklist_item',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('type_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('text', sa.String(length=200), nullable=False),
        sa.Column('weight', sa.Integer(), nullable=False),
        sa.Column('retired', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['type_id'], ['lms_classroom_type.id']),
        sa.PrimaryKeyConstraint('id'))
    with op.batch_alter_table('lms_checklist_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lms_checklist_item_type_id'), ['type_id'],
                              unique=False)
    op.create_table(
        'lms_checklist_score',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('classroom_id', sa.Integer(), nullable=False),
        sa.Column('round', sa.Integer(), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.Column('inspector_id', sa.Integer(), nullable=False),
        sa.Column('score', sa.Integer(), nullable=False),
        sa.Column('comment', sa.Text(), nullable=False),
        sa.Column('scored_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['classroom_id'], ['lms_classroom.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['inspector_id'], ['lms_user.id']),
        sa.ForeignKeyConstraint(['item_id'], ['lms_checklist_item.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('classroom_id', 'round', 'item_id', 'inspector_id'))
    with op.batch_alter_table('lms_checklist_score', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lms_checklist_score_classroom_id'),
                              ['classroom_id'], unique=False)
    op.create_table(
        'lms_classroom_review',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('classroom_id', sa.Integer(), nullable=False),
        sa.Column('round', sa.Integer(), nullable=False),
        sa.Column('decision', sa.String(length=16), nullable=False),
        sa.Column('comment', sa.Text(), nullable=False),
        sa.Column('score', sa.Float(), nullable=True),
        sa.Column('inspector_id', sa.Integer(), nullable=False),
        sa.Column('inspector_unit_id', sa.Integer(), nullable=False),
        sa.Column('inspector_county_id', sa.Integer(), nullable=False),
        sa.Column('applicant_county_id', sa.Integer(), nullable=False),
        sa.Column('decided_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['classroom_id'], ['lms_classroom.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['inspector_id'], ['lms_user.id']),
        sa.ForeignKeyConstraint(['inspector_unit_id'], ['lms_unit.id']),
        sa.ForeignKeyConstraint(['inspector_county_id'], ['lms_unit.id']),
        sa.ForeignKeyConstraint(['applicant_county_id'], ['lms_unit.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('classroom_id', 'round'))
    with op.batch_alter_table('lms_classroom_review', schema=None) as batch_op:
        batch_op.create_index('ix_lms_classroom_review_at', ['decided_at'], unique=False)
    op.create_table(
        'lms_session_rating',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('score', sa.Integer(), nullable=False),
        sa.Column('comment', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['session_id'], ['lms_class_session.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['lms_user.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('session_id', 'user_id'))
    with op.batch_alter_table('lms_session_rating', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lms_session_rating_session_id'), ['session_id'],
                              unique=False)


def downgrade():
    op.drop_table('lms_session_rating')
    op.drop_table('lms_classroom_review')
    op.drop_table('lms_checklist_score')
    op.drop_table('lms_checklist_item')
    with op.batch_alter_table('lms_class_session', schema=None) as batch_op:
        batch_op.drop_constraint('fk_lms_class_session_lecturer_id_lms_user', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_lms_class_session_lecturer_id'))
        batch_op.drop_column('kind')
        batch_op.drop_column('lecturer_id')
    with op.batch_alter_table('lms_classroom', schema=None) as batch_op:
        batch_op.drop_column('retired_at')
        batch_op.drop_column('applied_at')
        batch_op.drop_column('round')
