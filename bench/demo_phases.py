"""Where `flask lms demo` spends its time: wall, this process's CPU and its PostgreSQL
backend's CPU (from /proc: run it on the database's machine) per phase.

    .venv/bin/python bench/demo_phases.py --db lms_demo_phases [--officers 30000] [--keep]

Recreates the database (schema, shipped courses), then runs `lms demo` in this process with
timers around its phases. Wall minus CPU is time spent waiting, mostly on PostgreSQL. The
timers are wrappers set here; the demo code itself is not changed. CPU figures hold on a
busy box, wall figures do not (read the load average printed). Prints figures only.
"""
import argparse
import functools
import os
import sys
import threading
import time
from collections import defaultdict

from _common import FLASK, ROOT, app_env, heading, run, timed
from setup_db import describe, recreate

TOTALS: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0, 0])
# Nesting per thread: the one other thread, history's writer, runs inside history.build
# (two levels down), so its phases print under it.
DEPTH = threading.local()
BACKEND = [0]  # the demo session's PostgreSQL backend process


def _backend_cpu() -> float:
    """CPU seconds of the demo's PostgreSQL backend so far (same machine: /proc)."""
    if not BACKEND[0]:
        return 0.0
    try:
        with open(f"/proc/{BACKEND[0]}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _timer(label):
    def wrap(fn):
        @functools.wraps(fn)
        def inner(*args, **kwargs):
            name = label(*args, **kwargs) if callable(label) else label
            wall, cpu, server = time.perf_counter(), time.process_time(), _backend_cpu()
            depth = getattr(DEPTH, "n", 0 if threading.current_thread() is
                            threading.main_thread() else 2)
            DEPTH.n = depth + 1
            try:
                return fn(*args, **kwargs)
            finally:
                DEPTH.n = depth
                entry = TOTALS["  " * depth + name]
                entry[0] += time.perf_counter() - wall
                entry[1] += time.process_time() - cpu
                entry[2] += _backend_cpu() - server
                entry[3] += 1
        return inner
    return wrap


def _patch(module, name, label=None):
    setattr(module, name, _timer(label or f"{module.__name__.rsplit('.', 1)[-1]}.{name}")(
        getattr(module, name)))


def instrument() -> None:
    """Wrap the demo's phases (module attributes, so callers pick the wrappers up)."""
    sys.path.insert(0, str(ROOT))
    from lms.domain.demo import (
        activity,
        answers,
        bulk,
        bureau,
        classrooms,
        history,
        historyrows,
        orgtree,
    )
    from lms.domain.org import membership
    from lms.domain.reminders import escalation, inbox
    from lms.domain.reports import unitstats
    _patch(bureau, "build")
    check_empty = bureau.check_empty

    def find_backend(db, officers):
        BACKEND[0] = db.connection().connection.driver_connection.info.backend_pid
        return check_empty(db, officers)
    bureau.check_empty = find_backend
    _patch(orgtree, "insert_units")
    _patch(membership, "start")
    _patch(bureau, "_leave")
    _patch(history, "build")
    _patch(history, "ensure_weekly_lessons")
    _patch(answers, "Sheets")
    _patch(historyrows, "_send", "historyrows._send (the writer thread, per chunk)")
    _patch(bulk, "pack", lambda table, *a: f"bulk.pack {table} (deciding thread)")
    _patch(bulk, "copy_packed", lambda db, packed: f"bulk.copy {packed.table}")
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
    heading(f"demo phases: {args.db}, {args.officers} officers, "
            f"load average {os.getloadavg()[0]:.1f}")
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
    print(f"  {'phase':<48} {'wall s':>7} {'cpu s':>7} {'pg cpu':>7} {'calls':>5}")
    for name, (w, c, p, n) in TOTALS.items():
        print(f"  {name:<48} {w:7.2f} {c:7.2f} {p:7.2f} {n:5d}")
    build = TOTALS["bureau.build"][0]
    print(f"  {'commit + ANALYZE + hash (outside build)':<48} {wall - build:7.2f}")
    print(f"  {'lms demo in all':<48} {wall:7.2f} {cpu:7.2f} {_backend_cpu():7.2f}")
    print(f"  load average at the end {os.getloadavg()[0]:.1f}")
    print("  rows: " + ", ".join(f"{t.removeprefix('lms_')} {n:,}"
                                 for t, n in describe(args.db).items()))
    _ = bureau


if __name__ == "__main__":
    main()
