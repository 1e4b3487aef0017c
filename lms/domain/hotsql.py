"""Hot-path statements run as driver SQL compiled once; no Flask.

Executing a Core statement costs SQLAlchemy ~0.1–0.15 ms of Python per call even when its
compiled form is cached (the cache key, the execution context, the binds), and a driver-SQL
execute still builds a result object: psycopg's column descriptions and SQLAlchemy's
metadata of every column, anew for each call (~18 % of an attempt's instructions,
docs/PERFORMANCE.md). On PostgreSQL `execute` renders a statement once per dialect and runs
it on the session connection's psycopg cursor: same transaction, the same engine events
(`before_cursor_execute`/`after_cursor_execute`: statement counters and tests see it), the
same bind processing (each type's own processor, e.g. JSON), the same errors (a failure is
handed to SQLAlchemy's own handling: its classes, hidden parameters, invalidation), and
psycopg still prepares it server-side after a few runs. Rows come back as named tuples: a
statement whose columns need a result processor is refused when it is rendered. Elsewhere
(SQLite) it is the plain Core execute.

This leans on four SQLAlchemy internals (`_bind_processors`, `_result_columns`,
`_has_events`, `_handle_dbapi_exception`): constraints.txt pins the version the tests
(tests/test_hotsql.py) check, and a host whose SQLAlchemy lacks one gets the public
driver-SQL execute instead (correct, a little slower).
"""
import keyword
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import exc
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler

try:  # the PostgreSQL driver is an optional extra; the direct path runs only on it
    from psycopg.rows import namedtuple_row
except ImportError:  # SQLite only: `execute` is the Core execute there
    namedtuple_row = None

_DIRECT = all(hasattr(Connection, name) for name in ("_has_events", "_handle_dbapi_exception")) \
    and all(hasattr(SQLCompiler, name) for name in ("_result_columns", "_bind_processors"))


@dataclass(frozen=True)
class _Rendered:
    sql: str
    fixed: dict  # the statement's own values (literals rendered as binds)
    processors: dict  # bind name → its type's bind processor, where it has one


def execute(db: Session, statement, params: Mapping):
    """Run `statement` (a Core statement built once, e.g. under `lru_cache`) with `params`
    on the session's connection, in its transaction; returns the result."""
    return execute_on(db.connection(), statement, params)


def execute_on(connection, statement, params: Mapping):
    """`execute` on a given Connection (one outside the session's transaction, say)."""
    if connection.dialect.name != "postgresql":
        return connection.execute(statement, params)
    rendered = _render(statement, connection.dialect)
    binds = dict(rendered.fixed)
    processors = rendered.processors
    for name, value in params.items():
        process = processors.get(name)
        binds[name] = value if process is None else process(value)
    if not _DIRECT:
        return connection.exec_driver_sql(rendered.sql, binds)
    return Rows(_run(connection, rendered.sql, binds))


@lru_cache(maxsize=64)
def _render(statement, dialect) -> _Rendered:
    compiled = statement.compile(dialect=dialect)
    processors = {name: process for name, process in compiled._bind_processors.items()
                  if callable(process)}
    fixed = {}
    for bind, names in compiled.bind_names.items():
        if not bind.required:
            value = bind.effective_value
            process = processors.get(names)
            fixed[names] = value if process is None else process(value)
    names = [column.keyname for column in compiled._result_columns]
    odd = [n for n in names if not n.isidentifier() or n.startswith("_") or keyword.iskeyword(n)]
    if odd or len(set(names)) != len(names):  # psycopg would rename them in its named tuples
        raise TypeError(f"hotsql: label the columns {odd or names} as distinct plain names")
    for column in compiled._result_columns:  # rows come straight from psycopg
        if not _plain(column.type, dialect):
            raise TypeError(f"hotsql: column {column.name!r} needs SQLAlchemy's result "
                            "processing; run this statement with the Core execute")
    return _Rendered(compiled.string, fixed, processors)


def _plain(type_, dialect) -> bool:
    """Whether SQLAlchemy returns the driver's value as it is (no result processor; one
    that depends on the driver's type code counts as one)."""
    try:
        return type_.dialect_impl(dialect).result_processor(dialect, None) is None
    except Exception:  # a processor chosen by the type code, which is not known here
        return False


class Rows:
    """A statement's rows (named tuples), with the result methods the hot paths use: first,
    one, scalar, all and iteration (on SQLite `execute` returns SQLAlchemy's own Result)."""

    __slots__ = ("_rows",)

    def __init__(self, rows: list):
        self._rows = rows

    def first(self):
        return self._rows[0] if self._rows else None

    def one(self):
        if len(self._rows) != 1:
            raise exc.NoResultFound("No row was found") if not self._rows else \
                exc.MultipleResultsFound("Multiple rows were found")
        return self._rows[0]

    def scalar(self):
        return self._rows[0][0] if self._rows else None

    def all(self) -> list:
        return self._rows

    def __iter__(self):
        return iter(self._rows)


class _Context:
    """What cursor-event listeners read of SQLAlchemy's execution context, with room for
    the attributes they set on it (Flask-SQLAlchemy's query recording, timers)."""

    compiled = None
    executemany = False

    def __init__(self, connection, cursor, statement: str, parameters: dict):
        self.connection = self.root_connection = connection
        self.dialect = connection.dialect
        self.cursor, self.statement, self.parameters = cursor, statement, parameters


def _run(connection, sql: str, binds: dict) -> list:
    """`sql` on the connection's psycopg cursor, as SQLAlchemy's execute runs it: the cursor
    events around it (with a context, and a listener's rewritten statement honoured), and a
    failure handled by SQLAlchemy itself (its error classes, hidden parameters, a lost
    connection invalidated with the pool's older ones, `handle_error` events)."""
    raw = connection.connection.driver_connection
    with raw.cursor(row_factory=namedtuple_row) as cursor:
        events = connection._has_events or connection.engine._has_events
        context = _Context(connection, cursor, sql, binds) if events else None
        try:
            if events:
                for listen in connection.dispatch.before_cursor_execute:
                    sql, binds = listen(connection, cursor, sql, binds, context, False)
            cursor.execute(sql, binds)
            if events:
                connection.dispatch.after_cursor_execute(connection, cursor, sql, binds,
                                                         context, False)
            # `description` would build a Column per column: ask the result itself
            return cursor.fetchall() if cursor.pgresult.nfields else []
        except BaseException as error:
            if isinstance(error, Exception) and not isinstance(
                    error, connection.dialect.loaded_dbapi.Error):
                raise  # a listener's own bug, which SQLAlchemy lets through unwrapped too
            connection._handle_dbapi_exception(error, sql, binds, cursor, None)
            raise  # not reached: the call above raises
