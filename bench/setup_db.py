"""Build (or reuse) the PostgreSQL bench database at bureau scale and give bench users a password.

    .venv/bin/python bench/setup_db.py [--officers 30000] [--users 64] [--reuse] [--db lms_bench]

Steps, each with its wall time: DROP/CREATE DATABASE, `flask db upgrade`,
`lms sync-courses courses`, `lms demo --officers N`, VACUUM ANALYZE, then one argon2id hash
(the app's production parameters) set on K officers in SQL, so the load generators can fetch
K tokens without K slow hashes here.
"""
import argparse
import sys
import time

import psycopg
from _common import (
    BENCH_PASSWORD,
    DEFAULT_DB,
    FLASK,
    ROOT,
    app_env,
    bench_officers,
    connect,
    conninfo,
    heading,
    run,
    timed,
)
from psycopg import sql


def database_exists(name: str) -> bool:
    """Whether the database exists (asked on the maintenance database)."""
    with _maintenance() as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() \
            is not None


def has_demo_data(name: str) -> bool:
    """Whether the database already holds an org tree."""
    try:
        with connect(name) as conn:
            return bool(conn.execute("SELECT count(*) FROM lms_unit").fetchone()[0])
    except psycopg.Error:
        return False


def recreate(name: str) -> None:
    """DROP (forcing off other sessions) and CREATE the database."""
    with _maintenance() as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                     .format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _maintenance():
    """An autocommit connection to the `postgres` database (else `test`)."""
    for db in ("postgres", "test"):
        try:
            return psycopg.connect(conninfo(db), autocommit=True)
        except psycopg.OperationalError:
            continue
    raise SystemExit("cannot connect to PostgreSQL at 127.0.0.1:5432 as postgres")


def describe(name: str) -> dict:
    """Row counts of the main tables."""
    tables = ("lms_unit", "lms_user", "lms_micro_lesson", "lms_completion", "lms_points_ledger",
              "lms_attempt")
    with connect(name) as conn:
        return {t: conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(t)))
                .fetchone()[0] for t in tables}


def set_bench_passwords(name: str, k: int) -> list[str]:
    """One precomputed argon2id hash (production cost) on K officers; returns their numbers."""
    sys.path.insert(0, str(ROOT))
    from lms.config import DEFAULTS
    from lms.domain.org.passwords import Passwords
    start = time.perf_counter()
    password_hash = Passwords(**DEFAULTS["LMS_ARGON2"]).hash(BENCH_PASSWORD)
    print(f"  one argon2id hash {DEFAULTS['LMS_ARGON2']}: "
          f"{(time.perf_counter() - start) * 1000:.0f} ms")
    with connect(name) as conn:
        users = bench_officers(conn, k)
        conn.execute("UPDATE lms_user SET password_hash = %s, activation_hash = NULL, "
                     "activation_expires_at = NULL WHERE id = ANY(%s)",
                     (password_hash, [uid for uid, _ in users]))
    return [no for _, no in users]


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=DEFAULT_DB)
    parser.add_argument("--officers", type=int, default=30000)
    parser.add_argument("--users", type=int, default=64, help="bench accounts to give a password")
    parser.add_argument("--reuse", action="store_true",
                        help="keep an existing database that already has demo data")
    args = parser.parse_args(argv)
    heading(f"setup_db: {args.db}, {args.officers} officers, {args.users} bench users")
    times: dict[str, float] = {}
    if args.reuse and database_exists(args.db) and has_demo_data(args.db):
        print(f"  reusing {args.db} (--reuse): schema upgrade only")
        with timed("flask db upgrade", times):
            run(FLASK + ["db", "upgrade"], app_env(args.db))
    else:
        env = app_env(args.db)
        with timed("DROP/CREATE DATABASE", times):
            recreate(args.db)
        with timed("flask db upgrade", times):
            run(FLASK + ["db", "upgrade"], env)
        with timed("lms sync-courses courses", times):
            run(FLASK + ["lms", "sync-courses", "courses"], env)
        with timed(f"lms demo --officers {args.officers}", times):
            # The CLI refuses demo data under LMS_ENV=production (its logins' passwords are
            # in the source); the bench database is throwaway.
            out = run(FLASK + ["lms", "demo", "--officers", str(args.officers)],
                      {**env, "LMS_ENV": "development"})
        print("\n".join("    " + line for line in out.splitlines()
                        if line.startswith(("Units:", "Accounts:", "Lesson completions"))))
    # What autovacuum keeps a production server at: statistics after a bulk COPY, and on
    # reuse the earlier runs' rows visible to index-only scans. Some servers run with it off
    # (this CI machine's); there every reused run started from a dirtier table than the
    # last (on 2026-12-05 the sixth reused run measured attempts at 45 % of the INSERT, its
    # PostgreSQL at 0.94 ms per attempt against 0.78 earlier; 57 % after a 2-second VACUUM).
    with timed("VACUUM ANALYZE", times):
        with connect(args.db) as conn:
            conn.execute("VACUUM ANALYZE")
    counts = describe(args.db)
    print("  rows: " + ", ".join(f"{t.removeprefix('lms_')} {n:,}" for t, n in counts.items()))
    with timed(f"bench passwords on {args.users} officers", times):
        numbers = set_bench_passwords(args.db, args.users)
    print(f"  bench users: {numbers[0]} … {numbers[-1]} (password in bench/_common.py)")
    return {"times": times, "counts": counts}


if __name__ == "__main__":
    main()
