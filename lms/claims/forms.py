"""Points claim forms: fields and their limits only; the rules live in domain.claims."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange

from ..domain.claims import claims
from ..models.claims import APPROVERS, CAP_PERIODS, REQUESTERS


class ClaimForm(FlaskForm):
    """申报积分: the rule, the activity's date, a note and a photo."""

    rule = SelectField(_l("积分项目"), validators=[DataRequired()])
    occurred_on = DateField(_l("活动日期"), validators=[DataRequired()])
    note = TextAreaField(_l("活动说明"), validators=[DataRequired(),
                                                    Length(max=claims.NOTE_MAX)])
    evidence = FileField(_l("佐证照片（JPEG 或 PNG）"))


class ReasonForm(FlaskForm):
    """退回或更正: the reason the requester will read."""

    reason = TextAreaField(_l("原因"), validators=[Length(max=claims.REASON_MAX)])


class RuleForm(FlaskForm):
    """An admin's edit of a points rule."""

    name = StringField(_l("名称"), validators=[DataRequired(), Length(max=120)])
    points = IntegerField(_l("每次分值"), validators=[NumberRange(1, 1000)])
    cap = IntegerField(_l("每期上限"), validators=[NumberRange(1, 100000)])
    cap_period = SelectField(_l("上限周期"))
    requesters = SelectField(_l("申报人"))
    approver = SelectField(_l("审批人"))
    active = BooleanField(_l("启用"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.cap_period.choices = list(zip(CAP_PERIODS, (_l("每季度"), _l("每年"))))
        self.requesters.choices = list(zip(REQUESTERS, (_l("民警和党员讲师"), _l("仅党员讲师"))))
        self.approver.choices = list(zip(APPROVERS, (_l("所在党支部书记"),
                                                     _l("所在县局（部门）"))))
