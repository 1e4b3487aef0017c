"""The course folder's catalog.yml: categories, classroom types and sample classrooms; no Flask."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import yamlmarks as ym
from .specs import CategorySpec, ClassroomSpec, ClassroomTypeSpec
from .yamlmarks import MarkedMap, Report


def load_catalog(root: Path, problems: list) -> tuple[set[str] | None, list, list, list]:
    """(category keys, categories, classroom types, classrooms); keys None if unreadable."""
    path = root / "catalog.yml"
    rep = Report(str(path), problems)
    if not path.is_file():
        rep.add(1, "catalog.yml is missing")
        return None, [], [], []
    read = ym.read_text(path, rep)
    ok, data = ym.parse_yaml(read[0], 1, rep) if read else (False, None)
    catalog = ym.as_mapping(data, 1, rep, "catalog.yml") if ok else None
    if catalog is None:
        return None, [], [], []
    ym.check_fields(catalog, {"categories", "classroom_types"}, {"classrooms"}, rep, "catalog")
    categories, category_keys = _entries(catalog, "categories", "key", rep, _category)
    types, type_keys = _entries(catalog, "classroom_types", "key", rep, _classroom_type)
    rooms, _ = _entries(catalog, "classrooms", "slug", rep,
                        lambda m, n, r: _classroom(m, r, type_keys))
    return category_keys, categories, types, rooms


def _entries(catalog: MarkedMap, name: str, ident: str, rep: Report,
             parse: Callable[[MarkedMap, int, Report], Any]) -> tuple[list, set[str]]:
    """(valid specs, every ``ident`` named) of list ``name``; repeated idents reported."""
    items = catalog.get(name, [])
    if not isinstance(items, list):
        rep.add(catalog.line_of(name), f"{name} must be a list")
        return [], set()
    specs, seen = [], {}
    for index, item in enumerate(items):
        entry = ym.as_mapping(item, items.line_of(index), rep, f"{name} item {index + 1}")
        if entry is None:
            continue
        value = entry.get(ident)
        if isinstance(value, str) and value in seen:
            rep.add(entry.line_of(ident), f"duplicate {ident} '{value}' in {name} "
                    f"(first at line {seen[value]})")
        elif isinstance(value, str):
            seen[value] = entry.line_of(ident)
        before = rep.count
        spec = parse(entry, index + 1, rep)
        if rep.count == before:
            specs.append(spec)
    return specs, set(seen)


def _category(m: MarkedMap, position: int, rep: Report) -> CategorySpec:
    """One entry of ``categories``."""
    ym.check_fields(m, {"key", "name"}, {"description"}, rep, "category")
    return CategorySpec(ym.key(m, "key", rep), ym.text(m, "name", rep, ym.TEXT_MAX),
                        ym.text(m, "description", rep, required=False) or "", position)


def _classroom_type(m: MarkedMap, position: int, rep: Report) -> ClassroomTypeSpec:
    """One entry of ``classroom_types``."""
    ym.check_fields(m, {"key", "name"}, {"description"}, rep, "classroom type")
    return ClassroomTypeSpec(ym.key(m, "key", rep), ym.text(m, "name", rep, ym.TEXT_MAX),
                             ym.text(m, "description", rep, required=False) or "", position)


def _classroom(m: MarkedMap, rep: Report, types: set[str]) -> ClassroomSpec:
    """One entry of ``classrooms``; its type must be a listed classroom type."""
    ym.check_fields(m, {"slug", "type", "title"}, {"description", "unit"}, rep, "classroom")
    kind = ym.key(m, "type", rep)
    if kind is not None and kind not in types:
        rep.add(m.line_of("type"), f"unknown classroom type '{kind}'")
    return ClassroomSpec(ym.key(m, "slug", rep), kind, ym.text(m, "title", rep, ym.TEXT_MAX),
                         ym.text(m, "description", rep, required=False) or "",
                         ym.text(m, "unit", rep, required=False))
