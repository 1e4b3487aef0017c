"""Catalogue pages: courseware by category and search, the reading page, "我已读完"."""
from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..domain import clock
from ..domain.learning import catalog
from ..web import db_session, page_arg, unit_of_work

catalog_bp = Blueprint("catalog", __name__)



@catalog_bp.get("/courseware")
@login_required
def index():
    """Published courseware, featured first, by category tab and search text, 30 a page."""
    db = db_session()
    category = None
    if request.args.get("category"):
        category = catalog.category_by_key(db, request.args["category"]) or abort(404)
    text = request.args.get("q", "").strip()[:catalog.MAX_QUERY_LENGTH]
    page = page_arg()
    listing = catalog.browse(db, category, text, page)
    done = catalog.completed_ids(db, current_user.user.id, [i.id for i in listing.items])
    return render_template("lms/catalog/index.html", categories=catalog.categories(db),
                           category=category, q=text, listing=listing, done=done)


@catalog_bp.get("/courseware/<slug>")
@login_required
def read(slug: str):
    """The reading page; opening it starts the server-side reading timer."""
    user_id = current_user.user.id
    with unit_of_work() as db:
        item = catalog.published_item(db, slug) or abort(404)
        now = clock.utcnow()
        catalog.open_item(db, user_id, item, now)
        left = catalog.seconds_left(db, user_id, item)
    quiz_url = None
    if item.quiz_id is not None:
        quiz_url = url_for("lms.quiz.courseware_quiz", slug=item.slug)
    return render_template("lms/catalog/read.html", item=item, quiz_url=quiz_url,
                           seconds_left=left, unlock_at=now + timedelta(seconds=left),
                           completed=bool(catalog.completed_ids(db, user_id, [item.id])))


@catalog_bp.post("/courseware/<slug>/done")
@login_required
def done(slug: str):
    """我已读完: bank the reading time (server clock); complete the item if read long enough."""
    with unit_of_work() as db:
        item = catalog.published_item(db, slug) or abort(404)
        outcome = catalog.finish_reading(db, current_user.user.id, item, clock.utcnow(),
                                         current_app.config["LMS_POINTS"])
    if outcome.points_awarded:
        flash(_("已完成本课件的学习，积分 +%(n)s。", n=outcome.points_awarded), "success")
    elif outcome.completed:
        flash(_("已完成本课件的学习。"), "success")
    elif outcome.seconds_left:
        flash(_("阅读时间还不够，请再阅读 %(n)s 秒后确认。", n=outcome.seconds_left), "error")
    else:
        flash(_("阅读时长已记录，通过测验后计为已学。"), "info")
    return redirect(url_for(".read", slug=item.slug))
