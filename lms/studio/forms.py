"""Studio forms: fields and their types only; the content rules live in domain.authoring."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import Optional

from ..domain.studio import authoring, lessonwork
from .quizform import QuizEditor

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"  # what <input type=datetime-local> sends


class CoursewareForm(FlaskForm):
    """A courseware item as the edit page shows it; the quiz is the question editor's
    (`quizform`), read from the same request."""

    title = StringField(_l("标题"))
    category = SelectField(_l("类别"), choices=[], validate_choice=False)
    lecturer = StringField(_l("主讲"))
    estimated_minutes = IntegerField(_l("预计学习时长（分钟）"), validators=[Optional()])
    min_read_seconds = IntegerField(_l("最短阅读时间（秒）"), validators=[Optional()])
    featured = BooleanField(_l("精品课件"))
    summary = TextAreaField(_l("简介"))
    body_md = TextAreaField(_l("正文（Markdown）"))
    note = StringField(_l("修改说明"))
    preview = SubmitField(_l("预览"))
    save = SubmitField(_l("保存"))

    def to_input(self, editor: QuizEditor) -> authoring.CoursewareInput:
        """The submitted values as the domain takes them."""
        return authoring.CoursewareInput(
            title=self.title.data or "", category=self.category.data or "",
            summary=self.summary.data or "", estimated_minutes=self.estimated_minutes.data,
            min_read_seconds=self.min_read_seconds.data, featured=bool(self.featured.data),
            lecturer=self.lecturer.data, body_md=self.body_md.data or "",
            quiz_yaml=editor.yaml_text, note=self.note.data or "",
            quiz_draft=editor.draft if editor.mode == "form" else None)

    def add_problems(self, problems: dict[str, list[str]]) -> dict[str, list[str]]:
        """Show the domain's problems under their fields; those of no field of this form
        (the question editor's) are returned."""
        return add_problems(self, problems)


def add_problems(form: FlaskForm, problems: dict[str, list[str]]) -> dict[str, list[str]]:
    """Problems under the form's fields; the rest (the question editor's) returned."""
    rest = {}
    for name, messages in problems.items():
        if name in form._fields:
            form[name].errors = [*form[name].errors, *messages]
        else:
            rest[name] = messages
    return rest


class NewCoursewareForm(CoursewareForm):
    """Creating an item also chooses its slug, the stable name of its file."""

    slug = StringField(_l("标识（文件名，如 sanhui-yike-guifan）"))


class StatusForm(FlaskForm):
    """One workflow step; the pressed button's value names it."""

    note = TextAreaField(_l("说明（退回时必填）"))


class ScheduleForm(FlaskForm):
    """A lesson's publish and due times, local to the bureau."""

    publish_at = DateTimeLocalField(_l("发布时间"), format=LOCAL_FORMAT, validators=[Optional()])
    due_at = DateTimeLocalField(_l("截止时间"), format=LOCAL_FORMAT, validators=[Optional()])


class LessonForm(FlaskForm):
    """A weekly lesson as the studio writes it; times local to the bureau, the quiz the
    question editor's. The issue number is chosen only when the lesson is created."""

    issue_no = IntegerField(_l("期号"), validators=[Optional()])
    title = StringField(_l("标题"))
    summary = TextAreaField(_l("简介（可不填，默认取正文第一段）"))
    body_md = TextAreaField(_l("阅读材料（Markdown）"))
    publish_at = DateTimeLocalField(_l("发布时间"), format=LOCAL_FORMAT, validators=[Optional()])
    due_at = DateTimeLocalField(_l("截止时间"), format=LOCAL_FORMAT, validators=[Optional()])
    audience = SelectMultipleField(_l("面向单位"), coerce=int, choices=[], validate_choice=False)
    estimated_minutes = IntegerField(_l("预计学习时长（分钟）"), validators=[Optional()])
    min_read_seconds = IntegerField(_l("最短阅读时间（秒）"), validators=[Optional()])
    note = StringField(_l("修改说明"))
    preview = SubmitField(_l("预览"))
    save = SubmitField(_l("保存草稿"))

    def to_input(self, editor: QuizEditor) -> lessonwork.LessonInput:
        """The submitted values as the domain takes them."""
        return lessonwork.LessonInput(
            issue_no=self.issue_no.data, title=self.title.data or "",
            summary=self.summary.data or "", body_md=self.body_md.data or "",
            publish_at=self.publish_at.data, due_at=self.due_at.data,
            audience=tuple(self.audience.data or ()),
            estimated_minutes=self.estimated_minutes.data,
            min_read_seconds=self.min_read_seconds.data, quiz_yaml=editor.yaml_text,
            quiz_draft=editor.draft if editor.mode == "form" else None,
            note=self.note.data or "")
