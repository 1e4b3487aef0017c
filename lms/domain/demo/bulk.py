"""Bulk writes for the demo: COPY on PostgreSQL, the driver's executemany on SQLite; no Flask."""
import struct
import sys
import time
from array import array
from collections.abc import Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import Connection, ForeignKeyConstraint, UniqueConstraint, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.schema import AddConstraint, CreateIndex, DropConstraint, DropIndex


def dialect(db: Session | Connection) -> str:
    """The database's dialect name, from a session or a connection."""
    return (db.dialect if isinstance(db, Connection) else db.get_bind().dialect).name


def _driver(db: Session | Connection):
    """The driver's own connection under a session or a connection."""
    return (db if isinstance(db, Connection) else db.connection()).connection.driver_connection


def insert(db: Session | Connection, model, columns: tuple[str, ...], rows: list[tuple]
           ) -> None:
    """Insert many rows into `model`'s table (or the table so named): COPY on PostgreSQL,
    executemany elsewhere. Text must be given escaped for COPY (`copy_text`) where it may
    hold backslashes, tabs or line breaks."""
    if not rows:
        return
    table = model if isinstance(model, str) else model.__tablename__
    if dialect(db) == "postgresql":
        # COPY in text form, formatted here in large chunks: psycopg's write_row per row
        # costs more than the server's work. Values are ints, plain words and datetimes.
        raw = _driver(db)
        with raw.cursor() as cursor:
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN"
                             ) as copy:
                for start in range(0, len(rows), 100_000):
                    copy.write("".join(map(_copy_line, rows[start:start + 100_000])))
        return
    # SQLite: the driver's executemany with tuples, ~10x faster than ORM dicts. Datetimes are
    # written in SQLAlchemy's own SQLite format so string comparisons in SQL stay right.
    raw = _driver(db)
    marks = ", ".join("?" * len(columns))
    raw.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                    (tuple(_sqlite_value(v) for v in row) for row in rows))


# Column-wise rows: each column a sequence of one kind (or one value for every row). On
# PostgreSQL they go as COPY's binary format, laid out column by column with strided slice
# assignment (no Python work per row: the per-row formatting cost more than the server's
# parsing); elsewhere as tuples to executemany. Times are "stamps": integer microseconds since
# PostgreSQL's epoch (naive UTC), the binary timestamp itself.
INT, STAMP, BOOL, TEXT = "int", "stamp", "bool", "text"
PG_EPOCH = datetime(2000, 1, 1)
_WIDTH = {INT: 4, STAMP: 8, BOOL: 1}
_TYPECODE = {INT: "i", STAMP: "q"}
_SIGNATURE = b"PGCOPY\n\xff\r\n\0" + bytes(8)  # flags and header extension: none
_TRAILER = b"\xff\xff"


class Fixed(NamedTuple):
    """One value for every row of a column (None: NULL)."""

    value: object


def stamp(moment: datetime) -> int:
    """A naive UTC datetime as a stamp."""
    return (moment - PG_EPOCH) // timedelta(microseconds=1)


def from_stamp(value: int) -> datetime:
    """A stamp as a naive UTC datetime."""
    return PG_EPOCH + timedelta(microseconds=value)


def insert_columns(db: Session | Connection, table: str, kinds: dict[str, str],
                   values: dict[str, Sequence | Fixed]) -> None:
    """Insert rows given column by column (`kinds`: column → INT, STAMP, BOOL or TEXT; a TEXT
    column is a `Fixed` value)."""
    if dialect(db) == "postgresql":
        copy_packed(db, pack(table, kinds, values))
        return
    names, n = tuple(kinds), _length(values)
    columns = [_plain_column(kinds[c], values[c], n) for c in names]
    insert(db, table, names, list(zip(*columns)))


class Packed(NamedTuple):
    """Rows for a table's columns in COPY's binary format (`pack`), ready to send."""

    table: str
    names: tuple[str, ...]
    data: bytearray


def pack(table: str, kinds: dict[str, str], values: dict[str, Sequence | Fixed]) -> Packed:
    """Rows given as `insert_columns` takes them, packed for PostgreSQL's binary COPY: the
    Python half of the insert, which one thread may do while another sends (`copy_packed`)."""
    names = tuple(kinds)
    return Packed(table, names, _binary_rows([(kinds[c], values[c]) for c in names]))


def copy_packed(db: Session | Connection, packed: Packed) -> None:
    """Send packed rows (`pack`) by one COPY (PostgreSQL)."""
    with _driver(db).cursor() as cursor:
        with cursor.copy(f"COPY {packed.table} ({', '.join(packed.names)}) FROM STDIN "
                         "(FORMAT binary)") as copy:
            copy.write(_SIGNATURE)
            copy.write(packed.data)
            copy.write(_TRAILER)


def _length(values: dict) -> int:
    return next(len(v) for v in values.values() if not isinstance(v, Fixed))


def _plain_column(kind: str, values, n: int) -> list:
    """A column as executemany takes it (stamps as datetimes, as SQLAlchemy stores them)."""
    if isinstance(values, Fixed):
        value = values.value
        return [from_stamp(value) if kind == STAMP and value is not None else value] * n
    if kind == STAMP:
        return [from_stamp(v) for v in values]
    return [bool(v) for v in values] if kind == BOOL else list(values)


