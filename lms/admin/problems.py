"""The roster validator's problems (English, as the CLI prints them) in the page's language.

The domain reports `FILE:LINE: message` in English for operators; an admin in the browser
reads each line in Chinese. A message no pattern knows is shown as it is, never dropped.
"""
import re

from flask_babel import lazy_gettext as _l

from ..domain.problems import Problem

# (pattern over the whole English message, Chinese msgid with the pattern's named groups)
_PATTERNS = [
    (r"file is UTF-16 .*",
     _l("文件是 UTF-16（“Unicode 文本”）格式：请另存为“CSV UTF-8”或普通 CSV。")),
    (r"file is neither UTF-8 nor GBK text.*",
     _l("文件既不是 UTF-8 也不是 GBK 文本：请在 Excel 中另存为 CSV。")),
    (r"file contains NUL bytes.*", _l("文件含有空字节：这是表格文件而不是 CSV 吗？")),
    (r"text that is not valid Unicode.*", _l("含有无效的 Unicode 文本：请重新另存为“CSV UTF-8”。")),
    (r"header must be '(?P<expected>[^']*)'(?:, then any of (?P<optional>\S+))? "
     r"\(found '(?P<found>.*)'\)",
     _l("表头应为“%(expected)s”（之后可选列：joined_on、active），实际为“%(found)s”。")),
    (r"empty file: expected the header '(?P<expected>.*)'",
     _l("文件为空：应有表头“%(expected)s”。")),
    (r"expected (?P<n>\d+) columns \((?P<columns>.*)\), found (?P<found>\d+)",
     _l("应有 %(n)s 列（%(columns)s），实际 %(found)s 列。")),
    (r"unreadable CSV: (?P<error>.*)", _l("无法读取的 CSV：%(error)s")),
    (r"police_no '(?P<value>.*)' must be 3-32 letters or digits",
     _l("警号“%(value)s”应为 3 至 32 位字母或数字。")),
    (r"empty police_no", _l("警号为空。")),
    (r"duplicate police_no '(?P<value>.*)' \(first on line (?P<first>\d+)\)",
     _l("警号“%(value)s”重复（首次出现在第 %(first)s 行）。")),
    (r"empty name", _l("姓名为空。")),
    (r"name is longer than 64 characters \((?P<n>\d+)\)", _l("姓名超过 64 个字符（%(n)s 个）。")),
    (r"name contains a control character.*", _l("姓名含有控制字符（换行或制表符？）。")),
    (r"unknown unit_code '(?P<value>.*)' \(import the units first\)",
     _l("单位代码“%(value)s”不存在（请先添加或导入该单位）。")),
    (r"empty unit_code", _l("单位代码为空。")),
    (r"unknown role '(?P<value>.*)' \(expected one of .*\)",
     _l("角色“%(value)s”无效（可选：officer、trainer、supervisor、admin）。")),
    (r"party_member must be 0 or 1 \(found '(?P<value>.*)'\)",
     _l("party_member（党员）应为 0 或 1（实际为“%(value)s”）。")),
    (r"joined_on must be a date .* \(found '(?P<value>.*)'\)",
     _l("joined_on（入职日期）应为 1900 至 2999 年间的 YYYY-MM-DD 日期（实际为“%(value)s”）。")),
    (r"active must be 0 or 1 \(found '(?P<value>.*)'\)",
     _l("active（在职）应为 0 或 1（实际为“%(value)s”）。")),
]
_COMPILED = [(re.compile(pattern, re.DOTALL), msgid) for pattern, msgid in _PATTERNS]


def localized(problem: Problem) -> str:
    """The problem's message in the page's language (its line is shown beside it)."""
    for pattern, msgid in _COMPILED:
        match = pattern.fullmatch(problem.message)
        if match:
            return str(msgid) % {k: v or "" for k, v in match.groupdict().items()}
    return problem.message
