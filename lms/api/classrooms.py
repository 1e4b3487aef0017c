"""GET /api/v1/classrooms (DESIGN §5): the classrooms the caller may see, of one type."""
from flask import g, request

from ..domain import clock
from ..domain.classrooms import register
from ..web import db_session
from .blueprint import api_bp
from .common import ApiError, token_required


@api_bp.get("/classrooms")
@token_required
def classroom_list():
    """Classrooms by type then name, of one type when `?type=KEY` (404 for an unknown key);
    scoped by `policy.classrooms_visible`."""
    db = db_session()
    kind = None
    if "type" in request.args:
        kind = register.type_by_key(db, request.args["type"])
        if kind is None:
            raise ApiError(404, "not_found", "课堂类型不存在")
    rows = register.listing(db, g.api_user, clock.utcnow(), kind)
    return {"classrooms": [{
        "slug": row.slug, "name": row.name,
        "type": {"key": row.type_key, "name": row.type_name},
        "unit": {"code": row.unit_code, "name": row.unit_name} if row.unit_code else None,
        "status": row.status,
        "lecturers": [{"police_no": person.police_no, "name": person.name}
                      for person in row.lecturers],
        "sessions_held": row.sessions_held} for row in rows]}
