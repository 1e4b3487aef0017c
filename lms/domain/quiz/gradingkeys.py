"""The grading keys of a quiz of fixed questions, read after the key lock; no Flask.

`attempts.submit` takes the quiz's key lock (`keylock.grading`) and only then asks which
version of the keys it grades with: on PostgreSQL the `xmin` of each current question row
(with its id, in grading order), read in the statement that finds the attempt
(`version_sql`). A regrade, an edit or a retired question UPDATEs those rows and so
changes the version; a version this worker has seen before names exactly the rows it read
then, so their keys are taken from a per-worker cache instead of being read again. The
cached keys were read at that very row version (in some earlier transaction, after that
transaction's lock), never from a view read before the lock (the lead's decision,
docs/PERFORMANCE.md, "Attempt, per request"). SQLite has no row versions: there the keys
are read every time.

`latest` names the version this worker saw last for a quiz, with its keys: a submission may
grade with them before it reads anything, provided its write is refused unless that
version is still current in a snapshot taken after its lock (`attempts`, the guarded
insert).
"""
import threading
from collections import OrderedDict
from functools import lru_cache

from sqlalchemy import Text, bindparam, cast, func, literal_column, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session

from ...models import Question
from . import grading

CACHE_SIZE = 256  # quizzes per worker; a year is 52 weekly quizzes

_cache: "OrderedDict[tuple[int, str], tuple[grading.QuestionKey, ...]]" = OrderedDict()
_latest: dict[int, str] = {}  # quiz → the version whose keys this worker read last
_lock = threading.Lock()


def version_sql(quiz_id):
    """SQL scalar (PostgreSQL): the version of the quiz's current questions, as
    `_version_of` computes it from the rows."""
    q = Question.__table__.alias("key_question")
    line = cast(q.c.id, Text) + ":" + cast(literal_column("key_question.xmin"), Text)
    return (select(func.string_agg(line, aggregate_order_by(literal_column("','"),
                                                              q.c.position, q.c.id)))
            .where(q.c.quiz_id == quiz_id, q.c.retired.is_(False)).scalar_subquery())


def keys_for(db: Session, quiz_id: int, version: str | None) -> tuple[grading.QuestionKey, ...]:
    """The quiz's current questions as grading keys, in order; from the cache when this
    worker has read them at `version` (read after the key lock), else from the database."""
    if version is not None:
        with _lock:
            keys = _cache.get((quiz_id, version))
            if keys is not None:
                _cache.move_to_end((quiz_id, version))
                _latest[quiz_id] = version
                return keys
    dialect = db.get_bind().dialect.name
    rows = db.execute(_questions(dialect), {"p_quiz_id": quiz_id}).all()
    keys = tuple(_key(row) for row in rows)
    if dialect == "postgresql" and rows:  # cached under the version of the rows read
        version = ",".join(f"{row.id}:{row.xmin}" for row in rows)
        with _lock:
            _cache[(quiz_id, version)] = keys
            _latest[quiz_id] = version
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
            if len(_latest) > CACHE_SIZE:
                _latest.clear()
    return keys


def latest(quiz_id: int) -> tuple[str, tuple[grading.QuestionKey, ...]] | None:
    """The version of the quiz's keys this worker read last (after a lock) and those keys,
    or None. Only a guess at what is current: a caller grading with them must check the
    version after its own lock (`version_sql`) before anything it wrote counts."""
    with _lock:
        version = _latest.get(quiz_id)
        keys = None if version is None else _cache.get((quiz_id, version))
    return None if keys is None else (version, keys)


def clear_cache() -> None:
    """Forget every cached key (tests; never needed for correctness)."""
    with _lock:
        _cache.clear()
        _latest.clear()


def _key(row) -> grading.QuestionKey:
    """As `quizview.question_key`, from a row of `_questions`."""
    answer = row.answer
    if row.kind in ("multiple", "fill_blank"):
        answer = tuple(answer)
    return grading.QuestionKey(row.id, row.kind, tuple(key for key, _ in row.options or ()),
                               answer, row.explanation or "")


@lru_cache(maxsize=4)
def _questions(dialect: str):
    """The key columns of a quiz's current questions in order (and each row's xmin on
    PostgreSQL), built once."""
    q = Question.__table__
    columns = [q.c.id, q.c.kind, q.c.options, q.c.answer, q.c.explanation]
    if dialect == "postgresql":
        columns.append(cast(literal_column("lms_question.xmin"), Text).label("xmin"))
    return (select(*columns)
            .where(q.c.quiz_id == bindparam("p_quiz_id"), q.c.retired.is_(False))
            .order_by(q.c.position, q.c.id))
