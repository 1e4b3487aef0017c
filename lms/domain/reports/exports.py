"""Exports of the supervision tables: CSV (UTF-8 with BOM, so Excel and WPS read Chinese
correctly) and XLSX (openpyxl); no Flask.

A text cell starting with =, +, -, @, tab or carriage return would run as a formula in a
spreadsheet (formula injection): it gets a leading apostrophe. Numbers stay numbers.
"""
import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ..clock import to_local
from ..learning import issues
from ..text import shown
from .inspection import Inspection
from .rollup import OfficerRow, PendingRow, UnitReport
from .unitactivity import Activity

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CSV_MIMETYPE = "text/csv; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def N_(text: str) -> str:
    """Mark a header for translation (pybabel extracts N_); the caller translates it."""
    return text


@dataclass(frozen=True)
class Column:
    """A column: its header and how its values are written (text, int, percent, score, time)."""

    header: str
    kind: str = "text"


@dataclass
class Table:
    """A titled table of plain values; `total` is an optional last row set apart."""

    title: str
    columns: list[Column]
    rows: list[tuple] = field(default_factory=list)
    total: tuple | None = None
    note: str | None = None  # a line under the title: what the figures cover ("截至…")


def neutralise(value):
    """A text value that cannot start a formula; other values unchanged."""
    if isinstance(value, str):
        # Control characters XLSX cannot hold go; a lone surrogate, which no UTF-8 file can
        # hold, is shown as U+FFFD so one bad name never fails the whole export.
        value = ILLEGAL_CHARACTERS_RE.sub("", shown(value))
        if value.startswith(FORMULA_PREFIXES):
            return "'" + value
    return value


