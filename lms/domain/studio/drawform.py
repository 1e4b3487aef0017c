"""Draw rules in the question editor ("从题库抽题"): rows of bank, tag and count, their
checks in Chinese, the banks' tags to choose from, and a sample draw for the preview; no
Flask. The rules then go through `quizfile.read_quiz` like a YAML quiz (see
`questions.to_mapping`). See docs/STUDIO.md, "Draw rules".
"""
from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import Question, QuestionBank
from ..coursefiles import dbspecs
from ..coursefiles.quizfile import MAX_DRAW
from ..quiz import draws

MAX_RULES = 20


@dataclass
class DrawDraft:
    """One rule as the form holds it: bank key ("" for every bank, as a file's rule without
    ``bank``), tag, count (None when not a number)."""

    bank: str = ""
    tag: str = ""
    count: int | None = 5


@dataclass(frozen=True)
class BankChoice:
    """A bank the rule's select offers, with its live questions per tag."""

    key: str
    name: str
    tags: dict[str, int] = field(default_factory=dict)


def syntax_problems(rules: list[DrawDraft]) -> dict[str, list[str]]:
    """Problems of the rows themselves, keyed ``d0-bank``, ``d0-tag``, ``d0-count``,
    ``draws``; the banks' contents are `bank_problems`'."""
    problems: dict[str, list[str]] = {}
    if not rules:
        problems["draws"] = ["请至少添加一条抽题规则"]
    if len(rules) > MAX_RULES:
        problems["draws"] = [f"抽题规则最多 {MAX_RULES} 条"]
    for i, rule in enumerate(rules):
        if not rule.tag.strip():
            problems.setdefault(f"d{i}-tag", []).append("请填写或选择标签")
        if rule.count is None or not 1 <= rule.count <= MAX_DRAW:
            problems.setdefault(f"d{i}-count", []).append(
                f"抽题数量请填写 1 到 {MAX_DRAW} 之间的整数")
    return problems


def bank_problems(db: Session, rules) -> list[tuple[int, str, str]]:
    """(rule index, field, message) for rules (anything with bank, tag, count) the banks
    cannot serve: an unknown bank, a tag without questions, more than the tag holds, and
    rules together asking more than their questions. A short draw is refused, not warned
    of: officers would otherwise be scored on fewer questions than the trainer meant."""
    found: list[tuple[int, str, str]] = []
    unknown = set(draws.unknown_banks(db, rules))
    pools: list[set[int]] = []
    for i, rule in enumerate(rules):
        if rule.bank is not None and rule.bank in unknown:
            found.append((i, "bank", f"题库「{rule.bank}」不存在"))
            continue
        pool = {q.id for q in draws.candidates(db, draws.DrawRule(rule.tag, rule.count,
                                                                    rule.bank))}
        pools.append(pool)
        where = f"题库「{rule.bank}」" if rule.bank else "各题库"
        if not pool:
            found.append((i, "tag", f"{where}中没有标签为「{rule.tag}」的题目"))
        elif rule.count > len(pool):
            found.append((i, "count", f"{where}中标签「{rule.tag}」只有 {len(pool)} 道题，"
                                      f"不够抽 {rule.count} 道"))
    asked = sum(r.count for r in rules)
    distinct = len(set().union(*pools)) if pools else 0
    if not found and len(rules) > 1 and asked > distinct:
        found.append((-1, "draws", f"各条规则共要抽 {asked} 道，但符合条件的不同题目只有 "
                                   f"{distinct} 道（标签有重叠），请减少数量"))
    return found


def bank_choices(db: Session) -> list[BankChoice]:
    """Every bank with its live questions counted per tag, banks by key, tags by count."""
    banks = {b.id: b for b in db.scalars(select(QuestionBank).order_by(QuestionBank.key))}
    counts: dict[int, Counter] = {bank_id: Counter() for bank_id in banks}
    rows = db.execute(select(Question.bank_id, Question.tags).where(
        Question.bank_id.is_not(None), Question.retired.is_(False)))
    for bank_id, tags in rows:
        counts[bank_id].update(set(tags or ()))
    return [BankChoice(b.key, b.name, dict(sorted(counts[b.id].items(),
                                                  key=lambda kv: (-kv[1], kv[0]))))
            for b in banks.values()]


def sample(db: Session, rules) -> list:
    """One draw as an officer might get it (a fresh seed each time), as question specs."""
    picked = draws.draw(db, [draws.DrawRule(r.tag, r.count, r.bank) for r in rules],
                        uuid.uuid4().hex)
    return [dbspecs.question_specs([q])[0] for q in picked]  # in the draw's order
