"""Per-question statistics of a quiz for its authors; no Flask (a read model of the studio).

Only submitted attempts count. `Attempt.results` is a JSON list with one entry per question
({question_id, correct, given, ...}); every figure is aggregated by the database from that
list unnested (`json_each` on SQLite, `json_array_elements` on PostgreSQL), so Python only
ever sees one row per question, per chosen option and per frequent wrong answer — a lesson's
30,000 attempts never travel to the application.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    JSON,
    Integer,
    LargeBinary,
    Text,
    and_,
    case,
    cast,
    func,
    literal_column,
    or_,
    select,
    true,
)
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from sqlalchemy.orm import Session

from ...models import Attempt, Courseware, MicroLesson, Question, Quiz
from ..text import shown

CHOICE_KINDS = ("single", "multiple")
TOP_WRONG = 5  # the most common wrong fill-in answers shown per question


@dataclass(frozen=True)
class OptionCount:
    """How many answered attempts chose one option."""

    key: str
    text: str
    count: int
    share: float  # of the question's answered attempts, 0..1
    correct: bool


@dataclass(frozen=True)
class QuestionStats:
    """One question's figures."""

    question_id: int
    key: str
    kind: str
    stem: str
    retired: bool
    answered: int
    correct: int
    options: tuple[OptionCount, ...]
    wrong_answers: tuple[tuple[str, int], ...]

    @property
    def correct_rate(self) -> float | None:
        """Share of answered attempts that got it right; None when nobody answered."""
        return self.correct / self.answered if self.answered else None


@dataclass(frozen=True)
class QuizStats:
    """The submitted attempts of one item's quiz, question by question."""

    attempts: int
    questions: tuple[QuestionStats, ...]


def quiz_stats(db: Session, item_type: str, item_id: int, quiz_id: int) -> QuizStats:
    """Statistics of the submitted attempts at ``(item_type, item_id)`` for quiz ``quiz_id``
    (its retired questions included when they were answered; for a quiz drawn from the
    banks, every bank question its attempts drew)."""
    return _stats(db, _submitted(item_type, item_id), Question.quiz_id == quiz_id)


def bank_stats(db: Session, bank_id: int) -> QuizStats:
    """Statistics of a bank's questions over every quiz that drew them: a question's
    figures are its own, whichever lessons or courseware asked it."""
    drawn = select(Quiz.id).where(Quiz.draw_rules.is_not(None))
    items = or_(
        and_(Attempt.item_type == "lesson", Attempt.item_id.in_(
            select(MicroLesson.id).where(MicroLesson.quiz_id.in_(drawn)))),
        and_(Attempt.item_type == "courseware", Attempt.item_id.in_(
            select(Courseware.id).where(Courseware.quiz_id.in_(drawn)))))
    return _stats(db, (items, Attempt.question_ids.is_not(None), Attempt.status == "submitted"),
                  Question.bank_id == bank_id, bank_only=True)


def _stats(db: Session, where: tuple, own, bank_only: bool = False) -> QuizStats:
    dialect = db.get_bind().dialect.name
    try:
        with db.begin_nested():
            return _quiz_stats(db, _JsonSql(dialect), where, own, bank_only)
    except (DataError, OperationalError) as error:
        if not _unreadable_text(error):
            raise
    # An answer stored before the API refused lone surrogates ("\ud800") makes the database
    # fail to read its attempt's JSON; only then pay for reading them with repair.
    return _quiz_stats(db, _JsonSql(dialect, repair=True), where, own, bank_only)


def _unreadable_text(error: DBAPIError) -> bool:
    """PostgreSQL refusing a lone surrogate escape, or SQLite's text that is not UTF-8."""
    return (getattr(error.orig, "sqlstate", None) in ("22P02", "22P05")
            or "decode to UTF-8" in str(error.orig))


def _quiz_stats(db: Session, sql: _JsonSql, where: tuple, own, bank_only: bool
                ) -> QuizStats:
    """Figures over the attempts matching ``where``, for the questions ``own`` selects plus
    any other question those attempts answered (a drawn quiz's bank questions)."""
    attempts = db.scalar(select(func.count()).select_from(Attempt).where(*where)) or 0
    lines = _lines(sql, where)
    totals = {qid: (answered or 0, correct or 0) for qid, answered, correct in db.execute(
        select(lines.c.qid, func.sum(lines.c.answered), func.sum(lines.c.correct))
        .group_by(lines.c.qid))}
    chosen = _chosen_options(db, sql, where)
    wrong = _wrong_fill_ins(db, lines)
    shown_ids = own if bank_only else or_(own, Question.id.in_(list(totals)))
    questions = db.scalars(select(Question).where(shown_ids)
                           .order_by(Question.retired, Question.position, Question.id))
    result = []
    for q in questions:
        answered, correct = totals.get(q.id, (0, 0))
        if q.retired and not answered:
            continue
        right = set(q.answer) if isinstance(q.answer, list) else {q.answer}
        options = tuple(
            OptionCount(key, shown(text), chosen.get((q.id, key), 0),
                        chosen.get((q.id, key), 0) / answered if answered else 0.0,
                        key in right)
            for key, text in q.options) if q.kind in CHOICE_KINDS else ()
        result.append(QuestionStats(q.id, q.key, q.kind, shown(q.stem), q.retired, answered,
                                    correct,
                                    options, tuple(wrong.get(q.id, ()))))
    return QuizStats(attempts, tuple(result))


def _submitted(item_type: str, item_id: int) -> tuple:
    # (item_type, item_id) is indexed (ix_lms_attempt_item).
    return (Attempt.item_type == item_type, Attempt.item_id == item_id,
            Attempt.status == "submitted")


