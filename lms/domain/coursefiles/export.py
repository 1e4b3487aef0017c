"""Export the database's content as a course folder (docs/CONTENT.md); no Flask.

Everything goes through `dbspecs` (rows → specs) and the course files' own writers, so
`sync-courses` of the output finds every item equal to its row and reports "No changes."
The studio's per-item "导出文件" uses `item_file`, the same path.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import Courseware, MicroLesson, Question, QuestionBank
from . import dbspecs, writer, yamldump
from .bankfile import bank_path, dump_bank
from .reader import load_course_tree
from .yamlmarks import Problem

# Lessons in these states are not exported: a lesson file is a live issue (the format has
# no status), so a draft written out would be published by the next sync.
EXPORTED_LESSONS = ("published",)


class ExportRefused(Exception):
    """The target cannot take an export (it holds files already)."""


@dataclass(frozen=True)
class ExportResult:
    """What was written, and any problem the written folder has when read back."""

    files: tuple[str, ...]
    problems: tuple[Problem, ...]


def folder_files(db: Session, tz: str) -> dict[str, str]:
    """Every file of the export: relative path → text."""
    files = {"catalog.yml": catalog_text(db)}
    for row in db.scalars(select(Courseware).order_by(Courseware.slug)):
        files[dbspecs.courseware_path(row)] = writer.dump_courseware(dbspecs.courseware_spec(row))
    for row in db.scalars(select(MicroLesson).where(MicroLesson.status.in_(EXPORTED_LESSONS))
                          .order_by(MicroLesson.issue_no)):
        files[dbspecs.lesson_path(row)] = writer.dump_lesson(dbspecs.lesson_spec(db, row), tz)
    live = select(Question.id).where(Question.bank_id == QuestionBank.id,
                                     Question.retired.is_(False)).exists()
    for row in db.scalars(select(QuestionBank).where(live).order_by(QuestionBank.key)):
        files[bank_path(row.key)] = dump_bank(dbspecs.bank_spec(db, row))
    return files


def catalog_text(db: Session) -> str:
    """catalog.yml: categories, classroom types and classrooms, empty descriptions left out."""
    categories, types, rooms = dbspecs.catalog_specs(db)

    def entry(spec, ident: str, *names: str) -> dict:
        data = {ident: getattr(spec, ident)}
        for name in names:
            value = getattr(spec, name)
            if value:  # an empty optional field is absent in a file
                data[name] = value
        return data

    data = {"categories": [entry(c, "key", "name", "description") for c in categories],
            "classroom_types": [entry(t, "key", "name", "description") for t in types]}
    if rooms:
        data["classrooms"] = [entry(r, "slug", "type", "title", "description", "unit")
                              for r in rooms]
    return yamldump.dump_yaml(data)


def export_courses(db: Session, root: Path | str, tz: str) -> ExportResult:
    """Write the folder under ``root`` (absent or empty) and read it back as sync would."""
    root = Path(root)
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise ExportRefused(f"{root} is not an empty folder; export into a new one")
    files = folder_files(db, tz)
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    _tree, problems = load_course_tree(root, tz=tz)
    return ExportResult(tuple(sorted(files)), tuple(problems))


def item_file(db: Session, item: Courseware | MicroLesson | QuestionBank, tz: str
              ) -> tuple[str, str]:
    """(file name, text) of one item as the export writes it."""
    if isinstance(item, Courseware):
        return f"{item.slug}.md", writer.dump_courseware(dbspecs.courseware_spec(item))
    if isinstance(item, MicroLesson):
        return (Path(dbspecs.lesson_path(item)).name,
                writer.dump_lesson(dbspecs.lesson_spec(db, item), tz))
    return f"{item.key}.yml", dump_bank(dbspecs.bank_spec(db, item))
