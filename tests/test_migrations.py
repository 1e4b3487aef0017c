"""The migrations build exactly the schema the models describe, on both databases."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from lms.extension import ALEMBIC_VERSION_TABLE
from lms.models import Base


def test_models_and_migrations_do_not_drift(app):
    # The session's schema was built by `upgrade()` from the migrations (see conftest).
    with app.app_context():
        engine = app.extensions["lms"].db.engine
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={
                "compare_type": True, "version_table": ALEMBIC_VERSION_TABLE,
                "include_object": lambda obj, name, type_, reflected, compare_to:
                    type_ != "table" or name.startswith("lms_")})
            diff = compare_metadata(context, Base.metadata)
    assert diff == [], f"models and migrations differ; run `flask db migrate`: {diff}"
