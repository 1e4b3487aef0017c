"""Read the question-bank Excel template (题库导入模板) into checked question specs; no Flask.

The whole sheet is checked before anything is applied: every problem comes back as a
`Problem(file, row, message)` (row numbers as Excel shows them), and a file with any problem
imports nothing. Only real XLSX is read (a renamed CSV or garbage is refused), with caps on
the file, its unpacked size and its rows, and a formula cell is refused: its value would be
whatever Excel last computed, not what the trainer sees in the formula bar.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from dataclasses import dataclass

from ..coursefiles.specs import QuestionSpec
from ..problems import Problem

OPTION_KEYS = "ABCDEF"
HEADERS = ("题型", "题干", *(f"选项{k}" for k in OPTION_KEYS), "答案", "解析", "标签", "题目编号")
REQUIRED = ("题型", "题干", "答案")
KINDS = {"单选": "single", "单选题": "single", "多选": "multiple", "多选题": "multiple",
         "判断": "true_false", "判断题": "true_false", "填空": "fill_blank",
         "填空题": "fill_blank"}
TRUE_WORDS = {"对", "正确", "是", "√", "✓", "T", "TRUE", "Y", "YES"}
FALSE_WORDS = {"错", "错误", "否", "×", "✗", "X", "F", "FALSE", "N", "NO"}
MAX_BYTES = 5 * 1024 * 1024  # an upload; a few thousand questions take well under 1 MB
MAX_UNPACKED = 40 * 1024 * 1024  # a zip bomb unpacks to far more
MAX_ROWS = 2000  # questions per file
MAX_COLUMNS = 40
KEY_MAX = 64
TAG_MAX = 200
BLANK = "____"
_KEY = re.compile(r"[a-z0-9][a-z0-9-]*")
_SPLIT_TAGS = re.compile(r"[,，、;；\s]+")
_SPLIT_ANSWERS = re.compile(r"[|｜;；]")
_BLANK_RUN = re.compile(r"_{2,}")


@dataclass(frozen=True)
class ImportedQuestion:
    """A checked question and the sheet row it came from."""

    row: int
    spec: QuestionSpec


NOT_XLSX = "不是 XLSX 文件：请用导入模板填写，并保存为 Excel 工作簿（.xlsx）"


def read_xlsx(data: bytes, name: str) -> tuple[list[ImportedQuestion], list[Problem]]:
    """(questions, []) when every row is good, else ([], every problem by row)."""
    try:
        return _read(data, name)
    except Exception:  # openpyxl parses rows lazily: broken XML surfaces only here
        return [], [Problem(name, 1, NOT_XLSX)]


def _read(data: bytes, name: str) -> tuple[list[ImportedQuestion], list[Problem]]:
    problems: list[Problem] = []

    def refuse(message: str, row: int = 1) -> tuple[list, list[Problem]]:
        return [], [Problem(name, row, message)]

    if len(data) > MAX_BYTES:
        return refuse(f"文件超过 {MAX_BYTES // 1024 // 1024} MB，请拆分后分批导入")
    sheet = _open_sheet(data)
    if isinstance(sheet, str):
        return refuse(sheet)
    rows = sheet.iter_rows(max_col=MAX_COLUMNS)
    header = next(rows, None)
    columns = _columns(header or (), name, problems)
    if columns is None:
        return [], problems
    found, seen = [], {}
    count = 0
    for number, cells in enumerate(rows, start=2):
        values = _values(cells, columns, name, number, problems)
        if values is None:
            continue  # an empty row, or formula cells already reported
        count += 1
        if count > MAX_ROWS:
            return refuse(f"超过 {MAX_ROWS} 道题，请拆分后分批导入", number)
        spec = _question(values, number, count, name, problems)
        if spec is None:
            continue
        if spec.key in seen:
            problems.append(Problem(name, number, f"题目编号「{spec.key}」重复"
                                                  f"（第 {seen[spec.key]} 行已有）"))
            continue
        seen[spec.key] = number
        found.append(ImportedQuestion(number, spec))
    if not found and not problems:
        problems.append(Problem(name, 2, "没有题目：请从第 2 行起每行填写一道题"))
    return ([], sorted(problems)) if problems else (found, [])


def _open_sheet(data: bytes):
    """The first worksheet, or the reason the bytes are not an XLSX workbook we read."""
    not_xlsx = NOT_XLSX
    if not data.startswith(b"PK\x03\x04"):
        return not_xlsx
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            names = {entry.filename for entry in entries}
            unpacked = sum(entry.file_size for entry in entries)
    except (zipfile.BadZipFile, ValueError, OSError):
        return not_xlsx
    if "xl/workbook.xml" not in names:
        return not_xlsx
    if unpacked > MAX_UNPACKED or len(entries) > 1000:
        return "文件解压后过大，不像是题库模板；请拆分后分批导入"
    if _declares_doctype(data):
        return not_xlsx
    import openpyxl  # imported here: only the import pays for loading it
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        return book.worksheets[0]
    except Exception:  # openpyxl raises many kinds for a damaged workbook
        return not_xlsx


def _declares_doctype(data: bytes) -> bool:
    """Whether any part declares a DTD. Excel never writes one; a DTD is how entity bombs
    and external entities get in, and whether a parser resolves them depends on what is
    installed (lxml would), so none is parsed at all. Sizes are capped before this."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for entry in archive.infolist():
            head = archive.read(entry)
            if b"<!DOCTYPE" in head.upper() or b"<\x00!\x00D\x00O\x00C" in head.upper():
                return True
    return False


