"""Admin pages: org tree, user list with search and unit filter, role changes, audit log."""
from functools import wraps

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from ..domain import clock
from ..domain.org import accounts, directory, policy
from ..models import ROLES
from ..web import db_session, page_arg, unit_of_work

admin_bp = Blueprint("admin", __name__, url_prefix="/admin")


def admin_required(view):
    """Only admins reach the admin pages."""
    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not policy.can_administer(current_user.user):
            abort(403)
        return view(*args, **kwargs)
    return wrapper


@admin_bp.get("/units")
@admin_required
def units():
    """The whole org tree with officer counts."""
    db = db_session()
    return render_template("lms/admin/units.html", units=directory.all_units(db),
                           counts=directory.officer_counts(db, "/"))


@admin_bp.get("/users")
@admin_required
def users():
    """Users, searchable by police number or name, filtered by unit subtree and role."""
    db = db_session()
    text = request.args.get("q", "").strip()[:64]
    unit = None
    if request.args.get("unit"):
        unit = directory.unit_by_code(db, request.args["unit"]) or abort(404)
    role = request.args.get("role") if request.args.get("role") in ROLES else None
    page = page_arg()
    found, total = directory.search_users(db, "/", text, unit, limit=50, offset=(page - 1) * 50,
                                          role=role)
    return render_template("lms/admin/users.html", users=found, total=total, q=text,
                           unit=unit, role=role, page=page, form=FlaskForm(), roles=ROLES,
                           units=directory.all_units(db))


@admin_bp.post("/users/<police_no>/roles")
@admin_required
def set_roles(police_no: str):
    """Change a user's roles (audited)."""
    form = FlaskForm()
    if not form.validate_on_submit():
        abort(400)
    user = accounts.find_user(db_session(), police_no) or abort(404)
    roles = {role for role in request.form.getlist("roles") if role in ROLES}
    try:
        # change_roles may have set roles before it refuses: the rollback undoes them.
        with unit_of_work() as db:
            changed = directory.change_roles(db, current_user.user, user, roles,
                                             request.remote_addr)
    except ValueError:
        flash(_("不能取消自己的管理员角色。"), "error")
        return redirect(request.referrer or url_for(".users"))
    if changed:
        flash(_("已更新 %(name)s 的角色。", name=user.name), "success")
    return redirect(url_for(".users", q=police_no))


@admin_bp.post("/users/<police_no>/deactivate")
@admin_required
def deactivate(police_no: str):
    """Deactivate an officer who left (audited with the reason): sign-in, sessions and
    tokens end at once; past reports stay as they were."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    reason = request.form.get("reason", "").strip()[:255]
    if not reason:  # the page has no confirmation step: the reason is the deliberate act
        flash(_("请填写停用原因，账号未停用。"), "error")
        return redirect(url_for(".users", q=police_no))
    try:
        with unit_of_work() as db:
            user = accounts.find_user(db, police_no) or abort(404)
            done = directory.deactivate(db, current_user.user, [user], reason,
                                        request.remote_addr, clock.utcnow())
    except ValueError:
        flash(_("不能停用自己的账号。"), "error")
        return redirect(url_for(".users", q=police_no))
    if done:
        flash(_("已停用 %(name)s 的账号。", name=user.name), "success")
    return redirect(url_for(".users", q=police_no))


@admin_bp.get("/audit")
@admin_required
def audit_log():
    """The latest audit events."""
    action = request.args.get("action", "").strip()
    return render_template("lms/admin/audit.html", action=action,
                           events=directory.audit_events(db_session(), action))


# The admin's other pages register on the same blueprint (imported last: they use it).
from . import orgedit, roster  # noqa: E402,F401
