"""Previews: a courseware item or weekly lesson as an officer sees it, quiz included, with
the key shown on request (``?key=1``, or the page's 显示答案 box). Nothing is recorded."""
from flask import abort, render_template, request, url_for

from ..domain.studio import authoring, questions
from ..models import MicroLesson
from ..web import db_session
from . import quizform
from .views import studio_bp


def _draft(quiz) -> questions.QuizDraft | None:
    """The saved quiz; a drawing one with one sample draw (each officer draws their own)."""
    if quiz is None:
        return None
    return quizform.with_sample(questions.from_spec(authoring.quiz_spec(quiz)), db_session())


@studio_bp.get("/courseware/<slug>/preview")
def courseware_preview(slug: str):
    """The saved courseware item as the catalogue shows it, with its quiz."""
    item = authoring.courseware_by_slug(db_session(), slug) or abort(404)
    return render_template("lms/studio/preview.html", kind="courseware", item=item,
                           quiz=_draft(item.quiz), show_key=request.args.get("key") == "1",
                           back=url_for(".edit", slug=slug))


@studio_bp.get("/lessons/<lms_id:lesson_id>/preview")
def lesson_preview(lesson_id: int):
    """The saved lesson as an officer will see it once published, with its quiz."""
    lesson = db_session().get(MicroLesson, lesson_id) or abort(404)
    return render_template("lms/studio/preview.html", kind="lesson", item=lesson,
                           quiz=_draft(lesson.quiz), show_key=request.args.get("key") == "1",
                           back=url_for(".lesson", lesson_id=lesson_id))
