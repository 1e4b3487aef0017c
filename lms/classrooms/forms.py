"""Classroom forms: fields and their limits only; the classroom rules live in
domain.classrooms."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..domain.classrooms import lifecycle


class ApplyForm(FlaskForm):
    """申报课堂: type, title, description."""

    type = SelectField(_l("课堂类型"), validators=[DataRequired()])
    title = StringField(_l("课堂名称"), validators=[DataRequired(),
                                                   Length(max=lifecycle.TITLE_MAX)])
    description = TextAreaField(_l("课堂简介"), validators=[
        Optional(), Length(max=lifecycle.DESCRIPTION_MAX)])


class SessionForm(FlaskForm):
    """安排活动: local start time, topic, courseware used."""

    starts_at = DateTimeLocalField(_l("开始时间"), validators=[DataRequired()])
    # the session's length is the study hours (学时) its attendees earn
    duration = IntegerField(_l("时长（分钟）"), default=lifecycle.DEFAULT_DURATION,
                            validators=[Optional(), NumberRange(lifecycle.MIN_DURATION,
                                                                lifecycle.MAX_DURATION)])
    topic = StringField(_l("活动主题"), validators=[DataRequired(),
                                                   Length(max=lifecycle.TOPIC_MAX)])
    courseware = SelectField(_l("使用课件"), validators=[Optional()])
    kind = SelectField(_l("活动类型"), validators=[Optional()], default="regular",
                       choices=[("regular", _l("课堂活动")),
                                ("listening", _l("集中听课（播放一件精品课件）"))])


class ChecklistForm(FlaskForm):
    """An admin's checklist of a classroom type, one `weight item` per line."""

    text = TextAreaField(_l("检查表"), validators=[Length(max=20000)])


class CheckinForm(FlaskForm):
    """The session code the officer reads off the screen in the room."""

    code = StringField(_l("签到码"), validators=[DataRequired(), Length(max=16)])
