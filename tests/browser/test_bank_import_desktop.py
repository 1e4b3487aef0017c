"""The question bank page at desktop size in real Chromium: a trainer downloads the Excel
template, uploads a file with mistakes and reads them by row, then imports the corrected
file and finds the bank listed."""
import io
import re

import openpyxl
from factories import Factory

DESKTOP = {"width": 1366, "height": 900}
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"


def test_importing_questions_from_excel_on_desktop(page, server_url, sign_in, shot, db, make,
                                                   tmp_path):
    trainer = make.user(make.unit("市局政治部", "department"), roles=("trainer",), name="王建华")
    db.commit()
    page.set_viewport_size(DESKTOP)
    sign_in(trainer.police_no, Factory.PASSWORD)
    page.wait_for_url(f"{server_url}/")
    page.goto(f"{server_url}/studio/banks")
    assert page.locator("nav.st-tabs [aria-current=page]").inner_text() == "题库"

    with page.expect_download() as download:
        page.click("text=下载导入模板（.xlsx）")
    template = tmp_path / "template.xlsx"
    download.value.save_as(template)
    book = openpyxl.load_workbook(template)
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]][:3] == ["题型", "题干", "选项A"]

    sheet["I2"] = "E"  # 答案 of the first sample: not among A–D
    sheet["A4"] = "问答"  # 题型 of the third
    bad = tmp_path / "题库-有误.xlsx"
    book.save(bad)
    page.set_input_files("input[name=file]", str(bad))
    page.fill("input[name=bank]", "sanhui")
    page.fill("input[name=name]", "三会一课题库")
    page.click("text=检查并导入")
    rows = page.locator(".st-problems tbody tr")
    assert rows.count() == 2
    assert rows.nth(0).inner_text().startswith("第 2 行")
    assert "不在选项 A、B、C、D 之中" in rows.nth(0).inner_text()
    assert "未知题型「问答」" in rows.nth(1).inner_text()
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    shot("bank-import-problems-desktop")

    page.set_input_files("input[name=file]", str(template))
    page.fill("input[name=bank]", "sanhui")
    page.fill("input[name=name]", "三会一课题库")
    page.click("text=检查并导入")
    page.wait_for_url(re.compile(r".*/studio/banks$"))
    assert "新增 4 道" in page.locator(".flash, [role=status], .flashes").first.inner_text()
    row = page.locator("table tbody tr", has_text="三会一课题库")
    assert row.locator("td.num").inner_text() == "4"
    shot("bank-import-done-desktop")

    page.set_input_files("input[name=file]", str(template))
    page.fill("input[name=bank]", "sanhui")
    page.click("text=检查并导入")
    assert "没有变化" in page.content()
    data = io.BytesIO(template.read_bytes())
    assert openpyxl.load_workbook(data).worksheets[1].title == "说明"
