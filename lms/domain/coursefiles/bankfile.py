"""Question bank files ``banks/<key>.yml`` (docs/CONTENT.md): read into checked BankSpecs
or written back; no Flask. Questions follow the quiz rules of `quizfile` exactly."""

from __future__ import annotations

import hashlib
from pathlib import Path

from . import yamldump
from . import yamlmarks as ym
from .quizfile import question_data, read_questions
from .specs import BankSpec
from .yamlmarks import Problem, Report

FOLDER = "banks"
SUFFIX = ".yml"
BANK_FIELDS = ({"name", "questions"}, {"description"})


def load_banks(root: Path, problems: list[Problem]) -> list[BankSpec]:
    """Every valid bank under ``root/banks``; problems are added at their lines."""
    base = root / FOLDER
    if not base.is_dir():
        return []
    specs = []
    for path in sorted(p for p in base.rglob("*") if p.is_file()):
        rel = path.relative_to(root)
        if any(part.startswith(".") for part in rel.parts):
            continue  # editor and VCS litter
        spec = _read_bank(root, rel, problems)
        if spec is not None:
            specs.append(spec)
    return specs


def _read_bank(root: Path, rel: Path, problems: list[Problem]) -> BankSpec | None:
    rep = Report(str(root / rel), problems)
    if len(rel.parts) != 2 or rel.suffix != SUFFIX:
        rep.add(1, "misplaced file: expected banks/<key>.yml")
        return None
    key = rel.stem
    if not ym._KEY_RE.fullmatch(key):
        rep.add(1, f"bank file name '{rel.name}' must be <key>.yml with a key of [a-z0-9-]+")
        return None
    before = rep.count
    read = ym.read_text(root / rel, rep)
    ok, data = ym.parse_yaml(read[0], 1, rep) if read else (False, None)
    bank = ym.as_mapping(data, 1, rep, "bank file") if ok else None
    if bank is None:
        return None
    ym.check_fields(bank, *BANK_FIELDS, rep, "bank")
    name = ym.text(bank, "name", rep, ym.TEXT_MAX)
    description = ym.text(bank, "description", rep, required=False) or ""
    items = bank.get("questions")
    if "questions" in bank and not (isinstance(items, list) and items):
        rep.add(bank.line_of("questions"), "questions must be a non-empty list")
    questions = read_questions(bank, rep)
    if rep.count != before:
        return None
    return BankSpec(key, name, description, questions, rel.as_posix(),
                    hashlib.sha256(read[1]).hexdigest())


def bank_path(key: str) -> str:
    """Where a bank's file lives in a course folder."""
    return f"{FOLDER}/{key}{SUFFIX}"


def dump_bank(spec: BankSpec) -> str:
    """The file text of a bank."""
    data = {"name": spec.name}
    if spec.description:
        data["description"] = spec.description
    data["questions"] = [question_data(q) for q in spec.questions]
    return yamldump.dump_yaml(data)
