"""Studio pages: courseware list and editor with review workflow, lesson schedules, exports
and per-question statistics. Trainers and admins only; no JavaScript."""
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from ..domain import audit, clock
from ..domain.learning import catalog
from ..domain.org import policy
from ..domain.quiz import regrade
from ..domain.quiz.quizstats import quiz_stats
from ..domain.studio import authoring, keychanges, lessonreview, questions, review, scheduling
from ..models import MicroLesson
from ..models.content import STATUSES
from ..templating import lesson_label
from ..web import db_session, unit_of_work
from . import quizform
from .forms import CoursewareForm, NewCoursewareForm, ScheduleForm, StatusForm

studio_bp = Blueprint("studio", __name__, url_prefix="/studio")


@studio_bp.before_request
def authors_only():
    """Every studio URL, present and future: sign in first, then trainers and admins only."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if not policy.can_author(current_user.user):
        abort(403)
    return None


@studio_bp.get("/")
def index():
    """Courseware in every status, filtered by status and category."""
    db = db_session()
    status = request.args.get("status") if request.args.get("status") in STATUSES else None
    categories = catalog.categories(db)
    category = request.args.get("category")
    category = category if category in {c.key for c in categories} else None
    return render_template("lms/studio/index.html", status=status, category=category,
                           categories=categories,
                           items=authoring.courseware_list(db, status, category),
                           counts=authoring.status_counts(db, category))


@studio_bp.route("/courseware/new", methods=["GET", "POST"])
def create():
    """A new courseware item, saved as a draft."""
    form = NewCoursewareForm(data={"estimated_minutes": 8, "min_read_seconds": 120})
    return _editor(form, None)


@studio_bp.route("/courseware/<slug>", methods=["GET", "POST"])
def edit(slug: str):
    """The editor: fields, Markdown body, quiz YAML, preview, workflow and history."""
    item = _courseware_or_404(slug)
    form = CoursewareForm(data=_form_data(item))
    return _editor(form, item)


@studio_bp.post("/courseware/<slug>/status")
def change_status(slug: str):
    """Take one workflow step: submit, approve, send back, retire, withdraw, reopen."""
    db, item = db_session(), _courseware_or_404(slug)
    form = StatusForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        with unit_of_work():
            step = review.transition(db, current_user.user, item,
                                     request.form.get("action", ""), form.note.data or "",
                                     ip=request.remote_addr)
    except authoring.AuthoringError as error:
        flash(error.message, "error")
    else:
        flash(_("课件状态已改为：%(status)s", status=_status_label(step.target)), "success")
    return redirect(url_for(".edit", slug=slug))


@studio_bp.get("/courseware/<slug>/export")
def export(slug: str):
    """The item as its course file, ``<slug>.md``."""
    name, text = authoring.export_courseware(db_session(), _courseware_or_404(slug))
    return _download(name, text)


@studio_bp.get("/courseware/<slug>/stats")
def courseware_stats(slug: str):
    """Per-question statistics of the item's quiz."""
    item = _courseware_or_404(slug)
    if item.quiz_id is None:
        abort(404)
    stats = quiz_stats(db_session(), "courseware", item.id, item.quiz_id)
    return render_template("lms/studio/stats.html", title=item.title, stats=stats,
                           back=url_for(".edit", slug=slug), kind="courseware")


@studio_bp.get("/lessons")
def lessons():
    """The weekly micro-lessons with their schedules."""
    now = clock.utcnow()
    return render_template("lms/studio/lessons.html", now=now,
                           groups=scheduling.lesson_groups(db_session(), now))


@studio_bp.route("/lessons/<lms_id:lesson_id>", methods=["GET", "POST"])
def lesson(lesson_id: int):
    """A lesson's schedule: publish and due times in the bureau's time zone (audited)."""
    db, tz = db_session(), current_app.config["LMS_TIMEZONE"]
    row = db.get(MicroLesson, lesson_id) or abort(404)
    form = ScheduleForm(data={"publish_at": _local(row.publish_at, tz),
                              "due_at": _local(row.due_at, tz)})
    if form.validate_on_submit():
        try:
            with unit_of_work():
                changed = scheduling.reschedule(db, current_user.user, row,
                                                form.publish_at.data, form.due_at.data, tz,
                                                ip=request.remote_addr)
        except authoring.Invalid as error:
            for name, messages in error.problems.items():
                form[name].errors = [*form[name].errors, *messages]
        else:
            flash(_("已调整发布时间。") if changed else _("时间没有变化。"), "success")
            return redirect(url_for(".lesson", lesson_id=lesson_id))
    db, user, now = db_session(), current_user.user, clock.utcnow()
    return render_template("lms/studio/lesson.html", lesson=row, form=form, now=now,
                           steps=lessonreview.transitions_for(db, user, row, now),
                           may_approve=lessonreview.may_approve(db, user, row),
                           status_form=StatusForm())


