"""Points claims (党建积分申报): an officer or lecturer requests points for an activity with
a photo; the branch secretary approves, returns or corrects; the photo is served only to
them; an admin edits the rules."""
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from ..domain import clock
from ..domain.claims import claims, rules
from ..domain.org import policy
from ..domain.reports import periods
from ..models import PointsClaim, PointsRule
from ..web import claim_settings, db_session, unit_of_work
from .forms import ClaimForm, ReasonForm, RuleForm

claims_bp = Blueprint("claims", __name__, url_prefix="/points")


def _claim_form(db) -> ClaimForm:
    form = ClaimForm()
    form.rule.choices = [(r.key, r.name) for r in rules.available_to(db, current_user.user)]
    return form


def _index(form: ClaimForm, status: int = 200):
    db, user = db_session(), current_user.user
    return render_template("lms/claims/index.html", form=form, claims=claims.mine(db, user),
                           rules=rules.available_to(db, user),
                           settings=claim_settings()), status


@claims_bp.get("/")
@login_required
def index():
    """The officer's requests and the form to make one."""
    form = _claim_form(db_session())
    if not form.occurred_on.data:
        form.occurred_on.data = _today()
    return _index(form)


@claims_bp.post("/")
@login_required
def submit():
    """Request points: checked, the photo stored, the points reserved against the cap."""
    db, user = db_session(), current_user.user
    form = _claim_form(db)
    if not form.validate_on_submit():
        return _index(form, 400)
    upload = request.files.get(form.evidence.name)
    # One byte past the limit is enough to know it is too large.
    data = upload.stream.read(claim_settings().max_bytes + 1) if upload else b""
    try:
        with unit_of_work():
            claims.submit(db, user, rules.by_key(db, form.rule.data), form.occurred_on.data,
                          form.note.data, data, claim_settings(), _today(), clock.utcnow(),
                          ip=request.remote_addr)
    except claims.ClaimError as refused:
        form.evidence.errors = [*form.evidence.errors, _(str(refused))]
        return _index(form, 400)
    flash(_("已提交申报，等待党支部书记审批。"), "success")
    return redirect(url_for(".index"))


@claims_bp.get("/review")
@login_required
def review():
    """The secretary's list: requests waiting for a decision, and the latest decided."""
    user = current_user.user
    if not (user.active and user.is_supervisor):
        abort(403)
    waiting, decided = claims.to_review(db_session(), user)
    return render_template("lms/claims/review.html", waiting=waiting, decided=decided,
                           form=ReasonForm(), action=FlaskForm())


@claims_bp.post("/<lms_id:claim_id>/<any(approve, return, reverse):decision>")
@login_required
def decide(claim_id: int, decision: str):
    """批准, 退回 (with a reason) or 更正 (an approval reversed by a new ledger line)."""
    db, user = db_session(), current_user.user
    form = ReasonForm()
    if not form.validate_on_submit():
        abort(400)
    claim = db.get(PointsClaim, claim_id)
    now, ip = clock.utcnow(), request.remote_addr
    try:
        with unit_of_work():
            if decision == "approve":
                claims.approve(db, user, claim, now, ip=ip)
            elif decision == "return":
                claims.return_claim(db, user, claim, form.reason.data, now, ip=ip)
            else:
                claims.reverse(db, user, claim, form.reason.data, now, ip=ip)
    except policy.PermissionDenied:
        abort(403)
    except claims.ClaimError as refused:
        flash(_(str(refused)), "error")
    else:
        flash({"approve": _("已批准，积分已记入。"), "return": _("已退回申报。"),
               "reverse": _("已更正，积分已冲回。")}[decision], "success")
    return redirect(url_for(".review"))


@claims_bp.get("/<lms_id:claim_id>/evidence")
@login_required
def evidence(claim_id: int):
    """The claim's photo, for its requester and approvers only, with headers that keep a
    browser from treating it as anything but the checked image type."""
    db = db_session()
    try:
        path, mimetype = claims.evidence_of(current_user.user, db.get(PointsClaim, claim_id),
                                            claim_settings().folder)
        response = send_file(path, mimetype=mimetype, as_attachment=False,
                             download_name=f"evidence-{claim_id}{path.suffix}", max_age=0)
    except (policy.PermissionDenied, FileNotFoundError):
        abort(404)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


@claims_bp.get("/rules")
@login_required
def rules_admin():
    """An admin's list of the points rules (edited one at a time)."""
    user = current_user.user
    if not policy.can_administer(user):
        abort(403)
    return render_template("lms/claims/rules.html", rules=rules.all_rules(db_session()))


@claims_bp.route("/rules/<lms_id:rule_id>", methods=["GET", "POST"])
@login_required
def edit_rule(rule_id: int):
    """An admin edits one rule (audited)."""
    db, user = db_session(), current_user.user
    if not policy.can_administer(user):
        abort(403)
    rule = db.get(PointsRule, rule_id) or abort(404)
    form = RuleForm(obj=rule)
    if form.validate_on_submit():
        try:
            with unit_of_work():
                rules.update(db, user, rule, name=form.name.data, points=form.points.data,
                             cap=form.cap.data, cap_period=form.cap_period.data,
                             requesters=form.requesters.data, approver=form.approver.data,
                             active=form.active.data, ip=request.remote_addr)
        except rules.RuleError as refused:
            form.cap.errors = [*form.cap.errors, _(str(refused))]
        else:
            flash(_("已保存积分规则。"), "success")
            return redirect(url_for(".rules_admin"))
    return render_template("lms/claims/rule.html", form=form, rule=rule)


def _today():
    return periods.local_today(clock.utcnow(), current_app.config["LMS_TIMEZONE"])
