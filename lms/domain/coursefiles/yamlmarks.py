"""YAML for course files: a loader that keeps line numbers, and field readers that report
problems by line (the dumper is `yamldump`)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from ..problems import Problem
from ..text import is_valid_text

TEXT_MAX = 200
_KEY_RE = re.compile(r"[a-z0-9-]+")


class MarkedMap(dict):
    """A YAML mapping that knows its own line and the line of each key."""

    def __init__(self, line: int):
        super().__init__()
        self.line = line
        self.key_lines: dict[Any, int] = {}
        # Scalars as written, so `A: 1949` stays the text "1949" rather than an int.
        self.raw: dict[Any, str] = {}

    def line_of(self, key: Any) -> int:
        """Line of ``key:`` if present, else the line where the mapping starts."""
        return self.key_lines.get(key, self.line)


class MarkedList(list):
    """A YAML sequence that knows its own line and the line of each item."""

    def __init__(self, line: int):
        super().__init__()
        self.line = line
        self.item_lines: list[int] = []
        self.raw: dict[int, str] = {}

    def line_of(self, index: int) -> int:
        """Line of item ``index``."""
        return self.item_lines[index] if index < len(self.item_lines) else self.line


class MarkedLoader(yaml.SafeLoader):
    """SafeLoader building MarkedMap/MarkedList; dates stay strings so we parse them once."""

    first_line = 1  # file line of the YAML text's first line (2 inside front matter)

    def file_line(self, node: yaml.Node) -> int:
        """File line on which ``node`` starts."""
        return node.start_mark.line + self.first_line


# Without the timestamp resolver `2026-08-17 08:00` and `2026-08-17 08:00:00` both arrive
# as text, so dates get one parser and one error message instead of three shapes.
MarkedLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_map(loader: MarkedLoader, node: yaml.MappingNode):
    data = MarkedMap(loader.file_line(node))
    yield data
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node)
        if isinstance(key, (dict, list)):
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be plain text", key_node.start_mark)
        if key in data:
            # PyYAML would silently keep the last one; a repeated key is almost always a typo.
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key '{key}'", key_node.start_mark)
        data[key] = loader.construct_object(value_node)
        data.key_lines[key] = loader.file_line(key_node)
        if isinstance(value_node, yaml.ScalarNode):
            data.raw[key] = value_node.value


def _construct_seq(loader: MarkedLoader, node: yaml.SequenceNode):
    data = MarkedList(loader.file_line(node))
    yield data
    for index, item_node in enumerate(node.value):
        data.append(loader.construct_object(item_node))
        data.item_lines.append(loader.file_line(item_node))
        if isinstance(item_node, yaml.ScalarNode):
            data.raw[index] = item_node.value


def _construct_str(loader: MarkedLoader, node: yaml.ScalarNode) -> str:
    value = loader.construct_scalar(node)
    if not is_valid_text(value):
        # "\ud800" and "\0" escapes in double quotes make text no database or page can hold.
        raise yaml.constructor.ConstructorError(
            None, None, "text that is not valid Unicode (a lone surrogate or NUL escape)",
            node.start_mark)
    return value


MarkedLoader.add_constructor("tag:yaml.org,2002:str", _construct_str)
MarkedLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
MarkedLoader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)


def load_marked(text: str, first_line: int = 1) -> Any:
    """Parse one YAML document; raises yaml.YAMLError (see ``error_line``)."""
    loader = MarkedLoader(text)
    loader.first_line = first_line
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def error_line(error: yaml.YAMLError, first_line: int = 1) -> int:
    """File line a YAML error points at."""
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    return mark.line + first_line if mark is not None else first_line


def error_message(error: yaml.YAMLError) -> str:
    """Short YAML error text without PyYAML's multi-line position dump."""
    parts = [getattr(error, "context", None), getattr(error, "problem", None)]
    text = ", ".join(p for p in parts if p) or str(error).splitlines()[0]
    return f"invalid YAML: {text}"


class Report:
    """Problems of one file, appended to a shared list; ``count`` is this file's share."""

    def __init__(self, path: str, sink: list[Problem]):
        self.path = path
        self.sink = sink
        self.count = 0

    def add(self, line: int, message: str) -> None:
        """Record one problem."""
        self.sink.append(Problem(self.path, line, message))
        self.count += 1


