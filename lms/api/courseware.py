"""GET /api/v1/courseware and /api/v1/courseware/{slug} (DESIGN §5): published items only."""
from flask import request

from ..domain.learning import catalog
from ..models import Courseware
from ..web import db_session
from .blueprint import api_bp
from .common import ApiError, token_required


def _category(item: Courseware) -> dict:
    return {"key": item.category.key, "name": item.category.name}


@api_bp.get("/courseware")
@token_required
def courseware_list():
    """Published courseware, of one category when `?category=KEY`; featured first, then title."""
    db = db_session()
    category = None
    key = request.args.get("category")
    if key:
        category = catalog.category_by_key(db, key)
        if category is None:
            raise ApiError(404, "not_found", "课件类别不存在")
    return {"items": [{"slug": item.slug, "title": item.title, "category": _category(item)}
                      for item in catalog.published(db, category)]}


@api_bp.get("/courseware/<slug>")
@token_required
def courseware_detail(slug: str):
    """One published item with its sanitized HTML body."""
    item = catalog.published_item(db_session(), slug)
    if item is None:
        raise ApiError(404, "not_found", "课件不存在")
    return {"slug": item.slug, "title": item.title, "category": _category(item),
            "body_html": item.body_html}
