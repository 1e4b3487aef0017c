"""Classrooms pages (to be built)."""
from flask import Blueprint

classrooms_bp = Blueprint("classrooms", __name__)
