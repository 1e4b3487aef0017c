"""Supervision pages: completion by the org tree with drill-down, the not-yet-done list, the
quarterly inspection notice (通报) and their exports. Scope is checked by the policy."""
import io
from dataclasses import dataclass

from flask import Blueprint, abort, current_app, render_template, request, send_file
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ..domain import audit, clock
from ..domain.org import policy
from ..domain.reports import exports, inspection, periods, rollup
from ..models import Unit
from ..web import db_session, page_arg

supervise_bp = Blueprint("supervise", __name__, url_prefix="/supervise")

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
    weeks = _trend_weeks(ask.selection, now)
    # A quarter's or year's trend comes from the report's own lessons: no second pass.
    long_period = ask.selection.period is not None and ask.selection.period.kind != "week"
    trend = (rollup.weekly(report, weeks) if long_period
             else rollup.trend(db, ask.unit, weeks, now))
    return render_template(
        "lms/supervise/dashboard.html", ask=ask, report=report, now=now, trend=trend,
        officers=rollup.officers_of(db, ask.unit, ask.selection, now),
        choices=periods.choices(_today(now), _tz()),
        lessons=rollup.recent_lessons(db, now))


@supervise_bp.get("/pending")
@login_required
def pending():
    """Who in the unit's subtree has not done the lesson(s) yet, most overdue first."""
    db, ask, now = db_session(), _ask("week"), clock.utcnow()
    page = page_arg()
    rows, total = rollup.pending(db, ask.unit, ask.selection, now, _tz(), limit=PAGE_SIZE,
                                  offset=(page - 1) * PAGE_SIZE)
    return render_template("lms/supervise/pending.html", ask=ask, rows=rows, total=total,
                           page=page, page_size=PAGE_SIZE,
                           choices=periods.choices(_today(now), _tz()),
                           lessons=rollup.recent_lessons(db, now))


@supervise_bp.get("/tongbao")
@login_required
def tongbao():
    """The quarterly online inspection and ranking notice (网上巡查通报), printable on A4."""
    db, ask, now = db_session(), _ask("quarter", lesson_allowed=False), clock.utcnow()
    named = request.args.get("names") == "1"
    table = inspection.inspection(db, ask.unit, ask.selection.period, now,
                                  name_individuals=named)
    quarters = [p for p in periods.choices(_today(now), _tz()) if p.kind != "week"]
    return render_template("lms/supervise/tongbao.html", ask=ask, ins=table, named=named,
                           choices=quarters, today=_today(now))


@supervise_bp.get("/export/<any(units, officers, pending, tongbao):table>.<any(csv, xlsx):fmt>")
@login_required
def export(table: str, fmt: str):
    """A supervision table as CSV or XLSX; every export is audited (who, what, when)."""
    db, now, tz = db_session(), clock.utcnow(), _tz()
    ask = _ask("quarter" if table == "tongbao" else "week", lesson_allowed=table != "tongbao")
    named = table == "tongbao" and request.args.get("names") == "1"
    tables = _export_tables(db, table, ask, now, tz, named)
    body = exports.to_csv(tables[0]) if fmt == "csv" else exports.to_xlsx(*tables)
    audit.record(db, "report_exported", actor_id=current_user.user.id, target=ask.unit.code,
                 detail={"table": table, "format": fmt, "selection": ask.selection.key,
                         "rows": sum(len(t.rows) for t in tables), "names": named},
                 ip=request.remote_addr)
    db.commit()
    mimetype = exports.CSV_MIMETYPE if fmt == "csv" else exports.XLSX_MIMETYPE
    name = f"{table}-{ask.unit.code}-{ask.selection.key}.{fmt}"
    return send_file(io.BytesIO(body), mimetype=mimetype, as_attachment=True, download_name=name,
                     max_age=0)


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
        lesson = (len(lesson_arg) <= 9 and rollup.find_lesson(db, int(lesson_arg))) or abort(404)
        selection = rollup.Selection(lesson=lesson)
    else:
        selection = rollup.Selection(period=_period(default_kind))
    return Ask(unit, selection, _crumbs(db, user, unit))


def _period(default_kind: str) -> periods.Period:
    text = request.args.get("period", "").strip()
    if not text:
        today = _today(clock.utcnow())
        return (periods.week_of if default_kind == "week" else periods.quarter_of)(today, _tz())
    try:
        return periods.parse(text, _tz())
    except ValueError:
        abort(400)


def _crumbs(db, user, unit: Unit) -> list[Unit]:
    """The unit's ancestors inside the user's scope, top first, ending with the unit."""
    ids = [int(part) for part in unit.path.strip("/").split("/") if part]
    ancestors = db.scalars(select(Unit).where(Unit.id.in_(ids)).order_by(Unit.depth))
    return [u for u in ancestors if policy.unit_in_scope(user, u)]


def _trend_weeks(selection: rollup.Selection, now) -> list[periods.Period]:
    """The weeks the trend line shows: the period's weeks so far, or eight up to the week."""
    tz = _tz()
    if selection.lesson is not None:
        return periods.recent_weeks(periods.local_today(selection.lesson.due_at, tz), 8, tz)
    if selection.period.kind == "week":
        return periods.recent_weeks(selection.period.first_day, 8, tz)
    weeks = [w for w in periods.weeks_in(selection.period, tz) if w.start <= now]
    return weeks or periods.weeks_in(selection.period, tz)[:1]


def _export_tables(db, table: str, ask: Ask, now, tz: str, named: bool) -> list[exports.Table]:
    what = ask.selection.lesson.title if ask.selection.lesson else ask.selection.period.label
    if table == "units":
        report = rollup.completion_by_child(db, ask.unit, ask.selection, now)
        return [exports.unit_table(report, f"{ask.unit.name} {what} " + _("微课完成情况"), _)]
    if table == "officers":
        officers = rollup.officers_of(db, ask.unit, ask.selection, now)
        return [exports.officer_table(officers, f"{ask.unit.name} {what} " + _("人员完成情况"),
                                      tz, _)]
    if table == "pending":
        rows, _total = rollup.pending(db, ask.unit, ask.selection, now, tz, limit=None)
        return [exports.pending_table(rows, f"{ask.unit.name} {what} " + _("未完成名单"), tz, _)]
    ins = inspection.inspection(db, ask.unit, ask.selection.period, now, name_individuals=named)
    return exports.inspection_tables(ins, f"{ask.unit.name} {what} " + _("网上巡查情况"), _)


def _tz() -> str:
    return current_app.config["LMS_TIMEZONE"]


def _today(now):
    return periods.local_today(now, _tz())

