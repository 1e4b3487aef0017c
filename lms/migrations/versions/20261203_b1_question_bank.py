"""question banks and per-attempt draws

lms_question_bank: named banks of shared questions (courses/banks/<key>.yml or an Excel
import). lms_question.bank_id: a bank question has a bank and no quiz, so quiz_id becomes
nullable; keys are unique per bank as they are per quiz. lms_quiz.draw_rules: "draw N from
tag T [in bank B]" rules (null for a quiz of fixed questions). lms_attempt.question_ids:
the questions an attempt drew. lms_mistake.item_type/item_id: where a question was last
answered wrong, whose review policy decides when a bank question may be practised.

Revision ID: b1_question_bank
Revises: q1_quiz_review_first_score
Create Date: 2026-12-03 08:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'b1_question_bank'
down_revision = 'q1_quiz_review_first_score'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'lms_question_bank',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('source_path', sa.String(length=255), nullable=True),
        sa.Column('source_hash', sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_lms_question_bank')),
        sa.UniqueConstraint('key', name=op.f('uq_lms_question_bank_key')))
    with op.batch_alter_table('lms_question', schema=None) as batch_op:
        batch_op.alter_column('quiz_id', existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column('bank_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_lms_question_bank_id_lms_question_bank'),
                                    'lms_question_bank', ['bank_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_lms_question_bank_id'), ['bank_id'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_lms_question_bank_id_key'),
                                          ['bank_id', 'key'])
    with op.batch_alter_table('lms_quiz', schema=None) as batch_op:
        batch_op.add_column(sa.Column('draw_rules', sa.JSON(), nullable=True))
    with op.batch_alter_table('lms_attempt', schema=None) as batch_op:
        batch_op.add_column(sa.Column('question_ids', sa.JSON(), nullable=True))
    with op.batch_alter_table('lms_mistake', schema=None) as batch_op:
        batch_op.add_column(sa.Column('item_type', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('item_id', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('lms_mistake', schema=None) as batch_op:
        batch_op.drop_column('item_id')
        batch_op.drop_column('item_type')
    with op.batch_alter_table('lms_attempt', schema=None) as batch_op:
        batch_op.drop_column('question_ids')
    with op.batch_alter_table('lms_quiz', schema=None) as batch_op:
        batch_op.drop_column('draw_rules')
    op.execute("DELETE FROM lms_question WHERE quiz_id IS NULL")
    with op.batch_alter_table('lms_question', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_lms_question_bank_id_key'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_lms_question_bank_id'))
        batch_op.drop_constraint(batch_op.f('fk_lms_question_bank_id_lms_question_bank'),
                                 type_='foreignkey')
        batch_op.drop_column('bank_id')
        batch_op.alter_column('quiz_id', existing_type=sa.Integer(), nullable=False)
    op.drop_table('lms_question_bank')
