"""Profile pages (to be built)."""
from flask import Blueprint

profile_bp = Blueprint("profile", __name__)
