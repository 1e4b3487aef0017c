"""points beyond quizzes (党建积分申报) and session length for study hours (学时)

lms_points_rule: activities the platform cannot observe, their points, cap and approver,
seeded with the three defaults (docs/POINTS-AND-HOURS.md); an admin may edit them.
lms_points_claim: an officer's request with an image as evidence; lms_points_quota: the
per-(officer, rule, period) counter that holds the caps.
lms_class_session.duration_minutes: a session's length, the 学时 its attendees earn.

Revision ID: p13_points_claims_hours
Revises: b1_question_bank
Create Date: 2026-12-03 08:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'p13_points_claims_hours'
down_revision = 'b1_question_bank'
branch_labels = None
depends_on = None

# The same rows as lms.domain.claims.rules.DEFAULT_RULES (kept apart: a migration must not
# change when the code does).
DEFAULT_RULES = [
    {"key": "lead_session", "name": "主讲课堂", "points": 5, "cap": 20,
     "cap_period": "quarter", "requesters": "lecturer", "approver": "branch", "position": 1,
     "description": "党员讲师主讲一次“五大课堂”活动或支部党课，附现场照片。"},
    {"key": "branch_activity", "name": "支部活动", "points": 2, "cap": 8,
     "cap_period": "quarter", "requesters": "any", "approver": "branch", "position": 2,
     "description": "参加主题党日、志愿服务等支部组织的活动，附活动照片。"},
    {"key": "study_visit", "name": "走学参观", "points": 5, "cap": 15,
     "cap_period": "year", "requesters": "any", "approver": "branch", "position": 3,
     "description": "沿5条走学线路到党建品牌单位参观践学，附打卡照片。"},
]


def upgrade():
    rule = op.create_table(
        'lms_points_rule',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=32), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('points', sa.Integer(), nullable=False),
        sa.Column('cap', sa.Integer(), nullable=False),
        sa.Column('cap_period', sa.String(length=8), nullable=False),
        sa.Column('requesters', sa.String(length=16), nullable=False),
        sa.Column('approver', sa.String(length=16), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('key'),
    )
    op.create_table(
        'lms_points_claim',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('rule_id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('approver_unit_id', sa.Integer(), nullable=False),
        sa.Column('occurred_on', sa.Date(), nullable=False),
        sa.Column('period_key', sa.String(length=8), nullable=False),
        sa.Column('points', sa.Integer(), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('evidence_name', sa.String(length=64), nullable=False),
        sa.Column('evidence_type', sa.String(length=16), nullable=False),
        sa.Column('evidence_bytes', sa.Integer(), nullable=False),
        sa.Column('evidence_width', sa.Integer(), nullable=False),
        sa.Column('evidence_height', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('requested_at', sa.DateTime(), nullable=False),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['lms_user.id']),
        sa.ForeignKeyConstraint(['rule_id'], ['lms_points_rule.id']),
        sa.ForeignKeyConstraint(['unit_id'], ['lms_unit.id']),
        sa.ForeignKeyConstraint(['approver_unit_id'], ['lms_unit.id']),
        sa.ForeignKeyConstraint(['decided_by_id'], ['lms_user.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_lms_points_claim_approver', 'lms_points_claim',
                    ['approver_unit_id', 'status'])
    op.create_index('ix_lms_points_claim_user', 'lms_points_claim', ['user_id', 'requested_at'])
    op.create_table(
        'lms_points_quota',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('rule_id', sa.Integer(), nullable=False),
        sa.Column('period_key', sa.String(length=8), nullable=False),
        sa.Column('used', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['lms_user.id']),
        sa.ForeignKeyConstraint(['rule_id'], ['lms_points_rule.id']),
        sa.PrimaryKeyConstraint('user_id', 'rule_id', 'period_key'),
    )
    op.bulk_insert(rule, [{**row, "active": True} for row in DEFAULT_RULES])
    with op.batch_alter_table('lms_class_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('duration_minutes', sa.Integer(), nullable=False,
                                      server_default='90'))


def downgrade():
    with op.batch_alter_table('lms_class_session', schema=None) as batch_op:
        batch_op.drop_column('duration_minutes')
    op.drop_table('lms_points_quota')
    op.drop_index('ix_lms_points_claim_user', table_name='lms_points_claim')
    op.drop_index('ix_lms_points_claim_approver', table_name='lms_points_claim')
    op.drop_table('lms_points_claim')
    op.drop_table('lms_points_rule')
