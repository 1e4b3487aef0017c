"""Isolated databases for tests: a fresh SQLite file, or a throwaway PostgreSQL schema.

A schema per app keeps parallel runs (and the plugin test's second app) from touching each
other's tables in the shared `test` database.
"""
import contextlib
import os
import uuid

from sqlalchemy import create_engine, text


def pg_url() -> str | None:
    """DATABASE_URL in SQLAlchemy's psycopg form, if it names PostgreSQL."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url if url.startswith("postgresql") else None


@contextlib.contextmanager
def isolated_database(tmp_dir: str, name: str = "test"):
    """Yield config for an empty database; drop it afterwards."""
    url = pg_url()
    if url is None:
        yield {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_dir}/{name}.sqlite3"}
        return
    schema = f"t_{name}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield {"SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": {
            "pool_pre_ping": True,
            # The application name lets a fault test find (and kill) this app's connections.
            "connect_args": {"options": f"-c search_path={schema}",
                             "application_name": schema}}}
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
