"""Classroom acceptance pages: checklist scores, the decision, re-application, retirement,
the register by type and state, and the admin's checklists; rating a session; playing a
集中听课 session's courseware."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from ..domain import clock
from ..domain.classrooms import acceptance, checklists, lecturers, lifecycle, register
from ..domain.org import policy
from ..models import Courseware
from ..web import db_session, unit_of_work
from .forms import ChecklistForm
from .views import classrooms_bp


def _room(slug: str):
    room = lifecycle.visible(db_session(), current_user.user, slug) or abort(404)
    if not FlaskForm().validate_on_submit():
        abort(400)
    return room


def _act(room, done: str, action, *args):
    """Run one acceptance action in a unit of work; flash its outcome; back to the page."""
    try:
        with unit_of_work():
            action(db_session(), current_user.user, room, *args)
    except lifecycle.ClassroomError as refused:
        flash(_(str(refused)), "error")
    else:
        flash(done, "success")
    return redirect(url_for(".show", slug=room.slug))


@classrooms_bp.post("/classrooms/<slug>/scores")
@login_required
def scores(slug: str):
    """An inspector scores every checklist item (0–10) with a comment."""
    room = _room(slug)
    marks = {int(key.removeprefix("score-")): (value, request.form.get(
        f"comment-{key.removeprefix('score-')}", ""))
        for key, value in request.form.items()
        if key.startswith("score-") and key.removeprefix("score-").isdigit()
        and len(key) < 20}
    return _act(room, _("评分已保存。"), acceptance.score, marks, clock.utcnow())


@classrooms_bp.post("/classrooms/<slug>/decision")
@login_required
def decide(slug: str):
    """The inspector accepts the classroom or returns it with comments (audited)."""
    room = _room(slug)
    decision = request.form.get("decision", "")
    done = _("已验收通过。") if decision == "accept" else _("已退回，并附修改意见。")
    return _act(room, done, acceptance.decide, decision, request.form.get("comment", ""),
                clock.utcnow(), request.remote_addr)


@classrooms_bp.post("/classrooms/<slug>/accept")
@login_required
def accept(slug: str):
    """推磨式验收 without comments: the same decision as `decide` with "accept"."""
    room = _room(slug)
    return _act(room, _("已验收通过。"), acceptance.decide, "accept", "", clock.utcnow(),
                request.remote_addr)


@classrooms_bp.post("/classrooms/<slug>/resubmit")
@login_required
def resubmit(slug: str):
    """The applying branch applies again after a return."""
    room = _room(slug)
    return _act(room, _("已重新申报，等待其他单位验收。"), acceptance.resubmit,
                request.form.get("title", ""), request.form.get("description", ""),
                clock.utcnow(), request.remote_addr)


@classrooms_bp.post("/classrooms/<slug>/retire")
@login_required
def retire(slug: str):
    """Retire (撤销) a classroom: admins and the supervisors above its unit."""
    room = _room(slug)
    return _act(room, _("课堂已撤销。"), acceptance.retire, clock.utcnow(),
                request.remote_addr)


@classrooms_bp.post("/classrooms/sessions/<lms_id:session_id>/rating")
@login_required
def rate(session_id: int):
    """An officer who attended rates the session, once, within 7 days."""
    db = db_session()
    session = lifecycle.session_of(db, session_id) or abort(404)
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        with unit_of_work():
            lecturers.rate(db, current_user.user, session, request.form.get("score", ""),
                           request.form.get("comment", ""), clock.utcnow())
    except lifecycle.ClassroomError as refused:
        flash(_(str(refused)), "error")
    else:
        flash(_("感谢评价！评价不显示评价人。"), "success")
    return redirect(url_for(".show", slug=session.classroom.slug) + f"#session-{session.id}")


@classrooms_bp.get("/classrooms/sessions/<lms_id:session_id>/play")
@login_required
def play(session_id: int):
    """集中听课: the session's featured courseware, full width for the room's screen."""
    db = db_session()
    session = lifecycle.session_of(db, session_id) or abort(404)
    item = db.get(Courseware, session.courseware_id) if session.courseware_id else None
    if item is None or item.status != "published":
        abort(404)
    return render_template("lms/classrooms/play.html", session=session, item=item,
                           room=session.classroom)


@classrooms_bp.get("/classrooms/register")
@login_required
def register_page():
    """The register: the classrooms of one type and state the viewer may see."""
    db, user = db_session(), current_user.user
    types = lifecycle.types(db)
    kind = register.type_by_key(db, request.args.get("type")) if request.args.get("type") \
        else (types[0] if types else None)
    status = request.args.get("status", "accepted")
    if kind is None or status not in register.STATUSES:
        abort(404)
    return render_template("lms/classrooms/register.html", types=types, kind=kind,
                           status=status, statuses=register.STATUSES,
                           counts=register.counts(db, user),
                           can_edit=policy.can_administer(user),
                           rows=register.listing(db, user, clock.utcnow(), kind, status))


@classrooms_bp.route("/classrooms/types/<key>/checklist", methods=["GET", "POST"])
@login_required
def checklist(key: str):
    """An admin edits a classroom type's acceptance checklist (weights and items)."""
    db, user = db_session(), current_user.user
    if not policy.can_administer(user):
        abort(403)
    kind = register.type_by_key(db, key) or abort(404)
    form, problems = ChecklistForm(), []
    if form.validate_on_submit():
        try:
            with unit_of_work():
                checklists.replace(db, user, kind, form.text.data, ip=request.remote_addr)
        except checklists.ChecklistProblems as bad:
            problems = bad.problems
        else:
            flash(_("检查表已保存。"), "success")
            return redirect(url_for(".checklist", key=kind.key))
    elif request.method == "GET":
        form.text.data = checklists.as_text(db, kind)
    return render_template("lms/classrooms/checklist.html", form=form, kind=kind,
                           problems=problems, items=checklists.checklist(db, kind.id)), \
        400 if problems else 200
