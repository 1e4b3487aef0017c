"""Summary tables recounted in place: the one way their rows are replaced; no Flask."""
from sqlalchemy import Table, delete, text
from sqlalchemy.orm import Session


def replace(db: Session, table: Table, conditions: tuple, columns: tuple, fresh) -> None:
    """Replace the rows of `table` that match `conditions` (all rows when there are none)
    with `fresh`, a SELECT of `columns`: pending ORM changes flushed first, then one DELETE
    and one INSERT … SELECT; no commit. On PostgreSQL the table is locked in EXCLUSIVE mode
    first (readers go on), so a concurrent increment either commits before the recount,
    which sees it, or waits and lands on the recounted row, never in between."""
    db.flush()
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text(f"LOCK TABLE {table.name} IN EXCLUSIVE MODE"))
    db.execute(delete(table).where(*conditions)
               .execution_options(synchronize_session=False))
    db.execute(table.insert().from_select(columns, fresh))
