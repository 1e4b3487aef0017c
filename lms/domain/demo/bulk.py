"""Bulk writes for the demo: COPY on PostgreSQL, the driver's executemany on SQLite; no Flask."""
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy.orm import Session


def insert(db: Session, model, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Insert many rows: COPY on PostgreSQL, executemany elsewhere. Text must be given
    escaped for COPY (`copy_text`) where it may hold backslashes, tabs or line breaks."""
    if not rows:
        return
    if db.get_bind().dialect.name == "postgresql":
        # COPY in text form, formatted here in large chunks: psycopg's write_row per row
        # costs more than the server's work. Values are ints, plain words and datetimes.
        raw = db.connection().connection.driver_connection
        with raw.cursor() as cursor:
            with cursor.copy(f"COPY {model.__tablename__} ({', '.join(columns)}) FROM STDIN"
                             ) as copy:
                for start in range(0, len(rows), 100_000):
                    copy.write("".join(map(_copy_line, rows[start:start + 100_000])))
        return
    # SQLite: the driver's executemany with tuples, ~10x faster than ORM dicts. Datetimes are
    # written in SQLAlchemy's own SQLite format so string comparisons in SQL stay right.
    raw = db.connection().connection.driver_connection
    marks = ", ".join("?" * len(columns))
    raw.executemany(f"INSERT INTO {model.__tablename__} ({', '.join(columns)}) VALUES ({marks})",
                    (tuple(_sqlite_value(v) for v in row) for row in rows))


def _copy_line(row: tuple) -> str:
    """A row in COPY's text format (values already escaped where they need it)."""
    if None in row:
        return "\t".join("\\N" if value is None else str(value) for value in row) + "\n"
    return "\t".join(map(str, row)) + "\n"


def copy_text(text: str) -> str:
    """Text escaped for COPY's text format."""
    return text.translate(COPY_ESCAPES)


COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _sqlite_value(value):
    """A value as SQLAlchemy stores it on SQLite."""
    return value.strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(value, datetime) else value


@contextmanager
def indexes_after(db: Session, model):
    """On PostgreSQL, build the table's plain (non-unique) indexes once after a bulk load
    instead of row by row during it: dropped and recreated from the model inside the
    demo's transaction, so a failed build leaves them as they were."""
    pg = db.get_bind().dialect.name == "postgresql"
    indexes = sorted((i for i in model.__table__.indexes if not i.unique),
                     key=lambda i: i.name) if pg else []
    connection = db.connection()
    for index in indexes:
        index.drop(connection)
    yield
    for index in indexes:
        index.create(connection)
