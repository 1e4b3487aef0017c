"""Supervision pages: completion by the org tree with drill-down, the not-yet-done list, the
quarterly inspection notice (通报) and their exports. Scope is checked by the policy."""
import io
from dataclasses import dataclass

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

from ..domain import clock
from ..domain.org import directory, policy
from ..domain.reminders import nudge, outbox
from ..domain.reports import (
    downloads,
    inspection,
    owing,
    periods,
    plans,
    rollup,
    sorting,
    unitactivity,
)
from ..models import Unit
from ..web import db_session, hours_rule, page_arg, unit_of_work

supervise_bp = Blueprint("supervise", __name__, url_prefix="/supervise")


@supervise_bp.before_request
def _custom_plans():
    """Every supervision page is a report: plan its statements per execution."""
    plans.custom_plans(db_session())

PAGE_SIZE = 100


@dataclass(frozen=True)
class Ask:
    """What a supervision request asks for, already checked against the policy."""

    unit: Unit
    selection: rollup.Selection
    crumbs: list[Unit]

    def args(self, **extra) -> dict:
        """Query arguments that reproduce this request (for links and exports)."""
        sel = self.selection
        base = {"unit": self.unit.code}
        base.update({"lesson": sel.lesson.id} if sel.lesson else {"period": sel.period.key})
        return {**base, **extra}


@supervise_bp.get("/")
@login_required
def dashboard():
    """Completion per child unit for a period or lesson, its chart and trend, own officers."""
    db, ask, now = db_session(), _ask("week"), clock.utcnow()
    report = rollup.completion_by_child(db, ask.unit, ask.selection, now)
    trend = rollup.trend_of(db, ask.unit, report, now, _tz())
    current = periods.week_of(_today(now), _tz())
    span = _activity_period(ask)
    activity, activity_total = unitactivity.for_rows(
        unitactivity.by_child(db, ask.unit, span, now, hours_rule(), _tz()),
        [row.unit.id for row in report.rows])
    # The unit's own officers (本级) are not a unit to rank: they stay last when sorted.
    unit_rows, unit_sort = _sorted([r for r in report.rows if not r.own], sorting.UNITS)
    unit_rows = (unit_rows + [r for r in report.rows if r.own]) if unit_sort else report.rows
    officers, officer_sort = _sorted(rollup.officers_of(db, ask.unit, ask.selection, now),
                                     sorting.OFFICERS, "o")
    return render_template(
        "lms/supervise/dashboard.html", ask=ask, report=report, now=now, trend=trend,
        current_week=None if ask.selection.period == current else current,
        activity=activity, activity_total=activity_total, span=span,
        officer_hours=unitactivity.officer_hours(
            db, [o.user_id for o in officers], unitactivity.moment_of(span, now),
            hours_rule(), _tz()),
        unit_rows=unit_rows, unit_sort=unit_sort, officers=officers, officer_sort=officer_sort,
        units=directory.children(db, ask.unit),
        choices=periods.choices(_today(now), _tz()),
        lessons=rollup.recent_lessons(db, now))


def _sorted(rows, columns, prefix: str = ""):
    """A small table's rows sorted as the query string asks (`<prefix>sort`, `<prefix>dir`)."""
    return sorting.order(rows, columns, request.args.get(f"{prefix}sort"),
                         request.args.get(f"{prefix}dir"))


@supervise_bp.get("/pending")
@login_required
def pending():
    """Who in the unit's subtree has not done the lesson(s): one row per person (lessons owed,
    days overdue; sortable, to remind), or per person and lesson with `view=lessons`."""
    db, ask, now = db_session(), _ask("week"), clock.utcnow()
    page = page_arg()
    by_lesson = request.args.get("view") == "lessons"
    sort = request.args.get("sort", "overdue")
    sort = sort if sort in owing.SORTS else "overdue"
    descending = request.args.get("dir", "desc") != "asc"
    lesson_sort = sorting.parse(request.args.get("sort"), request.args.get("dir"),
                                rollup.PENDING_SORTS) if by_lesson else None
    if by_lesson:
        rows, total = rollup.pending(db, ask.unit, ask.selection, now, _tz(), limit=PAGE_SIZE,
                                      offset=(page - 1) * PAGE_SIZE, sort=lesson_sort)
    else:
        rows, total = owing.people_owing(db, ask.unit, ask.selection, now, _tz(), sort,
                                         descending, limit=PAGE_SIZE,
                                         offset=(page - 1) * PAGE_SIZE)
    return render_template("lms/supervise/pending.html", ask=ask, rows=rows, total=total,
                           page=page, page_size=PAGE_SIZE, by_lesson=by_lesson, sort=sort,
                           descending=descending, lesson_sort=lesson_sort,
                           units=directory.children(db, ask.unit),
                           choices=periods.choices(_today(now), _tz()),
                           lessons=rollup.recent_lessons(db, now))


