"""The roster import in the browser: upload and check, preview, apply what was previewed,
and the new accounts' activation codes downloadable once (docs/ADMIN-ROSTER.md)."""
from pathlib import Path

from flask import Response, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from ..auth.session import passwords
from ..domain import audit, clock
from ..domain.org import rosterconfirm
from ..domain.org.rosterfiles import RosterFiles
from ..web import db_session, newcomer_grace, unit_of_work
from .problems import localized
from .views import admin_bp, admin_required

SHOWN = 200  # rows listed per kind of change; the counts are always whole


def _files() -> RosterFiles:
    folder = current_app.config["LMS_ROSTER_FOLDER"] or Path(current_app.instance_path, "roster")
    return RosterFiles(Path(folder), current_app.config["LMS_ROSTER_FILES_TTL"])


def _me() -> int:
    return current_user.user.id


def _problems(refused: rosterconfirm.RosterRefused) -> list[tuple[int, str]]:
    return [(p.line, localized(p)) for p in refused.problems]


def _page(status: int = 200, **context):
    context.setdefault("form", FlaskForm())
    context.setdefault("ttl_minutes", int(current_app.config["LMS_ROSTER_FILES_TTL"]
                                          .total_seconds() // 60))
    return render_template("lms/admin/roster.html", shown=SHOWN, **context), status


@admin_bp.get("/roster")
@admin_required
def roster():
    """The upload form, with the file's columns explained."""
    _files().sweep(clock.utcnow())
    return _page()


@admin_bp.post("/roster")
@admin_required
def roster_upload():
    """Check the whole file; on any problem list them by line and keep nothing, else keep
    the file and show what applying it would change."""
    form = FlaskForm()
    if not form.validate_on_submit():
        abort(400)
    upload = request.files.get("file")
    data = upload.read() if upload else b""
    filename = (upload.filename or "roster.csv") if upload else ""
    if not data:
        return _page(422, notice=_("请选择要上传的名单文件（CSV）。"))
    files, now = _files(), clock.utcnow()
    token, sha = files.stage(data, _me(), filename, now)
    try:
        _plan, preview = rosterconfirm.check(db_session(), current_user.user,
                                             files.staged(token, sha, _me(), now)[0])
    except rosterconfirm.RosterRefused as refused:
        files.drop(token)
        return _page(422, filename=filename, problems=_problems(refused))
    if not preview.changes_anything:
        files.drop(token)  # nothing to confirm: keep nothing
    return _page(filename=filename, preview=preview, token=token, sha256=sha,
                 digest=preview.digest())


@admin_bp.post("/roster/apply")
@admin_required
def roster_apply():
    """Apply exactly the previewed file in one transaction, audited; refused when the file
    is gone, someone else's or altered, or when the accounts changed since the preview."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    token, sha = request.form.get("token", ""), request.form.get("sha256", "")
    files, now = _files(), clock.utcnow()
    claimed = files.claim(token, sha, _me(), now)
    if claimed is None:
        return _page(409, notice=_("这份名单已失效（超时、已导入或文件不符），请重新上传。"))
    path, meta = claimed
    app = current_app.config
    try:
        with unit_of_work() as db:
            summary, codes, seen = rosterconfirm.apply_previewed(
                db, current_user.user, path, request.form.get("digest", ""), passwords(),
                filename=meta["filename"], sha256=sha, ip=request.remote_addr, now=now,
                activation_ttl=app["LMS_ACTIVATION_TTL"], grace=newcomer_grace(),
                tz=app["LMS_TIMEZONE"])
    except rosterconfirm.RosterRefused as refused:
        files.drop(token)
        return _page(422, filename=meta["filename"], problems=_problems(refused))
    except rosterconfirm.StalePreview:
        path = files.release(token, path)
        _plan, preview = rosterconfirm.check(db_session(), current_user.user, path)
        return _page(409, filename=meta["filename"], preview=preview, token=token, sha256=sha,
                     digest=preview.digest(),
                     notice=_("预览之后账号或单位已有变动，未导入。请核对下面新的预览后再确认。"))
    except BaseException:
        files.release(token, path)  # nothing was applied: the admin may confirm again
        raise
    files.drop(token)
    record = {"filename": meta["filename"], "created": summary.created,
              "updated": summary.updated, "unchanged": summary.unchanged,
              "moved": len(seen.moved), "deactivated": len(seen.deactivated)}
    codes_token = files.keep_codes(codes, _me(), record, clock.utcnow())
    return redirect(url_for(".roster_applied", token=codes_token))


@admin_bp.get("/roster/applied/<token>")
@admin_required
def roster_applied(token: str):
    """What the import did, and the one download of the new accounts' codes."""
    record = _files().codes_record(token, _me(), clock.utcnow())
    if record is None:
        return _gone(_("这次导入的记录已过期。"))
    return _page(applied=record, token=token)


@admin_bp.post("/roster/codes/<token>")
@admin_required
def roster_codes(token: str):
    """The activation codes as CSV (UTF-8 with BOM for Excel and WPS), once: the file is
    deleted as it is sent, and a second request is refused with 410."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    now = clock.utcnow()
    data = _files().take_codes(token, _me(), now)
    if data is None:
        return _gone(_("激活码只能下载一次，已下载过或已过期。"
                       "如有遗失，请在用户页为相应账号重新生成激活码。"))
    with unit_of_work() as db:
        audit.record(db, "activation_codes_downloaded", actor_id=_me(), ip=request.remote_addr,
                     detail={"rows": max(data.count(b"\n") - 1, 0)})
    stamp = clock.to_local(now, current_app.config["LMS_TIMEZONE"]).strftime("%Y%m%d-%H%M")
    return Response(data, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="activation-codes-{stamp}.csv"'})


def _gone(message: str):
    return _page(410, notice=message, gone=True)
