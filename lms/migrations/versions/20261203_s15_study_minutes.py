"""study minutes summary

lms_study_minutes: items first completed per (UTC year, UTC month or 0 for the whole year,
officer, item type, item — 0 for lessons), kept exact by lms.domain.learning.studyminutes,
filled here from lms_completion so an existing database starts consistent (rows in key
order, so one month's rows sit together); and a partial index on lms_completion
(first_completed_at) of the completed rows for the edges of a period the summary leaves.

Revision ID: s15_study_minutes
Revises: c13_classroom_acceptance
Create Date: 2026-12-03 16:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = 's15_study_minutes'
down_revision = 'c13_classroom_acceptance'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('lms_study_minutes',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('month', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('user_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('item_type', sa.String(length=16), nullable=False),
    sa.Column('item_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('completions', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('year', 'month', 'user_id', 'item_type', 'item_id',
                            name=op.f('pk_lms_study_minutes'))
    )
    with op.batch_alter_table('lms_completion', schema=None) as batch_op:
        batch_op.create_index('ix_lms_completion_first_completed', ['first_completed_at'],
                              unique=False, postgresql_include=['user_id', 'item_type', 'item_id'],
                              postgresql_where=sa.text("status = 'completed'"),
                              sqlite_where=sa.text("status = 'completed'"))
    # The same rows as studyminutes.rebuild() over everything, frozen here.
    if op.get_bind().dialect.name == 'postgresql':
        year = "CAST(EXTRACT(year FROM first_completed_at) AS INTEGER)"
        month = "CAST(EXTRACT(month FROM first_completed_at) AS INTEGER)"
    else:
        year = "CAST(STRFTIME('%Y', first_completed_at) AS INTEGER)"
        month = "CAST(STRFTIME('%m', first_completed_at) AS INTEGER)"
    item = "CASE WHEN item_type IN ('courseware', 'session') THEN item_id ELSE 0 END"
    op.execute(sa.text(f"""
        INSERT INTO lms_study_minutes (year, month, user_id, item_type, item_id, completions)
        SELECT {year}, {month}, user_id, item_type, {item}, count(*)
        FROM lms_completion
        WHERE status = 'completed' AND first_completed_at IS NOT NULL
        GROUP BY {year}, {month}, user_id, item_type, {item}
        ORDER BY 1, 2, 3
    """))
    op.execute(sa.text("""
        INSERT INTO lms_study_minutes (year, month, user_id, item_type, item_id, completions)
        SELECT year, 0, user_id, item_type, item_id, sum(completions)
        FROM lms_study_minutes
        GROUP BY year, user_id, item_type, item_id
        ORDER BY 1, 3
    """))


def downgrade():
    with op.batch_alter_table('lms_completion', schema=None) as batch_op:
        batch_op.drop_index('ix_lms_completion_first_completed')
    op.drop_table('lms_study_minutes')