@supervise_bp.post("/remind")
@login_required
def remind():
    """提醒所选人员: a notification now to each selected officer, once per person and day."""
    ask = _ask("week")
    ids = [int(v) for v in request.form.getlist("user") if v.isascii() and v.isdigit()
           and len(v) <= 9]
    if not ids:
        flash(_("请先勾选要提醒的人员。"), "error")
    else:
        with unit_of_work() as db:
            done = nudge.remind(db, current_user.user, ids, clock.utcnow(), _tz(),
                                outbox.delivers_externally(current_app.extensions["lms"]
                                                           .notifier),
                                ip=request.remote_addr)
        _flash_nudged(done)
    back = {k: v for k, v in request.form.items() if k in ("sort", "dir", "page")}
    return redirect(url_for("lms.supervise.pending", **ask.args(**back)))


def _flash_nudged(done: nudge.Nudged) -> None:
    """Say what a "remind now" did, naming those refused for today."""
    if done.sent:
        flash(_("已向 %(n)s 人发送提醒。", n=len(done.sent)), "success")
    if done.already:
        names = _("、").join(u.name for u in done.already[:10])
        flash(_("%(names)s 今天已提醒过（每人每天一次），未重复发送。", names=names), "error")
    if done.refused:
        flash(_("%(n)s 人不在您的管辖范围内或已停用，未发送。", n=done.refused), "error")


@supervise_bp.get("/tongbao")
@login_required
def tongbao():
    """The quarterly online inspection and ranking notice (网上巡查通报), printable on A4."""
    db, ask, now = db_session(), _ask("quarter", lesson_allowed=False), clock.utcnow()
    named = request.args.get("names") == "1"
    table = inspection.inspection(db, ask.unit, ask.selection.period, now,
                                  name_individuals=named, rule=hours_rule(), tz=_tz())
    quarters = [p for p in periods.choices(_today(now), _tz()) if p.kind != "week"]
    branches, branch_sort = _sorted(table.rows, sorting.BRANCHES)
    named_rows, named_sort = _sorted(table.named or [], sorting.NAMED, "n")
    return render_template("lms/supervise/tongbao.html", ask=ask, ins=table, named=named,
                           branches=branches, branch_sort=branch_sort, named_rows=named_rows,
                           named_sort=named_sort, units=directory.children(db, ask.unit),
                           choices=quarters, today=_today(now), now=now)


@supervise_bp.get("/export/<any(units, officers, pending, tongbao):table>.<any(csv, xlsx):fmt>")
@login_required
def export(table: str, fmt: str):
    """A supervision table as CSV or XLSX; every export is audited (who, what, when)."""
    ask = _ask("quarter" if table == "tongbao" else "week", lesson_allowed=table != "tongbao")
    with unit_of_work() as db:
        file = downloads.export(db, current_user.user, table, fmt, ask.unit, ask.selection,
                                clock.utcnow(), _tz(), named=request.args.get("names") == "1",
                                translate=_, ip=request.remote_addr, rule=hours_rule())
    return send_file(io.BytesIO(file.body), mimetype=file.mimetype, as_attachment=True,
                     download_name=file.name, max_age=0)


# --- request parsing ---------------------------------------------------------------------------

def _ask(default_kind: str, lesson_allowed: bool = True) -> Ask:
    """The unit (policy-checked: 403 outside scope or unknown), and the period or lesson."""
    db, user = db_session(), current_user.user
    unit = policy.report_unit(db, user, request.args.get("unit", "").strip() or None)
    lesson_arg = request.args.get("lesson", "").strip()
    if lesson_arg and lesson_allowed:
        if not lesson_arg.isascii() or not lesson_arg.isdigit():
            abort(400)
        # Longer than any id can be (and than the database's integer): simply not found.
        lesson = (len(lesson_arg) <= 9
                  and rollup.find_lesson(db, int(lesson_arg), clock.utcnow())) or abort(404)
        selection = rollup.Selection(lesson=lesson)
    else:
        selection = rollup.Selection(period=_period(default_kind))
    return Ask(unit, selection, directory.crumbs(db, user, unit))


def _activity_period(ask: Ask) -> periods.Period:
    """The span the classroom and hours figures cover: the selected period, or the week in
    which the selected lesson was due."""
    if ask.selection.period is not None:
        return ask.selection.period
    return periods.week_of(periods.local_today(ask.selection.lesson.due_at, _tz()), _tz())


def _period(default_kind: str) -> periods.Period:
    text = request.args.get("period", "").strip()
    if not text:
        now = clock.utcnow()
        if default_kind == "week":  # the current week's lessons are not due yet: nothing to see
            return rollup.last_due_week(db_session(), now, _tz())
        return periods.quarter_of(_today(now), _tz())
    try:
        return periods.parse(text, _tz())
    except ValueError:
        abort(400)


def _tz() -> str:
    return current_app.config["LMS_TIMEZONE"]


def _today(now):
    return periods.local_today(now, _tz())

