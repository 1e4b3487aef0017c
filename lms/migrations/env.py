"""Alembic environment: the LMS tables only, its own version table, the app's engine."""
import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

from lms.extension import ALEMBIC_VERSION_TABLE
from lms.models import Base
from lms.models.base import TABLE_PREFIX

config = context.config
if config.config_file_name and not logging.getLogger().handlers:
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def include_object(obj, name, type_, reflected, compare_to):
    """Ignore a host application's tables that share the database."""
    if type_ == "table":
        return name.startswith(TABLE_PREFIX)
    return True


def run_migrations_online() -> None:
    """Run against the current Flask app's engine."""
    engine = current_app.extensions["lms"].db.engine
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            version_table=ALEMBIC_VERSION_TABLE,
            include_object=include_object,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("Offline migrations are not supported; run against a database.")
run_migrations_online()
