"""Where `flask lms demo` spends its time: wall and this process's CPU per phase.

    .venv/bin/python bench/demo_phases.py --db lms_demo_phases [--officers 30000] [--keep]

Recreates the database (schema, shipped courses), then runs `lms demo` in this process with
timers around its phases. Wall minus CPU is time spent waiting, mostly on PostgreSQL. The
timers are wrappers set here; the demo code itself is not changed. Prints figures only.
"""
import argparse
import functools
import os
import sys
import time
from collections import defaultdict

from _common import FLASK, ROOT, app_env, heading, run, timed
from setup_db import describe, recreate

TOTALS: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
DEPTH = [0]


def _timer(label):
    def wrap(fn):
        @functools.wraps(fn)
        def inner(*args, **kwargs):
            name = label(*args, **kwargs) if callable(label) else label
            wall, cpu = time.perf_counter(), time.process_time()
            DEPTH[0] += 1
            try:
                return fn(*args, **kwargs)
            finally:
                DEPTH[0] -= 1
                entry = TOTALS["  " * DEPTH[0] + name]
                entry[0] += time.perf_counter() - wall
                entry[1] += time.process_time() - cpu
                entry[2] += 1
        return inner
    return wrap


def _patch(module, name, label=None):
    setattr(module, name, _timer(label or f"{module.__name__.rsplit('.', 1)[-1]}.{name}")(
        getattr(module, name)))


def instrument() -> None:
    """Wrap the demo's phases (module attributes, so callers pick the wrappers up)."""
    sys.path.insert(0, str(ROOT))
    from lms.domain.demo import activity, answers, bulk, bureau, classrooms, history, orgtree
    from lms.domain.org import membership
    from lms.domain.reminders import escalation, inbox
    from lms.domain.reports import unitstats
    _patch(bureau, "build")
    _patch(orgtree, "insert_units")
    _patch(membership, "start")
    _patch(bureau, "_leave")
    _patch(history, "build")
    _patch(history, "ensure_weekly_lessons")
    _patch(answers, "Sheets")
    _patch(history._Book, "write")
    _patch(bulk, "insert",
           lambda db, model, *a, **k: f"bulk.insert {getattr(model, '__tablename__', model)}")
    original = bulk.loading

    def loading(db, model):
        cm = original(db, model)

        class Timed:
            def __enter__(self):
                return _timer(f"before load {model.__tablename__}")(cm.__enter__)()

            def __exit__(self, *exc):
                return _timer(f"keys+indexes {model.__tablename__}")(cm.__exit__)(*exc)
        return Timed()
    bulk.loading = loading
    _patch(bulk, "lock_for_loading")
    _patch(bulk, "_check_foreign_key", lambda db, table, key: f"check {key.name}")
    _patch(unitstats, "rebuild")
    _patch(classrooms, "build")
    _patch(activity, "record")
    _patch(activity, "_last_sign_ins")
    _patch(escalation, "plan_step")
    _patch(inbox, "store")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--officers", type=int, default=30000)
    parser.add_argument("--weeks", type=int, default=52)
    args = parser.parse_args(argv)
    heading(f"demo phases: {args.db}, {args.officers} officers")
    env = app_env(args.db)
    with timed("DROP/CREATE DATABASE"):
        recreate(args.db)
    with timed("flask db upgrade"):
        run(FLASK + ["db", "upgrade"], env)
    with timed("lms sync-courses courses"):
        run(FLASK + ["lms", "sync-courses", "courses"], env)
    os.environ.update({**env, "LMS_ENV": "development"})
    instrument()
    from lms import create_app
    from lms.domain.demo import bureau
    app = create_app()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    result = app.test_cli_runner().invoke(
        args=["lms", "demo", "--officers", str(args.officers), "--weeks", str(args.weeks)])
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    if result.exit_code:
        print(result.output)
        raise SystemExit(result.exception)
    print(f"  {'phase':<44} {'wall s':>8} {'cpu s':>8} {'calls':>6}")
    for name, (w, c, n) in TOTALS.items():
        print(f"  {name:<44} {w:8.2f} {c:8.2f} {n:6d}")
    build = TOTALS["bureau.build"][0]
    print(f"  {'commit + ANALYZE + hash (outside build)':<44} {wall - build:8.2f}")
    print(f"  {'lms demo in all':<44} {wall:8.2f} {cpu:8.2f}")
    print("  rows: " + ", ".join(f"{t.removeprefix('lms_')} {n:,}"
                                 for t, n in describe(args.db).items()))
    _ = bureau


if __name__ == "__main__":
    main()
