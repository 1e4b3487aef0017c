"""Custom plans for the reports' statements on PostgreSQL; no Flask.

psycopg prepares a statement on the server after 5 runs and keeps it across committed
transactions; PostgreSQL may then switch to a generic plan, which for the big report
aggregates was ~10x slower (docs/PERFORMANCE.md, the 11th export). The officer's hot paths
gain from kept plans, so the app's connections use PostgreSQL's default (`auto`) and the
report transactions ask for a custom plan per execution instead.

They also turn JIT compilation off: the big aggregates' estimated costs pass PostgreSQL's
`jit_above_cost`, and compiling them took 95–147 ms per statement of a bureau's 通报 inside
a province, for no faster execution (docs/PERFORMANCE.md, province scale)."""
from sqlalchemy import text
from sqlalchemy.orm import Session

_LOCAL = text("SELECT set_config('plan_cache_mode', 'force_custom_plan', true), "
             "set_config('jit', 'off', true)")
_SESSION = text("SELECT set_config('plan_cache_mode', 'force_custom_plan', false), "
               "set_config('jit', 'off', false)")


def custom_plans(db: Session, whole_session: bool = False) -> None:
    """Plan every statement of the current transaction (or, `whole_session`, of the
    connection: a CLI run) for its own parameters, without JIT; nothing on other databases."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(_SESSION if whole_session else _LOCAL)
