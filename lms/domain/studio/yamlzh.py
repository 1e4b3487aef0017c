"""The quiz YAML's problems in Chinese for the studio's advanced tab; no Flask.

The course-file validator (`quizfile`, `yamlmarks`) reports in English for operators running
`sync-courses`; a trainer typing YAML in the browser gets the same problems in Chinese, each
pointing at its line. A message with no translation here is shown as it is, so a new rule
is never hidden.
"""
from __future__ import annotations

import re

FIELD_NAMES = {
    "id": "题目编号 id", "kind": "题型 kind", "stem": "题干 stem", "options": "选项 options",
    "answer": "答案 answer", "explanation": "解析 explanation", "tags": "标签 tags",
    "pass_score": "及格分 pass_score", "attempts_allowed": "作答次数 attempts_allowed",
    "shuffle": "选项乱序 shuffle", "partial_credit": "部分得分 partial_credit",
    "time_limit_seconds": "限时 time_limit_seconds", "review": "查看答案时机 review",
    "questions": "题目列表 questions", "quiz": "测验 quiz",
}


def _name(value: str) -> str:
    return FIELD_NAMES.get(value, value)


def _what(value: str) -> str:
    """``question q3`` → 第 q3 题; ``option B`` → 选项 B; a field name → its Chinese name."""
    match = re.fullmatch(r"question (.+)", value)
    if match:
        return f"题目 {match.group(1)}"
    match = re.fullmatch(r"option (\w+)", value)
    if match:
        return f"选项 {match.group(1)}"
    if value.endswith(" item"):
        return f"{_name(value[:-5])}中的一项"
    return _name(value)


# (pattern, Chinese) in the order tried; groups are filled into the translation.
_RULES: list[tuple[re.Pattern, object]] = [(re.compile(p), t) for p, t in (
    (r"invalid YAML: nested too deeply", lambda m: "YAML 格式错误：嵌套层次太深"),
    (r"invalid YAML: text that is not valid Unicode.*",
     lambda m: "YAML 格式错误：文字中有无效的字符（单独的代理项或 NUL 转义）"),
    (r"invalid YAML: (.*)", lambda m: f"YAML 格式错误（{m.group(1)}）：请检查缩进、冒号和引号"),
    (r"questions must be a non-empty list", lambda m: "题目列表 questions 不能为空"),
    (r"duplicate question id '(.+)' \(first at line (\d+)\)",
     lambda m: f"题目编号“{m.group(1)}”重复（第 {m.group(2)} 行已使用）"),
    (r"a fill_blank stem must mark the blank with (.+)",
     lambda m: f"填空题的题干须用 {m.group(1)} 标出填空的位置"),
    (r"a (\w+) question takes no options", lambda m: f"{m.group(1)} 题型不需要选项 options"),
    (r"options must map at least two keys to texts.*",
     lambda m: "选项 options 至少要有两项，例如 {A: ..., B: ...}"),
    (r"option keys must be (.+) in this order, not (.+)",
     lambda m: f"选项须按 {m.group(1)} 的顺序编号，而不是 {m.group(2)}"),
    (r"answer (.+) is not one of the options (.+)",
     lambda m: f"答案 {m.group(1)} 不在选项 {m.group(2)} 之中"),
    (r"answer (.+) not among the options (.+)",
     lambda m: f"答案 {m.group(1)} 不在选项 {m.group(2)} 之中"),
    (r"a multiple answer must be a list of option keys like \[A, C\], not (.+)",
     lambda m: f"多选题的答案须是选项列表，如 [A, C]，而不是 {m.group(1)}"),
    (r"answer lists the same key twice", lambda m: "答案中同一选项出现了两次"),
    (r"a multiple question needs two or more correct keys.*",
     lambda m: "多选题至少要有两个正确选项（只有一个时请用 kind: single）"),
    (r"a true_false answer must be true or false, not (.+)",
     lambda m: f"判断题的答案须是 true 或 false，而不是 {m.group(1)}"),
    (r"(.+): missing field '(.+)'", lambda m: f"{_what(m.group(1))}缺少字段 {_name(m.group(2))}"),
    (r"(.+): unknown field '(.+)'",
     lambda m: f"{_what(m.group(1))}中有无法识别的字段“{m.group(2)}”"),
    (r"(.+) must be a mapping of field: value",
     lambda m: f"{_what(m.group(1))}须写成 key: value 的形式"),
    (r"(.+) must be text", lambda m: f"{_what(m.group(1))}须是文字"),
    (r"(.+) must not be empty", lambda m: f"{_what(m.group(1))}不能为空"),
    (r"(.+) is (\d+) characters long; at most (\d+) allowed",
     lambda m: f"{_what(m.group(1))}有 {m.group(2)} 个字，最多 {m.group(3)} 个"),
    (r"(\w+) (.+) must match \[a-z0-9-\]+",
     lambda m: f"{_name(m.group(1))} {m.group(2)} 只能用小写字母、数字和连字符"),
    (r"(\w+) must be a whole number (\d+)\.\.(\d+)( or null)?, not (.+)",
     lambda m: f"{_name(m.group(1))}须是 {m.group(2)} 到 {m.group(3)} 之间的整数"
               f"{'（或 null）' if m.group(4) else ''}，而不是 {m.group(5)}"),
    (r"(\w+) must be true or false, not (.+)",
     lambda m: f"{_name(m.group(1))}须是 true 或 false，而不是 {m.group(2)}"),
    (r"(\w+) (.+) must be one of (.+)",
     lambda m: f"{_name(m.group(1))} {m.group(2)} 须是以下之一：{m.group(3)}"),
)]


def translate(message: str) -> str:
    """One validator message in Chinese (unchanged when no rule knows it)."""
    for pattern, make in _RULES:
        match = pattern.fullmatch(message)
        if match:
            return make(match)  # type: ignore[operator]
    return message


def at_line(line: int, message: str) -> str:
    """How the advanced tab lists a problem: ``第 N 行：...``."""
    return f"第 {line} 行：{translate(message)}"
