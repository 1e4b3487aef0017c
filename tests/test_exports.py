"""Exports: CSV with BOM and XLSX, formula injection neutralised, numbers kept as numbers,
every export audited."""
import csv
import io
from datetime import datetime

import openpyxl
import pytest
from sqlalchemy import select

from lms.domain.reports import exports
from lms.models import AuditEvent

NOW = datetime(2026, 12, 1, 2, 0)
HOSTILE = ['=HYPERLINK("http://evil.example","点我")', "+86 138 0000 0000", "-2+3",
           "@SUM(A1:A9)", "\t=1+1", "\r=1+1"]


pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.mark.parametrize("value", HOSTILE)
def test_text_that_would_start_a_formula_gets_an_apostrophe(value):
    assert exports.neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["张三", "a=b", "1+1", "'=already quoted", "", " =x"])
def test_ordinary_text_is_left_alone(value):
    assert exports.neutralise(value) == value


@pytest.mark.parametrize("value", [-5, 3.5, 0, None])
def test_numbers_are_not_text_and_stay_numbers(value):
    assert exports.neutralise(value) == value


def sample_table():
    columns = [exports.Column("姓名"), exports.Column("分差", "int"),
               exports.Column("完成率", "percent"), exports.Column("截止", "time")]
    rows = [(name, -5, 0.8125, datetime(2026, 11, 29, 23, 59)) for name in HOSTILE]
    return exports.Table("=标题", columns, rows, total=("合计", -30, 0.5, None))


def test_csv_is_utf8_with_bom_and_neutralised():
    body = exports.to_csv(sample_table())
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    assert rows[0] == ["姓名", "分差", "完成率", "截止"]
    assert [row[0] for row in rows[1:-1]] == ["'" + v for v in HOSTILE]
    assert rows[1][1:] == ["-5", "81.2%", "2026-11-29 23:59"]  # numbers are not quoted
    assert rows[-1] == ["合计", "-30", "50.0%", ""]


def test_xlsx_read_back_has_neutralised_text_and_real_numbers():
    book = openpyxl.load_workbook(io.BytesIO(exports.to_xlsx(sample_table())))
    sheet = book.worksheets[0]
    assert sheet["A1"].value == "'=标题"
    assert [c.value for c in sheet[3]] == ["姓名", "分差", "完成率", "截止"]
    names = [sheet.cell(row=r, column=1) for r in range(4, 4 + len(HOSTILE))]
    # XML turns a stored CR into LF on reading; the apostrophe is what matters.
    assert [c.value for c in names] == ["'" + v.replace("\r", "\n") for v in HOSTILE]
    assert all(c.data_type == "s" for c in names)  # text, never a formula ("f")
    number, rate, due = (sheet.cell(row=4, column=n) for n in (2, 3, 4))
    assert (number.value, number.data_type) == (-5, "n")
    assert (rate.value, rate.number_format) == (0.8125, "0.0%")
    assert due.value == datetime(2026, 11, 29, 23, 59)
    assert [c.value for c in sheet[sheet.max_row]][:3] == ["合计", -30, 0.5]
    assert sheet.freeze_panes == "A4"


def test_no_cell_anywhere_in_an_export_is_a_formula(db, make, client, login):
    """Officer names and numbers as a roster import might carry them, through the real route."""
    t = make.tree()
    boss = make.user(t["city"], roles=("supervisor",))
    for n, name in enumerate(HOSTILE):
        make.user(t["branch_a"], name=name, police_no=f"=A{n}")
    make.lesson_due(datetime(2026, 11, 29, 23, 59), title="@微课")
    login(boss.police_no)
    for table in ("pending", "officers", "units", "tongbao"):
        query = "unit=BA&period=2026Q4&names=1"
        xlsx = client.get(f"/supervise/export/{table}.xlsx?{query}")
        assert xlsx.status_code == 200 and xlsx.mimetype == exports.XLSX_MIMETYPE
        book = openpyxl.load_workbook(io.BytesIO(xlsx.data))
        for sheet in book:
            for row in sheet.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (table, cell.coordinate, cell.value)
                    if isinstance(cell.value, str):
                        assert not cell.value.startswith(exports.FORMULA_PREFIXES), cell.value
        text = client.get(f"/supervise/export/{table}.csv?{query}").data.decode("utf-8-sig")
        for row in csv.reader(io.StringIO(text, newline="")):
            assert not any(cell.startswith(exports.FORMULA_PREFIXES) for cell in row), row
    pending = client.get("/supervise/export/pending.csv?unit=BA&period=2026Q4")
    assert "'=HYPERLINK(" in pending.data.decode("utf-8-sig")
    assert "'@微课" in pending.data.decode("utf-8-sig")