def _binary_rows(fields: list[tuple[str, Sequence | Fixed]]) -> bytearray:
    """Rows in COPY's binary format: one fixed-width row template (field count, lengths,
    the fixed values) repeated, each column written into its place with strided slices."""
    template = bytearray(struct.pack("!h", len(fields)))
    columns, n = [], None
    for kind, values in fields:
        if isinstance(values, Fixed):
            if values.value is None:
                template += b"\xff\xff\xff\xff"
                continue
            data = _binary_value(kind, values.value)
            template += struct.pack("!i", len(data)) + data
            continue
        width = _WIDTH[kind]
        template += struct.pack("!i", width)
        columns.append((len(template), width, _binary_column(kind, values)))
        template += bytes(width)
        n = len(values)
    size = len(template)
    rows = template * (n or 0)
    for offset, width, data in columns:
        for k in range(width):
            rows[offset + k::size] = data[k::width]
    return rows


def _binary_column(kind: str, values) -> bytes:
    """A column's values, big-endian, back to back."""
    if kind == BOOL:
        return bytes(map(bool, values))
    column = array(_TYPECODE[kind], values)
    if sys.byteorder == "little":
        column.byteswap()
    return column.tobytes()


def _binary_value(kind: str, value) -> bytes:
    if kind == TEXT:
        return str(value).encode()
    if kind == BOOL:
        return b"\x01" if value else b"\x00"
    return struct.pack("!q" if kind == STAMP else "!i", value)


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


def lock_for_loading(db: Session, models) -> None:
    """On PostgreSQL, take the tables `loading` will bulk-load, all at once and before any
    of them is written (ACCESS EXCLUSIVE: dropping an index needs it). A table another
    session is reading is not waited for while holding the others: the whole set is tried
    with NOWAIT and, if one is busy, released and tried again, so the demo never holds one
    of these locks while waiting for another and cannot be half of a deadlock over them.
    After LOCK_PATIENCE seconds of that it waits in line like any other statement."""
    if dialect(db) != "postgresql":
        return
    names = ", ".join(model.__tablename__ for model in models)
    give_up = time.monotonic() + LOCK_PATIENCE
    while time.monotonic() < give_up:
        try:
            with db.begin_nested():
                db.execute(text(f"LOCK TABLE {names} IN ACCESS EXCLUSIVE MODE NOWAIT"))
            return
        except OperationalError as busy:
            if getattr(busy.orig, "sqlstate", None) != "55P03":  # lock_not_available
                raise
            time.sleep(0.05)
    # A reader that never lets go: wait in line (PostgreSQL's deadlock check still applies).
    db.execute(text(f"LOCK TABLE {names} IN ACCESS EXCLUSIVE MODE"))


LOCK_PATIENCE = 60  # seconds of NOWAIT tries before `lock_for_loading` waits in line


@contextmanager
def loading(db: Session, model):
    """Bulk-load `model`'s table on PostgreSQL without per-row upkeep; elsewhere nothing.

    Kept per row, a million-row COPY spends most of its time on the indexes (random
    inserts through a small buffer cache, each page logged) and on a foreign-key trigger
    per row (a lookup and a row lock on the referenced key). Here, inside the demo's
    transaction (a failed build leaves everything as it was):

    - every index and unique constraint but the primary key is dropped for the load and
      built once afterwards from the sorted table (the constraint decides as before: a
      duplicate fails the build when it is added back);
    - when the session may (a superuser: `session_replication_role`), the foreign-key
      triggers do not fire during the load; afterwards each foreign key is checked once,
      set-based, by locking every distinct referenced key FOR KEY SHARE exactly as the
      triggers would have, and a missing one fails the build. No constraint is dropped or
      added: ALTER TABLE … ADD FOREIGN KEY locks the referenced tables, which deadlocked
      against readers (docs/PERFORMANCE.md).

    Call `lock_for_loading` for the tables first.
    """
    if dialect(db) != "postgresql":
        yield
        return
    table = model.__table__
    indexes = sorted(table.indexes, key=lambda index: index.name)
    uniques = sorted((c for c in table.constraints if isinstance(c, UniqueConstraint)),
                     key=lambda c: c.name)
    unchecked = db.scalar(text("SELECT current_setting('is_superuser')")) == "on"
    for constraint in uniques:
        db.execute(DropConstraint(constraint))
    for index in indexes:
        db.execute(DropIndex(index))
    if unchecked:
        db.execute(text("SET LOCAL session_replication_role = replica"))
    yield
    if unchecked:
        db.execute(text("SET LOCAL session_replication_role = origin"))
        for key in table.foreign_key_constraints:
            _check_foreign_key(db, table.name, key)
    db.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
    for constraint in uniques:
        db.execute(AddConstraint(constraint))
    for index in indexes:
        db.execute(CreateIndex(index))
    db.execute(text("RESET maintenance_work_mem"))


def _check_foreign_key(db: Session, table: str, key: ForeignKeyConstraint) -> None:
    """What the foreign key's triggers do per row, once per distinct key and in one scan of
    the table: lock the referenced row FOR KEY SHARE; a key that references nothing fails
    the build."""
    (column,), (target,) = key.column_keys, key.elements
    referred, referred_column = target.column.table.name, target.column.name
    missing = db.scalar(text(
        f"SELECT count(*) FROM (SELECT DISTINCT {column} AS key FROM {table} "
        f"WHERE {column} IS NOT NULL) AS used LEFT JOIN LATERAL (SELECT 1 AS found "
        f"FROM {referred} WHERE {referred_column} = used.key FOR KEY SHARE) AS held ON true "
        "WHERE held.found IS NULL"))
    if missing:
        raise IntegrityError(f"{table}.{column}: {missing} key(s) reference nothing in "
                             f"{referred}", None, Exception(key.name))
