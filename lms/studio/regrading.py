"""Studio pages for correcting a key: preview who a regrade changes, then confirm the very
preview seen (its token); and withdrawing (下架) a weekly lesson with a reason. Thin: the
rules are `domain.quiz.regrade` and `domain.studio.withdrawal`'s."""
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..domain import clock
from ..domain.quiz import regrade, regrade_bank
from ..domain.studio import authoring, withdrawal
from ..models import MicroLesson, Question, QuestionBank
from ..web import db_session, unit_of_work
from .views import studio_bp


@studio_bp.route("/questions/<lms_id:question_id>/regrade", methods=["GET", "POST"])
def regrade_question(question_id: int):
    """Correct one question's key: choose it, preview the effect, confirm (audited)."""
    db = db_session()
    question = db.get(Question, question_id) or abort(404)
    bank = db.get(QuestionBank, question.bank_id) if question.bank_id else None
    owner = ("bank", bank.key, bank.name) if bank else regrade.owner_of(db, question.quiz_id)
    back = _back(owner)
    # A bank question's attempts are found by the question, across the quizzes that drew it.
    scope, entry = (question.bank_id, regrade_bank) if bank else (question.quiz_id, regrade)
    raw = _raw_key(question)
    plan, problem = None, None
    if request.method == "POST":
        try:
            new = {question.id: regrade.parse_key(question, raw)}
        except regrade.InvalidKey as error:
            problem = error.message
        else:
            if request.form.get("action") == "confirm":
                try:
                    with unit_of_work():
                        result = entry.apply(
                            db, current_user.user, scope, new,
                            request.form.get("token", ""), clock.utcnow(),
                            current_app.config["LMS_POINTS"], ip=request.remote_addr)
                except regrade.RegradeError as error:
                    flash(error.message, "error")
                else:
                    flash(_("已更正答案并重新评分：%(n)s 份作答的成绩有变化。",
                            n=result.attempts_changed), "success")
                    return redirect(back)
            plan = entry.plan(db, scope, new)
    answered = entry.answered_count(db, question)
    return render_template("lms/studio/regrade.html", question=question, owner=owner,
                           back=back, plan=plan, problem=problem, answered=answered,
                           chosen=_chosen(question, raw) if plan or problem else None)


@studio_bp.post("/lessons/<lms_id:lesson_id>/withdraw")
def withdraw_lesson(lesson_id: int):
    """Take a published, not yet due lesson down (下架) with a reason (audited)."""
    db = db_session()
    lesson = db.get(MicroLesson, lesson_id) or abort(404)
    try:
        with unit_of_work():
            withdrawal.withdraw_lesson(db, current_user.user, lesson,
                                       request.form.get("reason"), clock.utcnow(),
                                       ip=request.remote_addr)
    except authoring.AuthoringError as error:
        flash(error.message, "error")
    else:
        flash(_("本期微课已下架。"), "success")
    return redirect(url_for(".lesson", lesson_id=lesson_id))


def _raw_key(question: Question) -> object:
    """The new key as the form sends it, by question kind."""
    if question.kind == "multiple":
        return request.form.getlist("answer")
    if question.kind == "fill_blank":  # the textarea, or one hidden field per answer
        return "\n".join(request.form.getlist("answer"))
    return request.form.get("answer", "")


def _chosen(question: Question, raw: object) -> object:
    """What the form should show as chosen after a preview or a refusal."""
    if question.kind == "fill_blank":
        return raw
    return set(raw) if isinstance(raw, list) else {raw}


def _back(owner) -> str:
    if owner is None:
        return url_for(".index")
    kind, ident, _title = owner
    if kind == "bank":
        return url_for(".bank_stats_page", key=ident)
    if kind == "lesson":
        return url_for(".lesson_stats", lesson_id=ident)
    return url_for(".courseware_stats", slug=ident)