def read_text(path: Path, rep: Report) -> tuple[str, bytes] | None:
    """Decoded text (BOM tolerated, newlines normalised) and raw bytes, or None."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        rep.add(data[:error.start].count(b"\n") + 1, "not UTF-8 text (save the file as UTF-8)")
        return None
    if "\x00" in text:  # PostgreSQL text cannot hold NUL: the sync would fail at the database
        rep.add(text[:text.index("\x00")].count("\n") + 1, "a NUL character (not text)")
        return None
    return text.replace("\r\n", "\n"), data


def parse_yaml(text: str, first_line: int, rep: Report) -> tuple[bool, Any]:
    """(True, value) or, after reporting the syntax error, (False, None)."""
    try:
        return True, load_marked(text, first_line)
    except yaml.YAMLError as error:
        rep.add(error_line(error, first_line), error_message(error))
    except RecursionError:  # PyYAML composes nested collections recursively
        rep.add(first_line, "invalid YAML: nested too deeply")
    return False, None


def split_front_matter(text: str, rep: Report) -> tuple[str, str] | None:
    """(front matter YAML, body) of a .md file, or None after reporting why not."""
    lines = text.split("\n")
    if lines[0].rstrip() != "---":
        rep.add(1, "no front matter: the file must start with a '---' line")
        return None
    for index in range(1, len(lines)):
        if lines[index].rstrip() == "---":
            return "\n".join(lines[1:index]), "\n".join(lines[index + 1:])
    rep.add(1, "front matter is never closed by a second '---' line")
    return None


def check_fields(m: MarkedMap, required: set[str], optional: set[str], rep: Report,
                 what: str) -> None:
    """Report missing required fields and unknown ones (usually typos)."""
    for name in sorted(required - m.keys()):
        rep.add(m.line, f"{what}: missing field '{name}'")
    for name in m:
        if name not in required and name not in optional:
            rep.add(m.line_of(name), f"{what}: unknown field '{name}'")


def as_mapping(value: Any, line: int, rep: Report, what: str) -> MarkedMap | None:
    """``value`` if it is a mapping, else report and return None."""
    if isinstance(value, MarkedMap):
        return value
    rep.add(line, f"{what} must be a mapping of field: value")
    return None


def text_value(value: Any, raw: str | None, line: int, rep: Report, what: str,
               max_len: int | None = None) -> str | None:
    """Non-empty text; plain numbers and the like count as the text they were written as."""
    if isinstance(value, (dict, list)):
        rep.add(line, f"{what} must be text")
        return None
    text = value if isinstance(value, str) else (raw if value is not None else None)
    if text is None or not text.strip():
        rep.add(line, f"{what} must not be empty")
        return None
    if max_len is not None and len(text) > max_len:
        rep.add(line, f"{what} is {len(text)} characters long; at most {max_len} allowed")
        return None
    return text


def text(m: MarkedMap, name: str, rep: Report, max_len: int | None = None,
         required: bool = True) -> str | None:
    """Text field ``name``; an optional one may be absent or null (gives None)."""
    if name not in m or (m[name] is None and not required):
        return None  # a missing required field is reported by check_fields
    return text_value(m[name], m.raw.get(name), m.line_of(name), rep, name, max_len)


def key(m: MarkedMap, name: str, rep: Report) -> str | None:
    """Identifier field: lower-case letters, digits and hyphens (``id: 1`` reads as "1")."""
    if name not in m:
        return None
    value = m[name]
    if isinstance(value, int) and not isinstance(value, bool):
        value = m.raw.get(name)
    if not (isinstance(value, str) and _KEY_RE.fullmatch(value)):
        rep.add(m.line_of(name), f"{name} {m[name]!r} must match [a-z0-9-]+")
        return None
    return value


def integer(m: MarkedMap, name: str, rep: Report, low: int, high: int | None = None,
            default: Any = None, nullable: bool = False) -> int | None:
    """Whole number in low..high; absent gives ``default``; null allowed if ``nullable``."""
    if name not in m:
        return default
    value = m[name]
    if value is None and nullable:
        return None
    # bool is an int subclass: `estimated_minutes: yes` must not count as 1.
    ok = isinstance(value, int) and not isinstance(value, bool)
    if not ok or value < low or (high is not None and value > high):
        bounds = f"{low}..{high}" if high is not None else f"{low} or more"
        extra = " or null" if nullable else ""
        rep.add(m.line_of(name), f"{name} must be a whole number {bounds}{extra}, not {value!r}")
        return None
    return value


def boolean(m: MarkedMap, name: str, rep: Report, default: bool | None = None) -> bool | None:
    """true/false field; absent gives ``default``."""
    if name not in m:
        return default
    if not isinstance(m[name], bool):
        rep.add(m.line_of(name), f"{name} must be true or false, not {m[name]!r}")
        return None
    return m[name]


def choice(m: MarkedMap, name: str, choices: tuple[str, ...], rep: Report) -> str | None:
    """One of ``choices``."""
    if name in m and m[name] not in choices:
        rep.add(m.line_of(name), f"{name} {m[name]!r} must be one of {', '.join(choices)}")
        return None
    return m.get(name)


def text_list(m: MarkedMap, name: str, rep: Report) -> tuple[str, ...] | None:
    """A list of non-empty texts (a single text counts as a list of one)."""
    value, line = m.get(name), m.line_of(name)
    if not isinstance(value, list):
        single = text_value(value, m.raw.get(name), line, rep, name)
        return (single,) if single is not None else None
    items = [text_value(item, value.raw.get(i), value.line_of(i), rep, f"{name} item")
             for i, item in enumerate(value)]
    if not items:
        rep.add(line, f"{name} must not be empty")
    return tuple(items) if items and None not in items else None