def _lines(sql: _JsonSql, where: tuple):
    """One row per (submitted attempt, question): qid, answered 0/1, correct 0/1, given."""
    r = sql.results()
    answered = sql.field(r.c.value, "given").is_not(None)
    return (select(sql.question_id(r.c.value).label("qid"),
                   case((answered, 1), else_=0).label("answered"),
                   case((sql.is_true(r.c.value, "correct"), 1), else_=0).label("correct"),
                   sql.fetched(sql.field(r.c.value, "given")).label("given"))
            .select_from(Attempt).join(r, true())
            .where(*where)
            .subquery("lines"))


def _chosen_options(db: Session, sql: _JsonSql, where: tuple
                    ) -> dict[tuple[int, str], int]:
    """How often each option key was picked, per choice question."""
    r = sql.results()
    k = sql.given_keys(r.c.value)
    picks = (select(sql.question_id(r.c.value).label("qid"),
                    sql.fetched(k.c.value).label("choice"))
             .select_from(Attempt).join(r, true()).join(k, true())
             .where(*where, k.c.value.is_not(None))
             .subquery("picks"))
    rows = db.execute(select(picks.c.qid, picks.c.choice, func.count())
                      .join(Question, Question.id == picks.c.qid)
                      .where(Question.kind.in_(CHOICE_KINDS))
                      .group_by(picks.c.qid, picks.c.choice))
    return {(qid, _text(choice)): n for qid, choice, n in rows}


def _wrong_fill_ins(db: Session, lines) -> dict[int, list[tuple[str, int]]]:
    """The TOP_WRONG most frequent wrong texts per fill-in question, as typed."""
    counted = (select(lines.c.qid, lines.c.given, func.count().label("n"))
               .join(Question, Question.id == lines.c.qid)
               .where(Question.kind == "fill_blank", lines.c.answered == 1,
                      lines.c.correct == 0)
               .group_by(lines.c.qid, lines.c.given)
               .subquery("counted"))
    rank = func.row_number().over(partition_by=counted.c.qid,
                                  order_by=(counted.c.n.desc(), counted.c.given))
    ranked = select(counted.c.qid, counted.c.given, counted.c.n,
                    rank.label("rank")).subquery("ranked")
    found: dict[int, list[tuple[str, int]]] = {}
    for qid, given, n in db.execute(select(ranked.c.qid, ranked.c.given, ranked.c.n)
                                    .where(ranked.c.rank <= TOP_WRONG)
                                    .order_by(ranked.c.qid, ranked.c.rank)):
        found.setdefault(qid, []).append((_text(given), n))
    return found


def _text(value) -> str:
    """A fetched answer as text fit to show."""
    if isinstance(value, bytes):
        try:  # SQLite turns a lone surrogate escape into its 3 UTF-8-like bytes
            value = value.decode("utf-8", "surrogatepass")
        except UnicodeDecodeError:
            value = value.decode("utf-8", "replace")
    return shown(str(value))


# A JSON \uD800-\uDBFF escape not followed by a low one, or a \uDC00-\uDFFF not preceded
# by a high one (PostgreSQL regular expression; a pair, as json.dumps writes emoji, is kept).
LONE_SURROGATE_ESCAPE = (r"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
                         r"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}")


class _JsonSql:
    """The few JSON expressions the statistics need, for SQLite's json1 or PostgreSQL's json.

    Keys and paths are SQL literals of this module, never input: as literals they make the
    same expression text wherever they appear, which GROUP BY on PostgreSQL requires.
    """

    def __init__(self, dialect: str, repair: bool = False):
        self.pg, self.repair = dialect == "postgresql", repair

    def results(self):
        """Attempt.results unnested: one row per question entry, in column ``value``."""
        unnest = func.json_array_elements if self.pg else func.json_each
        source = Attempt.results
        if self.repair and self.pg:
            # PostgreSQL refuses to read any member of an entry holding a lone surrogate
            # escape: rewrite each such escape as U+FFFD's before unnesting.
            source = cast(func.regexp_replace(cast(Attempt.results, Text),
                                              literal_column(f"'{LONE_SURROGATE_ESCAPE}'"),
                                              literal_column("'\\\\ufffd'"),
                                              literal_column("'g'")), JSON)
        return unnest(source).table_valued("value").alias("r")

    def fetched(self, expression):
        """A text value Python will read: as bytes when repairing SQLite, whose json_extract
        turns a lone surrogate escape into bytes that are not UTF-8."""
        return cast(expression, LargeBinary) if self.repair and not self.pg else expression

    def field(self, value, key: str):
        """A scalar member as SQL (text on PostgreSQL; the native value on SQLite)."""
        if self.pg:
            return value.op("->>")(literal_column(f"'{key}'"))
        return func.json_extract(value, literal_column(f"'$.{key}'"))

    def question_id(self, value):
        return cast(self.field(value, "question_id"), Integer) if self.pg \
            else self.field(value, "question_id")

    def is_true(self, value, key: str):
        return self.field(value, key) == (literal_column("'true'") if self.pg
                                          else literal_column("1"))

    def given_keys(self, value):
        """The option keys of an answer, one row each: "A" gives A, ["A", "C"] gives A, C."""
        if not self.pg:
            # json_each walks an array's items, or yields a scalar itself as its one row.
            return func.json_each(value, literal_column("'$.given'")) \
                .table_valued("value").alias("k")
        given = value.op("->")(literal_column("'given'"))
        as_array = case((func.json_typeof(given) == literal_column("'array'"), given),
                        else_=func.json_build_array(given))
        return func.json_array_elements_text(as_array).table_valued("value").alias("k")