def test_an_export_is_audited_who_what_when(db, make, client, login):
    t = make.tree()
    boss = make.user(t["county_a"], roles=("supervisor",))
    officer = make.user(t["branch_a"])
    lesson = make.lesson_due(datetime(2026, 11, 29, 23, 59))
    make.completion(officer, lesson, datetime(2026, 11, 28))
    login(boss.police_no)
    response = client.get("/supervise/export/units.xlsx?unit=CA&period=2026-W48")
    assert response.status_code == 200
    assert "units-CA-2026-W48.xlsx" in response.headers["Content-Disposition"]
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "report_exported"))
    assert event.actor_id == boss.id and event.target == "CA"
    assert event.detail == {"table": "units", "format": "xlsx", "selection": "2026-W48",
                            "rows": 1, "names": False}
    assert event.at is not None and event.ip == "127.0.0.1"


def test_the_tongbao_workbook_names_officers_only_when_asked(db, make, client, login):
    t = make.tree()
    boss = make.user(t["city"], roles=("supervisor",))
    for branch in ("branch_a", "branch_b"):
        make.user(t[branch])
    for code in ("X1", "X2"):
        make.user(make.unit(parent=t["station_b"], code=code), name=f"{code}民警")
    lessons = [make.lesson_due(datetime(2026, 11, 22, 23, 59)),
               make.lesson_due(datetime(2026, 11, 29, 23, 59))]
    login(boss.police_no)
    plain = openpyxl.load_workbook(io.BytesIO(
        client.get("/supervise/export/tongbao.xlsx?period=2026Q4").data))
    assert len(plain.worksheets) == 1
    assert not any("民警" in str(c) for row in plain.worksheets[0].iter_rows(values_only=True)
                   for c in row)
    named = openpyxl.load_workbook(io.BytesIO(
        client.get("/supervise/export/tongbao.xlsx?period=2026Q4&names=1").data))
    assert len(named.worksheets) == 2
    listed = [row for row in named.worksheets[1].iter_rows(min_row=4, values_only=True)]
    # All four branches tie at 0%; by code X2 is last, so its officer is named.
    assert [(row[2], row[3]) for row in listed] == [("X2民警", len(lessons))]


def test_csv_of_the_unit_table_ends_with_the_total(db, make, client, login):
    t = make.tree()
    boss = make.user(t["city"], roles=("supervisor",))
    for branch in ("branch_a", "branch_a", "branch_b"):
        make.user(t[branch])
    make.lesson_due(datetime(2026, 11, 29, 23, 59))
    login(boss.police_no)
    body = client.get("/supervise/export/units.csv?period=2026-W48").data
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    assert rows[0][:3] == ["单位", "代码", "应学人次"]
    assert [r[0] for r in rows[1:]] == ["A县公安局", "B县公安局", "合计"]
    assert [int(r[2]) for r in rows[1:]] == [2, 1, 3]


def test_an_export_through_the_domain_is_audited_as_from_the_page(db, make):
    # The CLI or the API calls the same function as the page: the audit comes with it.
    from lms.domain.reports import downloads, periods, rollup
    t = make.tree()
    boss = make.user(t["county_a"], roles=("supervisor",))
    week = rollup.Selection(period=periods.parse("2026-W48", "Asia/Shanghai"))
    file = downloads.export(db, boss, "units", "csv", t["county_a"], week, NOW, "Asia/Shanghai",
                            named=True)
    db.commit()
    assert (file.name, file.mimetype) == ("units-CA-2026-W48.csv", exports.CSV_MIMETYPE)
    assert file.body.startswith("\ufeff".encode())
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "report_exported"))
    assert (event.actor_id, event.target) == (boss.id, "CA")
    # Names are a 通报 option only: asking for them elsewhere is not recorded as named.
    assert event.detail == {"table": "units", "format": "csv", "selection": "2026-W48",
                            "rows": 1, "names": False}  # one row: station a
