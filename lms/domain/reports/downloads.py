"""The supervision tables as files to download: built from the reports, written as CSV or
XLSX and audited in one call, so every entry point that exports records who took what;
no Flask."""
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from ...models import Unit, User
from .. import audit
from ..clock import to_local
from ..learning import hours
from . import exports, inspection, periods, rollup, unitactivity
from .exports import N_

TABLES = ("units", "officers", "pending", "tongbao")
FORMATS = ("csv", "xlsx")


@dataclass(frozen=True)
class Download:
    """A file to hand out: its name, MIME type and bytes."""

    name: str
    mimetype: str
    body: bytes


def tables(db: Session, table: str, unit: Unit, selection: rollup.Selection, now: datetime,
           tz: str, named: bool = False, translate: Callable = str,
           rule: hours.HoursRule = hours.DEFAULT_RULE) -> list[exports.Table]:
    """The rows of one supervision table (`tongbao`: the notice and, with `named`, the
    officers behind it) titled in the reader's language."""
    what = selection.lesson.title if selection.lesson else selection.period.label
    span = selection.period or periods.week_of(periods.local_today(selection.lesson.due_at, tz),
                                               tz)
    if table == "units":
        report = rollup.completion_by_child(db, unit, selection, now)
        activity, _total = unitactivity.for_rows(
            unitactivity.by_child(db, unit, span, now, rule, tz),
            [row.unit.id for row in report.rows])
        title = f"{unit.name} {what} " + translate(N_("微课完成情况"))
        return [exports.unit_table(report, title, translate, activity=activity)]
    if table == "officers":
        officers = rollup.officers_of(db, unit, selection, now)
        studied = unitactivity.officer_hours(db, [o.user_id for o in officers],
                                             unitactivity.moment_of(span, now), rule, tz)
        title = f"{unit.name} {what} " + translate(N_("人员完成情况"))
        return [exports.officer_table(officers, title, tz, translate, hours=studied)]
    if table == "pending":
        rows, _total = rollup.pending(db, unit, selection, now, tz, limit=None)
        title = f"{unit.name} {what} " + translate(N_("未完成名单"))
        return [exports.pending_table(rows, title, tz, translate)]
    if table != "tongbao":
        raise ValueError(f"unknown table: {table}")
    ins = inspection.inspection(db, unit, selection.period, now, name_individuals=named,
                                rule=rule, tz=tz)
    note = None
    if now < selection.period.end:  # a running quarter: say what the figures cover
        note = exports.as_of_note(ins, now, tz, translate)
        cutoff = to_local(now, tz).strftime("%Y-%m-%d")
        what = translate(N_("%(period)s（截至%(date)s）")) % {"period": what, "date": cutoff}
    title = f"{unit.name} {what} " + translate(N_("网上巡查情况"))
    return exports.inspection_tables(ins, title, translate, note)


def export(db: Session, actor: User, table: str, fmt: str, unit: Unit,
           selection: rollup.Selection, now: datetime, tz: str, named: bool = False,
           translate: Callable = str, ip: str | None = None,
           rule: hours.HoursRule = hours.DEFAULT_RULE) -> Download:
    """One supervision table as CSV (its first sheet) or XLSX, the export audited (who,
    what, when, how many rows) in the caller's transaction. The unit must already have
    passed the policy."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format: {fmt}")
    named = named and table == "tongbao"
    found = tables(db, table, unit, selection, now, tz, named, translate, rule)
    body = exports.to_csv(found[0]) if fmt == "csv" else exports.to_xlsx(*found)
    audit.record(db, "report_exported", actor_id=actor.id, target=unit.code, ip=ip,
                 detail={"table": table, "format": fmt, "selection": selection.key,
                         "rows": sum(len(t.rows) for t in found), "names": named})
    mimetype = exports.CSV_MIMETYPE if fmt == "csv" else exports.XLSX_MIMETYPE
    return Download(f"{table}-{unit.code}-{selection.key}.{fmt}", mimetype, body)
