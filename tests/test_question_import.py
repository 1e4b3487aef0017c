"""`flask lms import-questions FILE.xlsx [--bank KEY]` and the studio's upload (issue 12,
item 4): the template, whole-file validation as FILE:ROW, nothing applied on error,
idempotent by 题目编号."""
import io
import zipfile

import openpyxl
import pytest
from sqlalchemy import func, select

from lms.domain.bank import template, xlsximport
from lms.domain.bank.xlsximport import HEADERS
from lms.models import AuditEvent, Question, QuestionBank

GOOD = [
    ("单选", "“三会”不包括哪一项？", "支部党员大会", "民主生活会", "", "", "", "", "B",
     "三会指支部党员大会、支部委员会和党小组会。", "三会一课", "SH-1"),
    ("多选", "哪些属于“一课”的形式？", "党课", "专题讲座", "文艺演出", "", "", "", "A、B", "",
     "三会一课，党课", "sh-2"),
    ("判断", "党课每季度至少一次。", "", "", "", "", "", "", "对", "", "三会一课", "sh-3"),
    ("填空", "支部建在___上。", "", "", "", "", "", "", "连|连队", "", "建党", "sh-4"),
    ("单选", "不填编号的题。", "甲", "乙", "", "", "", "", "A", "", "", ""),
]


