"""Studio forms: fields and their types only; the content rules live in domain.authoring."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import Optional

from ..domain.studio import authoring

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"  # what <input type=datetime-local> sends


class CoursewareForm(FlaskForm):
    """A courseware item as the edit page shows it; the quiz is YAML text."""

    title = StringField(_l("标题"))
    category = SelectField(_l("类别"), choices=[], validate_choice=False)
    lecturer = StringField(_l("主讲"))
    estimated_minutes = IntegerField(_l("预计学习时长（分钟）"), validators=[Optional()])
    min_read_seconds = IntegerField(_l("最短阅读时间（秒）"), validators=[Optional()])
    featured = BooleanField(_l("精品课件"))
    summary = TextAreaField(_l("简介"))
    body_md = TextAreaField(_l("正文（Markdown）"))
    quiz_yaml = TextAreaField(_l("测验（YAML，与课件文件的 quiz: 格式相同；留空表示无测验）"))
    note = StringField(_l("修改说明"))
    preview = SubmitField(_l("预览"))
    save = SubmitField(_l("保存"))

    def to_input(self) -> authoring.CoursewareInput:
        """The submitted values as the domain takes them."""
        return authoring.CoursewareInput(
            title=self.title.data or "", category=self.category.data or "",
            summary=self.summary.data or "", estimated_minutes=self.estimated_minutes.data,
            min_read_seconds=self.min_read_seconds.data, featured=bool(self.featured.data),
            lecturer=self.lecturer.data, body_md=self.body_md.data or "",
            quiz_yaml=self.quiz_yaml.data or "", note=self.note.data or "")

    def add_problems(self, problems: dict[str, list[str]]) -> None:
        """Show the domain's problems under their fields."""
        for name, messages in problems.items():
            if name in self._fields:
                self[name].errors = [*self[name].errors, *messages]


class NewCoursewareForm(CoursewareForm):
    """Creating an item also chooses its slug, the stable name of its file."""

    slug = StringField(_l("标识（文件名，如 sanhui-yike-guifan）"))


class StatusForm(FlaskForm):
    """One workflow step; the pressed button's value names it."""

    note = TextAreaField(_l("说明（退回、下架、撤回时必填）"))


class ScheduleForm(FlaskForm):
    """A lesson's publish and due times, local to the bureau."""

    publish_at = DateTimeLocalField(_l("发布时间"), format=LOCAL_FORMAT, validators=[Optional()])
    due_at = DateTimeLocalField(_l("截止时间"), format=LOCAL_FORMAT, validators=[Optional()])
