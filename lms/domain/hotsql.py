"""Hot-path statements run as driver SQL compiled once; no Flask.

Executing a Core statement costs SQLAlchemy ~0.1–0.15 ms of Python per call even when its
compiled form is cached (the cache key, the execution context, the binds; measured with
the attempt's statements, docs/PERFORMANCE.md): a tenth of the INSERT ceiling's whole
request. On PostgreSQL `execute` renders a statement once per dialect and runs the string
with `Connection.exec_driver_sql` on the session's connection: same transaction, same
engine events (statement counters and tests see it), same error handling (a dropped
connection is still recognised), the same bind processing (each type's own processor,
e.g. JSON), and psycopg still prepares it server-side after a few runs. Elsewhere
(SQLite) it is the plain Core execute.
"""
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy.orm import Session


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
    return connection.exec_driver_sql(rendered.sql, binds)


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
    return _Rendered(compiled.string, fixed, processors)
