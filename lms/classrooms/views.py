"""Classroom pages: the five classroom types (五大课堂), applying and peer acceptance,
sessions, the check-in code shown in the room, and check-in on the officer's phone."""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from ..auth.session import passwords
from ..domain import clock
from ..domain.classrooms import acceptance, checkins, lecturers, lifecycle
from ..domain.learning import catalog
from ..domain.org import policy
from ..web import db_session, unit_of_work
from . import throttle
from .forms import ApplyForm, CheckinForm, SessionForm

classrooms_bp = Blueprint("classrooms", __name__)


@classrooms_bp.get("/classrooms")
@login_required
def index():
    """Every classroom type with its description and classrooms."""
    return render_template("lms/classrooms/index.html",
                           sections=catalog.classroom_sections(db_session(), current_user.user),
                           can_apply=policy.can_apply_classroom(current_user.user))


@classrooms_bp.route("/classrooms/apply", methods=["GET", "POST"])
@login_required
def apply():
    """A branch secretary applies to run a classroom for their own unit."""
    db, user = db_session(), current_user.user
    if not policy.can_apply_classroom(user):
        abort(403)
    form = ApplyForm()
    form.type.choices = [(t.key, t.name) for t in lifecycle.types(db)]
    if form.validate_on_submit():
        try:
            with unit_of_work():
                room = lifecycle.apply(db, user, form.type.data, form.title.data,
                                        form.description.data, ip=request.remote_addr)
        except lifecycle.ClassroomError as refused:
            form.title.errors.append(_(str(refused)))
        else:
            flash(_("申报已提交，等待其他单位验收。"), "success")
            return redirect(url_for(".show", slug=room.slug))
    return render_template("lms/classrooms/apply.html", form=form)


def _session_form(db) -> SessionForm:
    form = SessionForm()
    form.courseware.choices = [("", _("不使用课件"))] + [
        (item.slug, ("★ " if item.featured else "") + item.title)
        for item in catalog.published(db)]
    return form


def _show(room, form: SessionForm, status: int = 200):
    db, user, now = db_session(), current_user.user, clock.utcnow()
    detail = lifecycle.detail(db, user, room, now)
    return render_template("lms/classrooms/show.html", detail=detail, room=room,
                           form=form, action=FlaskForm(),
                           panel=acceptance.panel(db, user, room),
                           ratings=lecturers.rating_states(db, user, detail.sessions, now)), status


@classrooms_bp.get("/classrooms/<slug>")
@login_required
def show(slug: str):
    """A classroom with its sessions and attendance (names for its supervisors only), its
    acceptance (scores and comments for its own line and inspectors) and ratings."""
    db = db_session()
    room = lifecycle.visible(db, current_user.user, slug) or abort(404)
    return _show(room, _session_form(db))


@classrooms_bp.post("/classrooms/<slug>/sessions")
@login_required
def schedule(slug: str):
    """The running unit schedules a session (start time in the bureau's zone)."""
    db = db_session()
    room = lifecycle.visible(db, current_user.user, slug) or abort(404)
    if not policy.can_run_classroom(current_user.user, room):
        abort(403)
    form = _session_form(db)
    if not form.validate_on_submit():
        return _show(room, form, 400)
    try:
        with unit_of_work():
            lifecycle.schedule(db, current_user.user, room, form.starts_at.data,
                                form.topic.data, form.courseware.data,
                                current_app.config["LMS_TIMEZONE"], form.kind.data or "regular",
                                duration_minutes=form.duration.data)
    except lifecycle.ClassroomError as refused:
        form.topic.errors.append(_(str(refused)))
        return _show(room, form, 400)
    flash(_("已安排活动。"), "success")
    return redirect(url_for(".show", slug=room.slug))


@classrooms_bp.post("/classrooms/sessions/<lms_id:session_id>/code")
@login_required
def open_checkin(session_id: int):
    """Open check-in: a new code, shown once, large, for the room's screen."""
    db = db_session()
    session = lifecycle.session_of(db, session_id) or abort(404)
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        with unit_of_work():
            code = checkins.open_checkin(db, current_user.user, session, passwords().hash_code,
                                         clock.utcnow(), ip=request.remote_addr)
    except lifecycle.ClassroomError as refused:
        flash(_(str(refused)), "error")
        return redirect(url_for(".show", slug=session.classroom.slug))
    # Rendered, not redirected: the code exists nowhere else (no-store is set for every page).
    return render_template("lms/classrooms/code.html", code=code, session=session,
                           room=session.classroom)


CHECKIN_STATUS = {"ok": 200, "already": 200, "wrong": 400, "expired": 400}


@classrooms_bp.route("/classrooms/checkin", methods=["GET", "POST"])
@login_required
def checkin():
    """签到: the officer types the code shown in the room."""
    db, user = db_session(), current_user.user
    form = CheckinForm()
    if not form.validate_on_submit():
        return render_template("lms/classrooms/checkin.html", form=form, outcome=None)
    if not throttle.take_attempt(user.id):
        return render_template("lms/classrooms/checkin.html", form=form, outcome=None,
                               blocked=True), 429
    with unit_of_work():
        outcome = checkins.check_in(db, user, form.code.data, passwords().hash_code,
                                    clock.utcnow(), current_app.config["LMS_POINTS"])
    return (render_template("lms/classrooms/checkin.html", form=form, outcome=outcome),
            CHECKIN_STATUS[outcome.status])


from . import lecturer_views, review_views  # noqa: E402,F401  (routes register on classrooms_bp)
