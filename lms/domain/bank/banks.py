"""Question banks: list them, and apply checked imported questions by key; no Flask.

An import adds to a bank and updates its questions by key (题目编号); it never retires a
question the file does not list (a file is one batch, not the whole bank). A question that
reads the same as its stored row is left untouched, so importing a file again changes
nothing and says so.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...models import Question, QuestionBank
from .. import audit
from ..coursefiles import dbspecs, syncapply
from ..coursefiles import yamlmarks as ym
from ..coursefiles.specs import BankSpec
from ..problems import Problem, Refusal
from ..quiz import keylock, regrade, regrade_bank
from .xlsximport import ImportedQuestion

DEFAULT_BANK = "default"
DEFAULT_NAME = "默认题库"


class BankError(Refusal):
    """A bank key or name the import refuses; `message` is for people."""


class AnsweredKeys(BankError):
    """Rows that change the key of a question officers have answered; nothing is applied."""

    def __init__(self, problems: list[Problem]):
        super().__init__("；".join(p.message for p in problems))
        self.problems = problems


ANSWERED_KEY = ("题目编号 {key} 的答案与题库中的不同，且已有 {n} 份作答抽到这道题，导入不会悄悄"
                "改变已记录的成绩：请先在题库的“答题统计”中对这道题“更正答案”（预览并确认重新"
                "评分），再导入本文件。")


@dataclass(frozen=True)
class ImportSummary:
    """What an import did, by question."""

    bank: str
    added: int
    changed: int
    unchanged: int

    def __str__(self) -> str:
        return (f"bank {self.bank}: {self.added} added, {self.changed} changed, "
                f"{self.unchanged} unchanged")

    @property
    def is_empty(self) -> bool:
        """True when the bank already held every question as the file has it."""
        return not (self.added or self.changed)


@dataclass(frozen=True)
class BankLine:
    """A bank as the studio lists it."""

    id: int
    key: str
    name: str
    questions: int
    tags: tuple[str, ...]
    from_file: bool


def check_key(key: str) -> str:
    """A bank key as files name it: [a-z0-9-]+; raises BankError."""
    key = (key or "").strip()
    if not ym._KEY_RE.fullmatch(key) or len(key) > 64:
        raise BankError("题库标识只能用小写字母、数字和连字符（a-z0-9-），最多 64 个")
    return key


def apply_import(db: Session, questions: list[ImportedQuestion], bank_key: str,
                 bank_name: str | None = None, file_name: str = "") -> ImportSummary:
    """Add or update the questions in bank ``bank_key`` (made when new); no commit. Raises
    AnsweredKeys, by row, when the file changes the key of a question officers answered."""
    bank_key = check_key(bank_key)
    bank = db.scalar(select(QuestionBank).where(QuestionBank.key == bank_key))
    if bank is not None:  # no submission grades against these keys while we compare them
        keylock.changing_bank(db, bank.id)
    name = (bank_name or "").strip() or (bank.name if bank is not None else (
        DEFAULT_NAME if bank_key == DEFAULT_BANK else bank_key))
    if len(name) > ym.TEXT_MAX:
        raise BankError(f"题库名称最多 {ym.TEXT_MAX} 个字")
    stored = {} if bank is None else {q.key: q for q in db.scalars(
        select(Question).where(Question.bank_id == bank.id))}
    last = max((q.position for q in stored.values()), default=0)
    writes, added, changed = [], 0, 0
    rekeyed: dict[int, ImportedQuestion] = {}  # question id → the row changing its key
    for item in questions:
        row = stored.get(item.spec.key)
        if row is None:
            last += 1
            writes.append(replace(item.spec, position=last))
            added += 1
            continue
        # Compare as the files would hold them; the position stays the stored one.
        now = replace(item.spec, position=row.position)
        before = replace(dbspecs.question_specs([row])[0], position=row.position) \
            if not row.retired else None
        if before != now:
            writes.append(now)
            changed += 1
            new_key = list(now.answer) if isinstance(now.answer, tuple) else now.answer
            if not regrade.same_key(row.kind, row.answer, new_key):
                rekeyed[row.id] = item
    _refuse_answered(db, rekeyed, file_name)
    summary = ImportSummary(bank_key, added, changed, len(questions) - added - changed)
    if bank is None or writes or name != bank.name:
        syncapply.write_bank(db, BankSpec(bank_key, name, bank.description if bank else "",
                                          tuple(writes), "", ""), keep_missing=True)
    db.flush()
    return summary


def _refuse_answered(db: Session, rekeyed: dict[int, ImportedQuestion], file_name: str
                     ) -> None:
    """A changed key officers have answered changes only through a regrade
    (docs/REGRADING.md); the whole file waits until the studio has regraded."""
    if not rekeyed:
        return
    counts: dict[int, int] = {}
    for _attempt, _quiz, ids in regrade_bank.holding(db, rekeyed):
        for qid in set(ids) & set(rekeyed):
            counts[qid] = counts.get(qid, 0) + 1
    problems = [Problem(file_name, item.row, ANSWERED_KEY.format(key=item.spec.key,
                                                                 n=counts[qid]))
                for qid, item in rekeyed.items() if qid in counts]
    if problems:
        raise AnsweredKeys(sorted(problems, key=lambda p: p.line))


def record_import(db: Session, summary: ImportSummary, file_name: str, actor_id: int | None,
                  via: str, ip: str | None = None) -> None:
    """Audit an import (studio or CLI)."""
    audit.record(db, "questions_imported", actor_id=actor_id, target=f"bank:{summary.bank}",
                 ip=ip, detail={"file": file_name[:200], "added": summary.added,
                                "changed": summary.changed, "unchanged": summary.unchanged,
                                "via": via})


def bank_lines(db: Session) -> list[BankLine]:
    """Every bank with its live question count and tags."""
    lines = []
    for bank in db.scalars(select(QuestionBank).order_by(QuestionBank.key)):
        tags = db.scalars(select(Question.tags).where(Question.bank_id == bank.id,
                                                      Question.retired.is_(False)))
        count = db.scalar(select(func.count()).select_from(Question).where(
            Question.bank_id == bank.id, Question.retired.is_(False)))
        lines.append(BankLine(bank.id, bank.key, bank.name, int(count or 0),
                              tuple(sorted({t for ts in tags for t in ts or ()})),
                              bank.source_path is not None))
    return lines


def bank_by_key(db: Session, key: str) -> QuestionBank | None:
    """One bank by key."""
    return db.scalar(select(QuestionBank).where(QuestionBank.key == key))
