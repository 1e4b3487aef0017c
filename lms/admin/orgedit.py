"""Admin edits of the org tree (add, rename, move a unit) and of one account (move it,
reactivate it, reissue its activation code); thin views over `org.units` and
`org.useradmin`, every change audited there."""
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm

from ..auth.session import passwords
from ..auth.views import safe_next
from ..domain import clock
from ..domain.org import accounts, directory, units, useradmin
from ..models import UNIT_KINDS
from ..web import db_session, unit_of_work
from .views import admin_bp, admin_required

REFUSALS = {
    "empty_name": _l("单位名称不能为空。"),
    "long_name": _l("单位名称不能超过 120 个字符。"),
    "bad_code": _l("单位代码应为 1 至 32 位字母、数字或 _ - . 字符，且以字母或数字开头。"),
    "bad_kind": _l("请选择单位类型。"),
    "no_parent": _l("请选择上级单位。"),
    "too_deep": _l("层级过深：单位树最多 20 层。"),
    "code_taken": _l("该单位代码已被使用。"),
    "root": _l("根单位不能移动。"),
    "own_subtree": _l("不能把单位移到它自己或它的下级单位之下。"),
}


def _form_ok() -> None:
    if not FlaskForm().validate_on_submit():
        abort(400)


def _unit(code: str):
    return directory.unit_by_code(db_session(), code) or abort(404)


@admin_bp.get("/units/<code>")
@admin_required
def unit_edit(code: str):
    """One unit: rename it, move it under another unit, add a unit below it."""
    db = db_session()
    unit = _unit(code)
    below = {u.id for u in directory.subtree(db, unit)}
    parents = [u for u in directory.all_units(db) if u.id not in below]
    return render_template("lms/admin/unit_edit.html", unit=unit, parents=parents,
                           kinds=UNIT_KINDS, form=FlaskForm(),
                           crumbs=directory.crumbs(db, current_user.user, unit))


def _refused(code: str, refusal: units.UnitRefused):
    flash(str(REFUSALS.get(refusal.reason, refusal.reason)), "error")
    return redirect(url_for(".unit_edit", code=code))


@admin_bp.post("/units/<code>/rename")
@admin_required
def unit_rename(code: str):
    """Rename a unit (audited)."""
    _form_ok()
    try:
        with unit_of_work() as db:
            unit = _unit(code)
            units.rename_unit(db, current_user.user, unit, request.form.get("name", ""),
                              request.remote_addr)
    except units.UnitRefused as refusal:
        return _refused(code, refusal)
    flash(_("已更新单位名称。"), "success")
    return redirect(url_for(".unit_edit", code=code))


@admin_bp.post("/units/<code>/move")
@admin_required
def unit_move(code: str):
    """Move a unit and its subtree under another unit (audited)."""
    _form_ok()
    try:
        with unit_of_work() as db:
            unit = _unit(code)
            parent = directory.unit_by_code(db, request.form.get("parent", ""))
            if parent is None:
                raise units.UnitRefused("no_parent")
            moved = units.move_unit(db, current_user.user, unit, parent, request.remote_addr)
    except units.UnitRefused as refusal:
        return _refused(code, refusal)
    if moved:
        flash(_("已把 %(name)s 及其下级共 %(n)s 个单位移到 %(parent)s 之下。",
                name=unit.name, n=moved, parent=parent.name), "success")
    return redirect(url_for(".unit_edit", code=code))


@admin_bp.post("/units/<code>/children")
@admin_required
def unit_add(code: str):
    """Add a unit below this one (audited)."""
    _form_ok()
    form = request.form
    try:
        with unit_of_work() as db:
            child = units.add_unit(db, current_user.user, form.get("code", ""),
                                   form.get("name", ""), form.get("kind", ""), _unit(code),
                                   request.remote_addr)
    except units.UnitRefused as refusal:
        return _refused(code, refusal)
    flash(_("已添加单位 %(name)s。", name=child.name), "success")
    return redirect(url_for(".unit_edit", code=child.code))


def _back(police_no: str):
    """Back to the list the admin came from (a local path only), else to this user."""
    back = safe_next(request.form.get("next", ""))
    # safe_next: a tab or newline in '/<TAB>/host' is dropped by browsers, making '//host'
    return redirect(back if back and back.isprintable() else url_for(".users", q=police_no))


@admin_bp.post("/users/<police_no>/move")
@admin_required
def user_move(police_no: str):
    """Move a user to another unit from now on (audited)."""
    _form_ok()
    with unit_of_work() as db:
        user = accounts.find_user(db, police_no) or abort(404)
        unit = directory.unit_by_code(db, request.form.get("unit", "").strip())
        if unit is None:
            flash(_("没有这个单位代码，未调动。"), "error")
            return _back(police_no)
        moved = useradmin.move_user(db, current_user.user, user, unit, request.remote_addr,
                                    clock.utcnow())
    if moved:
        flash(_("已把 %(name)s 调到 %(unit)s。", name=user.name, unit=unit.name), "success")
    return _back(police_no)


@admin_bp.post("/users/<police_no>/reactivate")
@admin_required
def user_reactivate(police_no: str):
    """Let a deactivated account sign in again (audited with the reason)."""
    _form_ok()
    with unit_of_work() as db:
        user = accounts.find_user(db, police_no) or abort(404)
        done = useradmin.reactivate(db, current_user.user, user,
                                    request.form.get("reason", "").strip()[:255],
                                    request.remote_addr, clock.utcnow())
    if done:
        flash(_("已恢复 %(name)s 的账号。", name=user.name), "success")
    return _back(police_no)


@admin_bp.post("/users/<police_no>/activation-code")
@admin_required
def user_reissue_code(police_no: str):
    """A new activation code for an account awaiting activation, shown on this page only."""
    _form_ok()
    try:
        with unit_of_work() as db:
            user = accounts.find_user(db, police_no) or abort(404)
            code = useradmin.reissue_code(db, current_user.user, user, passwords(),
                                          current_app.config["LMS_ACTIVATION_TTL"],
                                          request.remote_addr, clock.utcnow())
    except ValueError:
        flash(_("只有尚未激活的在用账号可以重新生成激活码。"), "error")
        return _back(police_no)
    return render_template("lms/admin/code_issued.html", user=user, code=code)