@studio_bp.get("/lessons/<lms_id:lesson_id>/export")
def lesson_export(lesson_id: int):
    """The lesson as its course file, ``<NN>-<slug>.md``."""
    db = db_session()
    row = db.get(MicroLesson, lesson_id) or abort(404)
    return _download(*scheduling.export_lesson(db, row, current_app.config["LMS_TIMEZONE"]))


@studio_bp.get("/lessons/<lms_id:lesson_id>/stats")
def lesson_stats(lesson_id: int):
    """Per-question statistics of the lesson's quiz."""
    db = db_session()
    row = db.get(MicroLesson, lesson_id) or abort(404)
    stats = quiz_stats(db, "lesson", row.id, row.quiz_id)
    title = lesson_label(row.issue_no, row.title)
    return render_template("lms/studio/stats.html", title=title, stats=stats, kind="lesson",
                           back=url_for(".lesson", lesson_id=lesson_id))


@studio_bp.app_template_filter("studio_status")
def _status_label(status: str) -> str:
    """A status in the UI language."""
    return {"draft": _("草稿"), "in_review": _("待审核"), "published": _("已发布"),
            "retired": _("已下架")}.get(status, status)


# --- helpers ------------------------------------------------------------------------------

def _editor(form: CoursewareForm, item):
    """Create or edit: the question editor's buttons re-show the form, preview renders
    without saving, save validates everything first."""
    db = db_session()
    form.category.choices = [(c.key, c.name) for c in catalog.categories(db)]
    preview_html = preview_quiz = regrade_plan = None
    editor = (quizform.from_request(request.form) if request.method == "POST"
              else quizform.from_quiz(item.quiz if item else None))
    if not editor.is_edit and form.validate_on_submit():
        data = form.to_input(editor)
        # The quiz as it would be saved: the form tab's questions, else the YAML tab's text.
        quiz_text = (questions.to_yaml(data.quiz_draft) if data.quiz_draft is not None
                     else data.quiz_yaml)
        if form.preview.data:
            preview_html = authoring.preview(data.body_md)
            preview_quiz = quizform.preview_draft(editor, db)
        else:
            slug = item.slug if item is not None else (form.slug.data or "").strip()
            # A changed key that officers answered is saved only with a confirmed regrade.
            regrade_plan = keychanges.pending_regrade(db, item, quiz_text)
            token = request.form.get("regrade_token")
            try:
                with unit_of_work():
                    if regrade_plan is not None:
                        keychanges.confirm(db, current_user.user, regrade_plan, token or "",
                                           clock.utcnow(), current_app.config["LMS_POINTS"],
                                           ip=request.remote_addr)
                    saved = authoring.save_courseware(db, current_user.user, data, slug,
                                                      create=item is None,
                                                      ip=request.remote_addr)
            except authoring.Invalid as error:
                editor.problems.update(form.add_problems(error.problems))
                flash(_("没有保存：请按提示修改标红的内容。"), "error")
            except regrade.RegradeError as error:
                if token:  # a stale preview: show the current one instead
                    flash(error.message, "error")
                regrade_plan = keychanges.pending_regrade(db, item, quiz_text)
            except authoring.AuthoringError as error:
                flash(error.message, "error")
            else:
                flash(_("已保存，并记录为一个修订版本。"), "success")
                return redirect(url_for(".edit", slug=saved.slug))
    user = current_user.user
    quizform.attach_banks(editor, db)
    return render_template(
        "lms/studio/edit.html", form=form, item=item, preview_html=preview_html,
        preview_quiz=preview_quiz, editor=editor, regrade_plan=regrade_plan,
        locked=item is not None and item.status != authoring.EDITABLE,
        steps=review.transitions_for(db, user, item) if item else [],
        may_approve=item is not None and review.may_approve(db, user, item),
        revisions=authoring.revisions(db, item) if item else [], status_form=StatusForm())


def _form_data(item) -> dict:
    return {"title": item.title, "category": item.category.key, "summary": item.summary,
            "estimated_minutes": item.estimated_minutes,
            "min_read_seconds": item.min_read_seconds, "featured": item.featured,
            "lecturer": item.lecturer or "", "body_md": item.body_md}


def _courseware_or_404(slug: str):
    return authoring.courseware_by_slug(db_session(), slug) or abort(404)


def audit_export(name: str) -> None:
    """Record that the signed-in author downloaded a course file (with its answer key)."""
    with unit_of_work() as db:
        audit.record(db, "answer_key_exported", actor_id=current_user.user.id, target=name,
                     ip=request.remote_addr)


def _local(moment, tz: str):
    return clock.to_local(moment, tz).replace(tzinfo=None) if moment else None


def _download(name: str, text: str) -> Response:
    """A UTF-8 text file as an attachment (names are ASCII: slugs and issue numbers); the
    file holds the answer key, so who took it is audited."""
    audit_export(name)
    return Response(text.encode("utf-8"), mimetype="text/markdown",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
