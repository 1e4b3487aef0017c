"""Lecturers (党员讲师): the roster and each lecturer's profile; ratings only as averages."""
from flask import abort, render_template
from flask_login import current_user, login_required

from ..domain import clock
from ..domain.classrooms import lecturers
from ..web import db_session
from .views import classrooms_bp


@classrooms_bp.get("/lecturers")
@login_required
def lecturer_list():
    """Every lecturer who has taught a session, most sessions first."""
    return render_template("lms/classrooms/lecturers.html",
                           rows=lecturers.roster(db_session()))


@classrooms_bp.get("/lecturers/<police_no>")
@login_required
def lecturer(police_no: str):
    """A lecturer's sessions, courseware and average rating (never who rated what)."""
    db = db_session()
    person = lecturers.by_police_no(db, police_no) or abort(404)
    return render_template("lms/classrooms/lecturer.html", profile=lecturers.profile(
        db, current_user.user, person, clock.utcnow()), MIN_RATERS=lecturers.MIN_RATERS)