def _columns(header, name: str, problems: list[Problem]) -> dict[str, int] | None:
    """Column index by header; unknown or missing headers are problems of row 1."""
    columns, before = {}, len(problems)
    for index, cell in enumerate(header):
        title = _text(getattr(cell, "value", None))
        if not title:
            continue
        if re.fullmatch(r"选项[G-Zg-z]", title):
            problems.append(Problem(name, 1, f"最多 6 个选项（选项A–选项F），不能有「{title}」列"))
        elif title not in HEADERS:
            problems.append(Problem(name, 1, f"未知的列「{title}」；模板的列是："
                                             f"{'、'.join(HEADERS)}"))
        elif title in columns:
            problems.append(Problem(name, 1, f"「{title}」列出现了两次"))
        else:
            columns[title] = index
    for title in REQUIRED:
        if title not in columns:
            problems.append(Problem(name, 1, f"缺少「{title}」列：请使用导入模板"))
    return columns if len(problems) == before else None


def _values(cells, columns: dict[str, int], name: str, row: int, problems: list[Problem]
            ) -> dict[str, object] | None:
    """A row's values by header; None for an empty row or one with formula cells."""
    by_index = {index: title for title, index in columns.items()}
    values, formula = {}, False
    for index, cell in enumerate(cells):
        value = getattr(cell, "value", None)
        if value is None:
            continue
        if getattr(cell, "data_type", None) == "f" or type(value).__name__ == "ArrayFormula":
            where = by_index.get(index, f"第 {index + 1} 列")
            problems.append(Problem(name, row, f"「{where}」是公式：请改为直接填写内容"
                                               "（复制后选择性粘贴为数值）"))
            formula = True
        elif index in by_index:
            values[by_index[index]] = value
        elif _text(value):
            problems.append(Problem(name, row, f"第 {index + 1} 列没有表头，内容无法识别"))
            formula = True
    if formula:
        return None
    return values if any(_text(v) for v in values.values()) else None


