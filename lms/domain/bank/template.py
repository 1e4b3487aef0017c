"""The downloadable Excel template of the question-bank import (题库导入模板); no Flask."""

from __future__ import annotations

import io

from .xlsximport import HEADERS

SAMPLES = (
    ("单选", "“三会一课”中的“三会”不包括下列哪一项？", "支部党员大会", "支部委员会", "党小组会",
     "民主生活会", "", "", "D", "三会指支部党员大会、支部委员会和党小组会。", "三会一课",
     "sample-1"),
    ("多选", "下列哪些属于“四个意识”？", "政治意识", "大局意识", "核心意识", "看齐意识",
     "服务意识", "", "ABCD", "四个意识：政治意识、大局意识、核心意识、看齐意识。",
     "理论学习，四个意识", "sample-2"),
    ("判断", "党员可以不参加党小组会。", "", "", "", "", "", "", "错",
     "按规定参加党的组织生活是党员的义务。", "三会一课", "sample-3"),
    ("填空", "党支部党员大会一般每____召开一次。", "", "", "", "", "", "", "季度|一季度",
     "", "三会一课", "sample-4"),
)
NOTES = (
    "填写说明",
    "1. 第一张工作表是题目：第 1 行是表头，请勿改动；从第 2 行起每行一道题（示例行可删除）。",
    "2. 题型：单选、多选、判断、填空。",
    "3. 选项A–选项F：选择题从 A 起连续填写，至少两个，最多六个；判断题和填空题不填。",
    "4. 答案：单选填一个字母（如 D）；多选填两个以上字母（如 ACD）；判断填 对 或 错；"
    "填空填可接受的答案，多个用 | 分隔。",
    "5. 填空题的题干用 ____（下划线）标出空格。",
    "6. 标签：用逗号或顿号分隔，测验按标签从题库抽题。",
    "7. 题目编号：字母、数字和连字符；同一编号再次导入会更新这道题，不会重复添加。",
    "8. 请直接填写内容，不要使用公式。",
)


def template_xlsx() -> bytes:
    """The template workbook: headers, sample rows, and a sheet of instructions."""
    import openpyxl
    from openpyxl.styles import Font

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "题目"
    sheet.append(list(HEADERS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in SAMPLES:
        sheet.append(list(row))
    for letter, width in zip("ABCDEFGHIJKL", (8, 40, 16, 16, 16, 16, 12, 12, 10, 30, 16, 12)):
        sheet.column_dimensions[letter].width = width
    notes = book.create_sheet("说明")
    for line in NOTES:
        notes.append([line])
    notes.column_dimensions["A"].width = 100
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
