"""Catalog pages (to be built)."""
from flask import Blueprint

catalog_bp = Blueprint("catalog", __name__)
