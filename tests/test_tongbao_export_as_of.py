"""The 通报's CSV and XLSX say, for a running quarter, what the page says: the figures are as
of today, which lessons were due by then, and how many are pushed but not due."""
import csv
import io
from datetime import datetime

import flask_babel
import openpyxl
import pytest

pytestmark = pytest.mark.usefixtures("frozen_clock")

# Tuesday of ISO week 49, 10:00 in Shanghai: the fourth quarter is running.
NOW = datetime(2026, 12, 1, 2, 0)


def _setup(make):
    t = make.tree()
    boss = make.user(t["city"], roles=("supervisor",))
    make.user(t["branch_a"])
    due = make.lesson_due(datetime(2026, 11, 22, 23, 59), title="已到期的一课")
    make.lesson_due(datetime(2026, 12, 6, 23, 59), title="未到期的一课")
    return boss, due


def test_the_xlsx_of_a_running_quarter_says_as_of_when_and_what_was_due(make, client, login):
    boss, due = _setup(make)
    login(boss.police_no)
    book = openpyxl.load_workbook(io.BytesIO(
        client.get("/supervise/export/tongbao.xlsx?period=2026Q4").data))
    sheet = book.worksheets[0]
    assert "（截至2026-12-01）" in sheet["A1"].value
    note = sheet["A2"].value
    assert "截至2026-12-01" in note
    assert f"已到期微课1期：第{due.issue_no}期（2026-11-22到期）。" in note
    assert "另有1期已推送、尚未到期" in note
    assert [c.value for c in sheet[3]][:2] == ["名次", "党支部"]  # the header stays in row 3


def test_the_csv_of_a_running_quarter_opens_with_the_same_line(make, client, login):
    boss, due = _setup(make)
    login(boss.police_no)
    text = client.get("/supervise/export/tongbao.csv?period=2026Q4").data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert "截至2026-12-01" in rows[0][0] and f"第{due.issue_no}期（2026-11-22到期）" in rows[0][0]
    assert rows[1] == [] and rows[2][:2] == ["名次", "党支部"]


def test_a_past_quarter_carries_no_as_of_line(make, client, login):
    boss, _due = _setup(make)
    make.lesson_due(datetime(2026, 9, 20, 23, 59), title="上季度的一课")
    login(boss.police_no)
    book = openpyxl.load_workbook(io.BytesIO(
        client.get("/supervise/export/tongbao.xlsx?period=2026Q3").data))
    sheet = book.worksheets[0]
    assert "截至" not in sheet["A1"].value and sheet["A2"].value is None
    text = client.get("/supervise/export/tongbao.csv?period=2026Q3").data.decode("utf-8-sig")
    assert "截至" not in text and text.startswith("名次,")


def test_the_note_is_in_english_for_an_english_reader(make, client, login):
    boss, _due = _setup(make)
    login(boss.police_no)
    client.post("/language/en")
    flask_babel.refresh()  # the test's app context caches the locale (see test_i18n.switch)
    book = openpyxl.load_workbook(io.BytesIO(
        client.get("/supervise/export/tongbao.xlsx?period=2026Q4").data))
    note = book.worksheets[0]["A2"].value
    assert "as of 2026-12-01" in note and "2026-11-22" in note