def xlsx(rows, headers=HEADERS, formula_at=None) -> bytes:
    """A workbook of `rows` under `headers`; `formula_at` = (row, column) gets =1+1."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    if formula_at:
        sheet.cell(*formula_at).value = "=1+1"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def run_import(runner, tmp_path):
    """run_import(bytes, "--bank", KEY) → the CLI result, the file named bank.xlsx."""
    def _run(data: bytes, *options, name="bank.xlsx"):
        path = tmp_path / name
        path.write_bytes(data)
        return runner.invoke(args=["lms", "import-questions", str(path), *options]), str(path)
    return _run


def bank_questions(db, key="default"):
    return {q.key: q for q in db.scalars(select(Question).join(
        QuestionBank, QuestionBank.id == Question.bank_id).where(QuestionBank.key == key))}


def test_template_reads_back_as_valid_questions():
    data = template.template_xlsx()
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    assert [c.value for c in sheet[1]] == list(HEADERS)
    assert HEADERS == ("题型", "题干", "选项A", "选项B", "选项C", "选项D", "选项E", "选项F",
                       "答案", "解析", "标签", "题目编号")
    questions, problems = xlsximport.read_xlsx(data, "template.xlsx")
    assert problems == []
    assert {q.spec.kind for q in questions} == {"single", "multiple", "true_false",
                                                "fill_blank"}


def test_import_adds_questions_and_a_second_run_changes_nothing(run_import, db):
    result, _ = run_import(xlsx(GOOD), "--bank", "sanhui")
    assert result.exit_code == 0, result.output
    assert "5 added" in result.output
    stored = bank_questions(db, "sanhui")
    assert set(stored) == {"sh-1", "sh-2", "sh-3", "sh-4", next(k for k in stored
                                                                 if k.startswith("q-"))}
    assert stored["sh-2"].answer == ["A", "B"] and stored["sh-2"].tags == ["三会一课", "党课"]
    assert stored["sh-3"].answer is True
    assert stored["sh-4"].answer == ["连", "连队"] and "____" in stored["sh-4"].stem
    ids = {k: q.id for k, q in stored.items()}
    db.rollback()

    again, _ = run_import(xlsx(GOOD), "--bank", "sanhui")
    assert again.exit_code == 0
    assert "No changes." in again.output and "5 unchanged" in again.output
    assert {k: q.id for k, q in bank_questions(db, "sanhui").items()} == ids
    assert db.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "questions_imported")) == 1


def test_a_corrected_file_updates_by_key_in_place(run_import, db):
    run_import(xlsx(GOOD), "--bank", "sanhui")
    first = bank_questions(db, "sanhui")["sh-1"].id
    db.rollback()
    fixed = [("单选", "“三会”不包括哪一项？（修订）", "支部党员大会", "民主生活会", "党小组会", "",
              "", "", "B", "", "三会一课", "sh-1")]
    result, _ = run_import(xlsx(fixed), "--bank", "sanhui")
    assert result.exit_code == 0 and "1 changed" in result.output, result.output
    db.expire_all()
    row = bank_questions(db, "sanhui")["sh-1"]
    assert row.id == first and row.stem.endswith("（修订）") and len(row.options) == 3
    assert len(bank_questions(db, "sanhui")) == 5  # an import never drops other questions


@pytest.mark.parametrize("row, message", [
    (("问答", "题干", "", "", "", "", "", "", "x", "", "", "k1"), "未知题型「问答」"),
    (("单选", "题干", "甲", "乙", "丙", "", "", "", "E", "", "", "k1"),
     "答案「E」不在选项 A、B、C 之中"),
    (("多选", "题干", "甲", "乙", "", "", "", "", "AD", "", "", "k1"), "答案「AD」不在选项"),
    (("单选", "", "甲", "乙", "", "", "", "", "A", "", "", "k1"), "题干不能为空"),
    (("判断", "题干", "", "", "", "", "", "", "也许", "", "", "k1"), "判断题的答案应为 对 或 错"),
    (("单选", "题干", "甲", "", "丙", "", "", "", "A", "", "", "k1"), "选项B 为空"),
    (("填空", "没有空格的题干", "", "", "", "", "", "", "连", "", "", "k1"), "____"),
    (("多选", "题干", "甲", "乙", "", "", "", "", "A", "", "", "k1"), "至少要有两个正确选项"),
    (("单选", "题干", "甲", "乙", "", "", "", "", "A", "", "", "k 1"), "题目编号「k 1」"),
])
def test_each_bad_row_is_refused_at_its_row_and_nothing_is_applied(run_import, db, row,
                                                                    message):
    rows = [GOOD[0], GOOD[1], row]  # the bad one is sheet row 4
    result, path = run_import(xlsx(rows))
    assert result.exit_code != 0
    assert f"{path}:4: " in result.output and message in result.output, result.output
    assert "nothing was changed" in result.output
    assert db.scalar(select(func.count()).select_from(Question)) == 0
    assert db.scalar(select(func.count()).select_from(QuestionBank)) == 0


def test_every_problem_of_the_file_is_listed_with_its_row(run_import):
    rows = [("问答", "甲", "", "", "", "", "", "", "x", "", "", "a"), GOOD[0],
            ("单选", "", "甲", "乙", "", "", "", "", "C", "", "", "b")]
    result, path = run_import(xlsx(rows))
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.startswith(path)]
    assert [line.split(":")[1] for line in lines] == ["2", "4", "4"]


def test_a_duplicate_key_names_both_rows(run_import):
    rows = [GOOD[0], GOOD[1], GOOD[0]]
    result, path = run_import(xlsx(rows))
    assert result.exit_code != 0
    assert f"{path}:4: 题目编号「sh-1」重复（第 2 行已有）" in result.output


def test_more_than_six_options_is_refused(run_import):
    headers = (*HEADERS[:8], "选项G", *HEADERS[8:])
    rows = [("单选", "题干", "1", "2", "3", "4", "5", "6", "7", "A", "", "", "k1")]
    result, path = run_import(xlsx(rows, headers=headers))
    assert result.exit_code != 0
    assert f"{path}:1: 最多 6 个选项" in result.output


def test_a_value_in_a_column_without_header_is_refused(run_import):
    rows = [(*GOOD[0], "多出来的选项")]
    result, path = run_import(xlsx(rows))
    assert result.exit_code != 0 and f"{path}:2: 第 13 列没有表头" in result.output


def test_a_formula_cell_is_refused(run_import, db):
    result, path = run_import(xlsx([GOOD[0], GOOD[1]], formula_at=(3, 9)))
    assert result.exit_code != 0
    assert f"{path}:3: 「答案」是公式" in result.output
    assert db.scalar(select(func.count()).select_from(Question)) == 0


@pytest.mark.parametrize("data", [
    "题型,题干,答案\n单选,题干,A\n".encode(),  # a CSV renamed .xlsx
    b"\x00\x01garbage" * 100,
    b"PK\x03\x04 not really a zip",
])
def test_a_file_that_is_not_xlsx_is_refused(run_import, data):
    result, path = run_import(data)
    assert result.exit_code != 0
    assert f"{path}:1: 不是 XLSX 文件" in result.output


def test_a_zip_that_is_not_a_workbook_is_refused(run_import):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "hi")
    result, path = run_import(out.getvalue())
    assert result.exit_code != 0 and f"{path}:1: 不是 XLSX 文件" in result.output


def test_a_bomb_that_unpacks_huge_is_refused_before_reading(run_import):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (xlsximport.MAX_UNPACKED + 1))
    assert len(out.getvalue()) < 200_000
    result, path = run_import(out.getvalue())
    assert result.exit_code != 0 and f"{path}:1: 文件解压后过大" in result.output


def test_too_many_rows_are_refused(run_import, monkeypatch, db):
    monkeypatch.setattr(xlsximport, "MAX_ROWS", 3)
    rows = [(*GOOD[0][:11], f"k{n}") for n in range(4)]
    result, path = run_import(xlsx(rows))
    assert result.exit_code != 0 and f"{path}:5: 超过 3 道题" in result.output
    assert db.scalar(select(func.count()).select_from(Question)) == 0


def test_a_bad_bank_key_is_refused(run_import):
    result, _ = run_import(xlsx(GOOD), "--bank", "Bad Key")
    assert result.exit_code != 0 and "题库标识" in result.output


# --- the studio page ------------------------------------------------------------------------

@pytest.fixture
def trainer_client(make, browser_for):
    return browser_for(make.user(roles=("trainer",)))


def upload(client, data: bytes, bank="default", name="题库.xlsx"):
    return client.post("/studio/banks/import", data={
        "file": (io.BytesIO(data), name), "bank": bank, "name": ""},
        content_type="multipart/form-data")


def test_studio_offers_the_template_for_download(trainer_client):
    page = trainer_client.get("/studio/banks")
    assert page.status_code == 200 and "下载导入模板" in page.get_data(as_text=True)
    response = trainer_client.get("/studio/banks/template.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in response.headers["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).worksheets[0]
    assert sheet["A1"].value == "题型" and sheet.max_row >= 3


def test_studio_upload_lists_problems_by_row_and_imports_nothing(trainer_client, db):
    bad = [GOOD[0], ("单选", "题干", "甲", "乙", "", "", "", "", "E", "", "", "k2")]
    response = upload(trainer_client, xlsx(bad))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "第 3 行" in html and "答案「E」不在选项 A、B 之中" in html
    assert "没有导入任何题目" in html
    assert db.scalar(select(func.count()).select_from(Question)) == 0


def test_studio_refuses_a_renamed_csv(trainer_client, db):
    response = upload(trainer_client, "题型,题干\n".encode(), name="questions.xlsx")
    assert response.status_code == 422 and "不是 XLSX 文件" in response.get_data(as_text=True)


def test_studio_upload_imports_audits_and_reports_no_change_the_second_time(
        trainer_client, db, make):
    first = upload(trainer_client, xlsx(GOOD), bank="sanhui")
    assert first.status_code == 303
    page = trainer_client.get("/studio/banks").get_data(as_text=True)
    assert "新增 5 道" in page and "sanhui" in page
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "questions_imported"))
    assert event.target == "bank:sanhui" and event.detail["added"] == 5
    assert event.detail["via"] == "studio" and event.actor_id is not None
    upload(trainer_client, xlsx(GOOD), bank="sanhui")
    page = trainer_client.get("/studio/banks").get_data(as_text=True)
    assert "没有变化" in page
    assert db.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "questions_imported")) == 1


def test_officers_cannot_import(make, browser_for, db):
    client = browser_for(make.user())
    assert upload(client, xlsx(GOOD)).status_code == 403
    assert db.scalar(select(func.count()).select_from(Question)) == 0
