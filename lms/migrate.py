"""Run the LMS's own Alembic migrations (also when mounted in a host with its own)."""
from alembic import command
from alembic.config import Config

from .paths import MIGRATIONS_DIR


def alembic_config() -> Config:
    """An Alembic config pointing at the LMS migrations folder."""
    config = Config(str(MIGRATIONS_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def upgrade(revision: str = "head") -> None:
    """Upgrade the current app's database to `revision` (needs an app context)."""
    command.upgrade(alembic_config(), revision)
