"""Half-width punctuation in Chinese prose: find it (a sync-courses warning) or fix it.

Chinese text takes full-width ，；：（）？. A half-width one is flagged when a CJK character
(or Chinese punctuation) touches it, except between two digits (1,000 or 3:00), inside code
spans and fenced code blocks, in URLs and link targets, and where it is YAML syntax (keys,
flow lists and maps). `warnings` and `to_full_width` share one scan, so text the fixer
returns draws no warning. The fixer is for `tools/fullwidth_courses.py`, not for sync.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..problems import Problem

FULL = {",": "，", ";": "；", ":": "：", "(": "（", ")": "）", "?": "？"}
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\u3000-\u303f\uff00-\uffef“”‘’…—]")
# Code spans, URLs (bare or <autolinks>), Markdown link targets `](...)`.
_SKIP = re.compile(r"`+[^`]*`+|<?[a-z]+://[^\s>]*>?|\]\([^)]*\)")
_YAML_KEY = re.compile(r"(\s*(?:-\s+)?)([A-Za-z0-9_-]+:(?:\s+|$))?")
_FENCE = re.compile(r"\s*(```|~~~)")


def _is_cjk(ch: str) -> bool:
    return bool(ch) and _CJK.match(ch) is not None


def _neighbour(line: str, i: int, step: int, start: int) -> str:
    """The character next to ``line[i]`` looking past emphasis marks (and % before it)."""
    skip = "*_~%" if step < 0 else "*_~"
    j = i + step
    while start <= j < len(line) and line[j] in skip:
        j += step
    return line[j] if start <= j < len(line) else ""


def _spots(line: str, start: int = 0, flow: bool = False) -> list[int]:
    """Indexes in ``line`` (from ``start``) of half-width marks sitting in Chinese text."""
    masked = set()
    for match in _SKIP.finditer(line, start):
        masked.update(range(match.start(), match.end()))
    found, stack, pairs = set(), [], []
    for i in range(start, len(line)):
        ch = line[i]
        if ch not in FULL or i in masked or (flow and ch == ","):
            continue
        if flow and ch == ":" and line[i + 1:i + 2] in ("", " "):
            continue  # a flow map's key separator
        if ch == "(":
            stack.append(i)
        elif ch == ")" and stack:
            pairs.append((stack.pop(), i))
        before, after = _neighbour(line, i, -1, start), _neighbour(line, i, 1, start)
        if before.isdigit() and after.isdigit():
            continue
        if _is_cjk(before) or _is_cjk(after) or (
                ch in ",;:?" and after == "" and _CJK.search(line, start)):
            found.add(i)  # touching Chinese, or ending a line of Chinese text
    for left, right in pairs:  # a pair goes full-width together, never one half of it
        if left in found or right in found:
            found.update((left, right))
    return sorted(found)


def _lines(text: str, kind: str):
    """(line number, line, index where checking starts, flow YAML?) for each checked line."""
    in_yaml, fenced = kind == "yml", False
    for number, line in enumerate(text.split("\n"), 1):
        if kind == "md" and line.strip() == "---" and (number == 1 or in_yaml):
            in_yaml = number == 1
            continue
        if in_yaml:
            if line.lstrip().startswith("#"):
                yield number, line, 0, False
                continue
            key = _YAML_KEY.match(line)
            value_at = key.end()
            yield number, line, value_at, line[value_at:value_at + 1] in ("[", "{")
            continue
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            yield number, line, 0, False


def kind_of(path: Path | str) -> str:
    """'yml' for catalog.yml and quiz sidecars, 'md' for Markdown with front matter."""
    return "yml" if str(path).endswith((".yml", ".yaml")) else "md"


def warnings(text: str, path: str, kind: str) -> list[Problem]:
    """One `FILE:LINE` warning per line that has half-width marks in Chinese text."""
    out = []
    for number, line, start, flow in _lines(text, kind):
        spots = _spots(line, start, flow)
        if spots:
            marks = " ".join(dict.fromkeys(line[i] for i in spots))
            fixes = " ".join(dict.fromkeys(FULL[line[i]] for i in spots))
            out.append(Problem(path, number, f"warning: half-width {marks} in Chinese text; "
                                             f"use full-width {fixes}"))
    return out


def folder_warnings(root: Path | str) -> list[Problem]:
    """Warnings for every course file under ``root`` (catalog, courseware, lessons)."""
    root = Path(root)
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in (".md", ".yml")
                   and not any(part.startswith(".") for part in p.relative_to(root).parts))
    out = []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue  # the reader reports unreadable files as errors
        out.extend(warnings(text, str(path), kind_of(path)))
    return out


def to_full_width(text: str, kind: str) -> str:
    """``text`` with every flagged mark made full-width (and a space after it dropped)."""
    while True:  # a mark can touch Chinese only once its neighbour went full-width: ")；"
        fixed = _fix_once(text, kind)
        if fixed == text:
            return text
        text = fixed


def _fix_once(text: str, kind: str) -> str:
    """One pass of `to_full_width`."""
    lines = text.split("\n")
    for number, line, start, flow in _lines(text, kind):
        spots = set(_spots(line, start, flow))
        if not spots:
            continue
        out, i = [], 0
        while i < len(line):
            ch = line[i]
            if i in spots:
                out.append(FULL[ch])
                nxt = line[i + 1:i + 3]
                if ch != "(" and len(nxt) == 2 and nxt[0] == " " and nxt[1] != " ":
                    i += 1  # full-width marks carry their own spacing
            else:
                out.append(ch)
            i += 1
        lines[number - 1] = "".join(out)
    return "\n".join(lines)
