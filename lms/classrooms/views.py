"""Classroom pages: the five classroom types (五大课堂) and their classrooms."""
from flask import Blueprint, render_template
from flask_login import login_required

from ..domain import catalog
from ..extension import db_session

classrooms_bp = Blueprint("classrooms", __name__)


@classrooms_bp.get("/classrooms")
@login_required
def index():
    """Every classroom type with its description and classrooms."""
    return render_template("lms/classrooms/index.html",
                           sections=catalog.classroom_sections(db_session()))
