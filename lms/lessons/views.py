"""Lessons pages (to be built)."""
from flask import Blueprint

lessons_bp = Blueprint("lessons", __name__)
