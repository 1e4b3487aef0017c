"""Studio pages for weekly lessons: compose a new issue (reading, quiz in the question
editor, schedule, audience), edit a draft, and take review steps. Thin: the rules are
`domain.studio.lessonwork` and `lessonreview`'s."""
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..domain import clock
from ..domain.studio import authoring, lessonreview, lessonwork, questions
from ..models import MicroLesson
from ..web import db_session, unit_of_work
from . import quizform
from .forms import LessonForm, StatusForm, add_problems
from .views import studio_bp


@studio_bp.route("/lessons/new", methods=["GET", "POST"])
def lesson_new():
    """A new weekly lesson: the next free issue number and next week's times proposed."""
    db, tz = db_session(), current_app.config["LMS_TIMEZONE"]
    publish_at, due_at = lessonwork.default_times(clock.utcnow(), tz)
    form = LessonForm(data={"issue_no": lessonwork.next_issue_no(db), "publish_at": publish_at,
                            "due_at": due_at, "estimated_minutes": 8,
                            "min_read_seconds": 120, "audience": []})
    editor = quizform.QuizEditor(questions.QuizDraft([questions.new_question("single", set())]))
    return _lesson_editor(form, None, editor)


@studio_bp.route("/lessons/<lms_id:lesson_id>/edit", methods=["GET", "POST"])
def lesson_edit(lesson_id: int):
    """A draft lesson's content, quiz, schedule and audience."""
    db, tz = db_session(), current_app.config["LMS_TIMEZONE"]
    lesson = db.get(MicroLesson, lesson_id) or abort(404)
    if lesson.status != authoring.EDITABLE:
        flash(_("只有草稿可以修改；请先退回或撤回为草稿。"), "error")
        return redirect(url_for(".lesson", lesson_id=lesson_id))
    form = LessonForm(data={
        "issue_no": lesson.issue_no, "title": lesson.title, "summary": lesson.summary,
        "body_md": lesson.body_md, "estimated_minutes": lesson.estimated_minutes,
        "min_read_seconds": lesson.min_read_seconds,
        "publish_at": clock.to_local(lesson.publish_at, tz).replace(tzinfo=None),
        "due_at": clock.to_local(lesson.due_at, tz).replace(tzinfo=None),
        "audience": [a.unit_id for a in lesson.audience]})
    return _lesson_editor(form, lesson, quizform.from_quiz(lesson.quiz))


@studio_bp.post("/lessons/<lms_id:lesson_id>/status")
def lesson_status(lesson_id: int):
    """One review step: submit, approve (it then goes out at its publish time), send back,
    withdraw before the publish time."""
    db = db_session()
    lesson = db.get(MicroLesson, lesson_id) or abort(404)
    form = StatusForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        with unit_of_work():
            step = lessonreview.transition(db, current_user.user, lesson,
                                           request.form.get("action", ""), clock.utcnow(),
                                           form.note.data or "", ip=request.remote_addr)
    except authoring.AuthoringError as error:
        flash(error.message, "error")
    else:
        messages = {"submit": _("已提交审核，请其他讲师或管理员审核。"),
                    "approve": _("已审核通过：将于 %(t)s 准时发布。",
                                 t=_when(lesson.publish_at)),
                    "send_back": _("已退回修改。"), "withdraw": _("已撤回为草稿。")}
        flash(messages[step.name], "success")
    return redirect(url_for(".lesson", lesson_id=lesson_id))


def _when(moment) -> str:
    tz = current_app.config["LMS_TIMEZONE"]
    return clock.to_local(moment, tz).strftime("%Y-%m-%d %H:%M")


def _lesson_editor(form: LessonForm, lesson, editor: quizform.QuizEditor):
    """Create or edit: editor buttons re-show, preview renders unsaved, save validates."""
    db, tz = db_session(), current_app.config["LMS_TIMEZONE"]
    units = lessonwork.audience_choices(db)
    form.audience.choices = [(u.id, u.name) for u in units]
    if request.method == "POST":
        editor = quizform.from_request(request.form)
    preview_html = preview_quiz = None
    if not editor.is_edit and form.validate_on_submit():
        data = form.to_input(editor)
        if form.preview.data:
            preview_html = authoring.preview(data.body_md)
            preview_quiz = quizform.preview_draft(editor, db)
        else:
            try:
                with unit_of_work():
                    saved = lessonwork.save_lesson(db, current_user.user, data, tz, lesson,
                                                   ip=request.remote_addr)
            except authoring.Invalid as error:
                editor.problems.update(add_problems(form, error.problems))
                flash(_("没有保存：请按提示修改标红的内容。"), "error")
            except authoring.AuthoringError as error:
                flash(error.message, "error")
            else:
                flash(_("草稿已保存。预览无误后请提交审核。"), "success")
                return redirect(url_for(".lesson", lesson_id=saved.id))
    self_url = (url_for(".lesson_edit", lesson_id=lesson.id) if lesson is not None
                else url_for(".lesson_new"))
    quizform.attach_banks(editor, db)
    return render_template("lms/studio/lesson_edit.html", form=form, lesson=lesson,
                           editor=editor, units=units, self_url=self_url,
                           preview_html=preview_html, preview_quiz=preview_quiz)
