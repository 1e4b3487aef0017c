"""GET /api/v1/me."""
from flask import g

from ..domain.learning import points
from ..web import db_session
from .blueprint import api_bp
from .common import token_required


@api_bp.get("/me")
@token_required
def me():
    """Who the token belongs to."""
    user = g.api_user
    return {
        "police_no": user.police_no,
        "name": user.name,
        "unit": {"code": user.unit.code, "name": user.unit.name},
        "roles": user.roles,
        "points": points.total(db_session(), user.id),
    }