def to_csv(table: Table) -> bytes:
    """The table as CSV: UTF-8 with BOM, CRLF line ends, header first, total last."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if table.note:  # read before the figures, as on the page; a blank line sets it apart
        writer.writerows([[neutralise(table.note)], []])
    writer.writerow([neutralise(c.header) for c in table.columns])
    for row in _all_rows(table):
        writer.writerow([_csv_cell(value, col.kind) for value, col in zip(row, table.columns)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(*tables: Table) -> bytes:
    """One worksheet per table: title in A1, header in row 3, frozen and filterable."""
    book = Workbook()
    book.remove(book.active)
    for n, table in enumerate(tables, start=1):
        sheet = book.create_sheet(_sheet_name(table.title, n))
        sheet.append([neutralise(table.title)])
        sheet["A1"].font = Font(bold=True, size=14)
        sheet.append([neutralise(table.note)] if table.note else [])
        sheet.append([neutralise(c.header) for c in table.columns])
        for cell in sheet[3]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="F2F2F2")
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        # Row numbers are counted here: openpyxl's max_row scans every cell, so asking it
        # after each row made writing quadratic in the table's length.
        formats = [_XLSX_FORMATS.get(column.kind, "General") for column in table.columns]
        row_no = 3
        for row in _all_rows(table):
            row_no += 1
            for col, (value, column) in enumerate(zip(row, table.columns), start=1):
                cell = sheet.cell(row_no, col, _xlsx_value(value, column.kind))
                cell.number_format = formats[col - 1]
        if table.total is not None:
            for col in range(1, len(table.columns) + 1):
                sheet.cell(row_no, col).font = Font(bold=True)
        sheet.freeze_panes = "A4"
        if table.rows:
            last = row_no - (1 if table.total is not None else 0)
            sheet.auto_filter.ref = f"A3:{get_column_letter(len(table.columns))}{last}"
        _fit_columns(sheet, table)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- the supervision tables ------------------------------------------------------------------

UNIT_COLUMNS = [Column(N_("单位")), Column(N_("代码")), Column(N_("应学人次"), "int"),
                Column(N_("已学"), "int"), Column(N_("按时完成"), "int"),
                Column(N_("逾期未学"), "int"), Column(N_("完成率"), "percent"),
                Column(N_("按时率"), "percent"), Column(N_("首次平均分"), "score"),
                Column(N_("最佳平均分"), "score")]
# Classroom activity and study hours (unitactivity), after the completion columns.
ACTIVITY_COLUMNS = [Column(N_("人数"), "int"), Column(N_("举办场次"), "int"),
                    Column(N_("出勤率"), "percent"), Column(N_("验收课堂"), "int"),
                    Column(N_("人均学时"), "score"), Column(N_("学时达标率"), "percent")]


def unit_table(report: UnitReport, title: str, translate: Callable = str,
               own_label: str = N_("（本级）"), activity: dict | None = None) -> Table:
    """Per child unit, with the total row; with `activity` (unit id → Activity) also the
    classroom and study-hours columns."""
    extra = activity is not None
    rows = [(row.unit.name + (translate(own_label) if row.own else ""), row.unit.code,
             *_count_cells(row.counts),
             *(_activity_cells(activity.get(row.unit.id, Activity())) if extra else ()))
            for row in report.rows]
    total = (translate(N_("合计")), report.unit.code, *_count_cells(report.total),
             *(_activity_cells(sum(activity.values(), Activity())) if extra else ()))
    columns = UNIT_COLUMNS + (ACTIVITY_COLUMNS if extra else [])
    return Table(title, _translated(columns, translate), rows, total)


OFFICER_COLUMNS = [Column(N_("警号")), Column(N_("姓名")), Column(N_("应学"), "int"),
                   Column(N_("已学"), "int"), Column(N_("按时完成"), "int"),
                   Column(N_("逾期未学"), "int"), Column(N_("完成率"), "percent"),
                   Column(N_("首次平均分"), "score"), Column(N_("最佳平均分"), "score"),
                   Column(N_("最近学习"), "time")]


def officer_table(officers: list[OfficerRow], title: str, tz: str,
                  translate: Callable = str, hours: dict | None = None) -> Table:
    """One row per officer of a unit; with `hours` (user id → (hours, on track)) also
    their study hours this year."""
    rows = []
    for o in officers:
        c = o.counts
        studied = (hours.get(o.user_id, (0.0, False)),) if hours is not None else ()
        rows.append((o.police_no, o.name, c.assigned, c.completed, c.on_time, c.overdue, c.rate,
                     c.first_average, c.average_score, _local(o.last_activity_at, tz),
                     *(cell for h, on_track in studied
                       for cell in (h, translate(N_("达标") if on_track else N_("落后"))))))
    columns = OFFICER_COLUMNS + ([Column(N_("本年学时"), "score"), Column(N_("学时进度"))]
                                 if hours is not None else [])
    return Table(title, _translated(columns, translate), rows)


PENDING_COLUMNS = [Column(N_("警号")), Column(N_("姓名")), Column(N_("单位")),
                   Column(N_("期号"), "int"), Column(N_("课程")), Column(N_("截止时间"), "time"),
                   Column(N_("逾期天数"), "int"), Column(N_("本课最近学习"), "time"),
                   Column(N_("最近登录"), "time")]


def pending_table(rows: list[PendingRow], title: str, tz: str, translate: Callable = str) -> Table:
    """The not-yet-done list."""
    return Table(title, _translated(PENDING_COLUMNS, translate), [
        (r.police_no, r.name, r.unit_name, r.lesson_issue_no, r.lesson_title,
         _local(r.due_at, tz), r.days_overdue, _local(r.last_activity_at, tz),
         _local(r.last_login_at, tz)) for r in rows])


INSPECTION_COLUMNS = [Column(N_("名次"), "int"), Column(N_("党支部")), Column(N_("所属单位")),
                      Column(N_("人数"), "int"), Column(N_("应学人次"), "int"),
                      Column(N_("完成率"), "percent"), Column(N_("按时率"), "percent"),
                      Column(N_("首次平均分"), "score"), Column(N_("人均积分"), "score"),
                      Column(N_("课堂场次"), "int"), Column(N_("参学人次"), "int"),
                      Column(N_("出勤率"), "percent"), Column(N_("验收课堂"), "int"),
                      Column(N_("人均学时"), "score"), Column(N_("学时达标率"), "percent"),
                      Column(N_("通报提醒"))]


def inspection_tables(ins: Inspection, title: str, translate: Callable = str,
                      note: str | None = None) -> list[Table]:
    """The ranked branch table (`note` under its title), and the named officers when the
    inspection names them."""
    flag = translate(N_("后进"))
    rows = [(r.rank, r.unit.name, r.parent_name, r.members, r.counts.assigned, r.counts.rate,
             r.counts.on_time_rate, r.counts.first_average, r.points_per_member, r.sessions,
             r.attendance, *_activity_cells(r.activity)[2:], flag if r.flagged else "")
            for r in ins.rows]
    total = (None, translate(N_("合计")), ins.unit.name, ins.members, ins.total.assigned,
             ins.total.rate, ins.total.on_time_rate, ins.total.first_average,
             ins.points / ins.members if ins.members else None, ins.sessions, ins.attendance,
             *_activity_cells(ins.activity)[2:], "")
    tables = [Table(title, _translated(INSPECTION_COLUMNS, translate), rows, total, note)]
    if ins.named is not None:
        columns = [Column(translate(N_("党支部"))), Column(translate(N_("警号"))),
                   Column(translate(N_("姓名"))), Column(translate(N_("逾期未学")), "int")]
        tables.append(Table(translate(N_("逾期未学人员")), columns, [
            (branch, o.police_no, o.name, o.counts.overdue) for branch, o in ins.named]))
    return tables


def as_of_note(ins: Inspection, now: datetime, tz: str, translate: Callable = str) -> str:
    """What a running quarter's 通报 covers, as its page says: the figures as of today, the
    lessons due by now (issue and due date), and how many were pushed but are not due yet."""
    today = to_local(now, tz).strftime("%Y-%m-%d")
    due = ins.due_by(now)
    text = translate(N_("本季度尚未结束，本表为截至%(date)s的统计。")) % {"date": today}
    if due:
        text += translate(N_("已到期微课%(n)s期：")) % {"n": len(due)}
        text += translate(N_("、")).join(
            _issue(lesson.issue_no, translate)
            + translate(N_("（%(date)s到期）")) % {"date": _local(lesson.due_at, tz)
                                                  .strftime("%Y-%m-%d")}
            for lesson in due) + translate(N_("。"))
    else:
        text += translate(N_("尚无到期的微课。"))
    later = len(ins.covered) - len(due)
    if later:
        text += (translate(N_("另有%(n)s期已推送、尚未到期，计入应学人次，不计逾期。"))
                 % {"n": later})
    return text


def _issue(issue_no: int, translate: Callable) -> str:
    year, n = issues.split(issue_no)
    if year is None:
        return translate(N_("第%(n)s期")) % {"n": n}
    return translate(N_("%(year)s年度第%(n)s期")) % {"year": year, "n": n}


# --- cells -----------------------------------------------------------------------------------

_XLSX_FORMATS = {"int": "0", "percent": "0.0%", "score": "0.0", "time": "yyyy-mm-dd hh:mm"}


def _all_rows(table: Table):
    yield from table.rows
    if table.total is not None:
        yield table.total


def _csv_cell(value, kind: str) -> str:
    if value is None:
        return ""
    if kind == "percent":
        return f"{value * 100:.1f}%"
    if kind == "score":
        return f"{value:.1f}"
    if kind == "time":
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, (int, float)):
        return str(value)
    return neutralise(str(value))


def _xlsx_value(value, kind: str):
    if value is None:
        return None
    if kind == "percent":
        return round(value, 4)
    if kind == "score":
        return round(value, 1)
    return neutralise(value)


def _count_cells(counts) -> tuple:
    return (counts.assigned, counts.completed, counts.on_time, counts.overdue, counts.rate,
            counts.on_time_rate, counts.first_average, counts.average_score)


def _activity_cells(a: Activity) -> tuple:
    """人数, 举办场次, 出勤率, 验收课堂, 人均学时, 学时达标率."""
    return (a.members, a.sessions, a.attendance_rate, a.accepted, a.hours_per_member,
            a.on_track_share)


def _translated(columns: list[Column], translate: Callable) -> list[Column]:
    return [Column(translate(c.header), c.kind) for c in columns]


def _local(moment: datetime | None, tz: str) -> datetime | None:
    """Local wall-clock time for a spreadsheet (which has no time zones)."""
    return to_local(moment, tz).replace(tzinfo=None) if moment else None


def _sheet_name(title: str, n: int) -> str:
    """Excel sheet names: at most 31 characters, none of []:*?/\\."""
    cleaned = "".join(ch for ch in title if ch not in "[]:*?/\\'").strip()
    return (cleaned[:28] or "Sheet") + (f"-{n}" if n > 1 else "")


def _fit_columns(sheet, table: Table) -> None:
    """Column widths from the longest value (CJK characters count double)."""
    for i, column in enumerate(table.columns, start=1):
        values = [column.header] + [_csv_cell(row[i - 1], column.kind)
                                    for row in _all_rows(table)]
        width = max(sum(2 if ord(ch) > 0x2E7F else 1 for ch in str(v)) for v in values)
        sheet.column_dimensions[get_column_letter(i)].width = min(max(width + 2, 6), 48)
