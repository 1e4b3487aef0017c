"""The notification inbox (消息): the user's own notifications, newest first; mark read."""
from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..domain import clock
from ..domain.reminders import inbox
from ..web import MAX_PAGE, db_session, page_arg, state, unit_of_work

notifications_bp = Blueprint("notifications", __name__)


@notifications_bp.get("/notifications")
@login_required
def index():
    """One page of the inbox, unread ones marked, the unread total in the header."""
    page = page_arg()
    listing = inbox.inbox(db_session(), current_user.user.id, page=page)
    return render_template("lms/notifications/index.html", inbox=listing, href=_href)


@notifications_bp.post("/notifications/read")
@login_required
def mark_all_read():
    """Mark every notification of the user read."""
    with unit_of_work() as db:
        inbox.mark_all_read(db, current_user.user.id, clock.utcnow())
    return redirect(url_for(".index"))


@notifications_bp.post("/notifications/<lms_id:notification_id>/read")
@login_required
def mark_read(notification_id: int):
    """Mark one read, then go back to the inbox — or, with `open`, on to what it is about."""
    try:
        with unit_of_work() as db:
            notification = inbox.mark_read(db, current_user.user.id, notification_id,
                                           clock.utcnow())
    except inbox.NotificationNotFound:
        abort(404)  # someone else's looks exactly like a missing one
    target = _href(notification.link) if request.form.get("open") else None
    page = min(max(1, request.form.get("page", 1, type=int)), MAX_PAGE)
    return redirect(target or url_for(".index", page=page))


def _href(link: str | None) -> str | None:
    """A stored in-LMS path as a URL under the mount point; anything else is dropped."""
    if not link or not link.startswith("/") or link.startswith("//"):
        return None
    return state().url_prefix + link