def _text(value: object) -> str:
    """A cell as text: whole numbers without ".0"; surrounding blanks removed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


def _question(values: dict, row: int, position: int, name: str, problems: list[Problem]
              ) -> QuestionSpec | None:
    """One row as a checked QuestionSpec, or None after reporting what is wrong."""
    before = len(problems)

    def bad(message: str) -> None:
        problems.append(Problem(name, row, message))

    texts = {title: _text(value) for title, value in values.items()}
    if any("\x00" in text for text in texts.values()):
        bad("含有不可见的控制字符（NUL），请重新输入该行")
        return None
    kind_name = texts.get("题型", "")
    kind = KINDS.get(kind_name)
    if not kind_name:
        bad("题型不能为空：填 单选、多选、判断 或 填空")
    elif kind is None:
        bad(f"未知题型「{kind_name}」：应为 单选、多选、判断 或 填空")
    stem = texts.get("题干", "")
    if not stem:
        bad("题干不能为空")
    options = _options(texts, kind, bad)
    answer = _answer(values.get("答案"), texts.get("答案", ""), kind, options, bad)
    if kind == "fill_blank" and stem:
        if not _BLANK_RUN.search(stem):
            bad(f"填空题的题干要用 {BLANK} 标出空格")
        stem = _BLANK_RUN.sub(BLANK, stem)
    tags = tuple(t for t in _SPLIT_TAGS.split(texts.get("标签", "")) if t)
    if any(len(t) > TAG_MAX for t in tags):
        bad(f"标签最长 {TAG_MAX} 个字")
    key = _key(texts.get("题目编号", ""), stem, bad)
    if len(problems) != before or kind is None:
        return None
    return QuestionSpec(key, kind, stem, options, answer, texts.get("解析", ""), tags, position)


def _options(texts: dict, kind: str | None, bad) -> tuple[tuple[str, str], ...]:
    """Options A.. in order without gaps; choice questions need two or more."""
    filled = [(k, texts.get(f"选项{k}", "")) for k in OPTION_KEYS]
    last = max((i for i, (_k, text) in enumerate(filled) if text), default=-1)
    options = tuple(filled[:last + 1])
    gaps = [k for k, text in options if not text]
    if kind in ("single", "multiple"):
        if gaps:
            bad(f"选项{gaps[0]} 为空，但后面还有选项：选项要从 A 起连续填写")
        elif len(options) < 2:
            bad("选择题至少需要两个选项")
    elif options and kind is not None:
        bad("判断题和填空题不填选项")
    return options if kind in ("single", "multiple") else ()


def _answer(raw: object, text: str, kind: str | None, options, bad):
    """The key in the course files' shape: "A", ("A", "C"), True, or accepted texts."""
    keys = [k for k, _ in options]
    if kind is None:
        return None
    if not text:
        bad("答案不能为空")
        return None
    if kind == "true_false":
        if isinstance(raw, bool):
            return raw
        word = text.upper()
        if word in TRUE_WORDS or word in FALSE_WORDS:
            return word in TRUE_WORDS
        bad(f"判断题的答案应为 对 或 错，不是「{text}」")
        return None
    if kind == "fill_blank":
        accepted = tuple(a.strip() for a in _SPLIT_ANSWERS.split(text) if a.strip())
        if not accepted:
            bad("填空题的答案不能为空；多个可接受答案用 | 分隔")
        return accepted
    letters = [c for c in text.upper() if not c.isspace() and c not in ",，、;；"]
    strays = [c for c in letters if c not in keys]
    if strays:
        bad(f"答案「{text}」不在选项 {'、'.join(keys) or '（无）'} 之中")
        return None
    if kind == "single":
        if len(letters) != 1:
            bad(f"单选题只能有一个答案，不是「{text}」")
            return None
        return letters[0]
    if len(set(letters)) != len(letters):
        bad(f"答案「{text}」重复了同一个选项")
        return None
    if len(letters) < 2:
        bad("多选题至少要有两个正确选项（只有一个请用 单选）")
        return None
    return tuple(sorted(letters))


def _key(text: str, stem: str, bad) -> str:
    """题目编号 lower-cased; a row without one is keyed by its stem, so re-importing the
    same file still finds it."""
    if not text:
        return "q-" + hashlib.sha256(stem.encode("utf-8")).hexdigest()[:12]
    key = text.lower()
    if len(key) > KEY_MAX or not _KEY.fullmatch(key):
        bad(f"题目编号「{text}」只能用字母、数字和连字符（-），最长 {KEY_MAX} 位")
    return key
