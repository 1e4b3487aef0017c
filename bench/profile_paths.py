"""Where a hot path's time goes: in-process requests, ms and SQL statements per request.

    .venv/bin/python bench/profile_paths.py [--n 300] [--path api|html|attempt|all]
                                            [--profile 25]

No server and no load generator: the Flask test client sends `--n` requests per path to the
app on the bench database (production settings), after a warm-up, rotating over the bench
officers. Statements are counted with a SQLAlchemy `before_cursor_execute` listener (each one
is a round trip to PostgreSQL; BEGIN/COMMIT are counted apart), and the CPU of the app's
PostgreSQL backends is read from `/proc` (the server on this box). `--profile N` prints
cProfile's top N functions by cumulative time for each path. The box is shared: ms vary with
its load (printed), statement counts do not.
"""
import argparse
import cProfile
import io
import os
import pstats
import secrets
import sys
import time

from _client import issue_tokens
from _common import DEFAULT_DB, ROOT, answer_sets, bench_officers, connect, current_lesson

PATHS = ("api", "html", "attempt")


def make_app(dbname: str):
    """The production app on the bench database, its engine instrumented."""
    sys.path.insert(0, str(ROOT))
    from _common import app_env
    os.environ.update(app_env(dbname))
    from sqlalchemy import event

    from lms import create_app
    app = create_app({"LMS_LOG_LEVEL": "WARNING"})
    counts = {"statements": 0, "commits": 0, "rollbacks": 0, "pings": 0, "last": []}
    with app.app_context():
        engine = app.extensions["lms"].db.engine
        ping = engine.dialect.do_ping

        def counted_ping(dbapi_connection):  # a pool pre-ping: a round trip too
            counts["pings"] += 1
            return ping(dbapi_connection)

        engine.dialect.do_ping = counted_ping

        @event.listens_for(engine, "before_cursor_execute")
        def _count(_conn, _cursor, statement, *_args):
            counts["statements"] += 1
            counts["last"].append(" ".join(statement.split())[:160])

        @event.listens_for(engine, "commit")
        def _commit(*_args):
            counts["commits"] += 1

        @event.listens_for(engine, "rollback")
        def _rollback(*_args):
            counts["rollbacks"] += 1

    return app, counts


def session_client(app, user_id: int):
    """A test client whose cookie session is signed in as `user_id`."""
    from lms.models import User
    with app.app_context():
        user = app.extensions["lms"].db.session.get(User, user_id)
        session_id = f"{user.id}:{user.session_version}"
    client = app.test_client()
    now = int(time.time())
    with client.session_transaction(base_url="https://localhost") as session:
        session.update({"_user_id": session_id, "_fresh": True, "lms_auth_at": now,
                        "lms_seen_at": now})
    return client


def requests_for(path: str, app, lesson_id: int, tokens, answers, clients):
    """A function sending the i-th request of `path`; returns its status."""
    base = "https://localhost"
    api = app.test_client()
    prefix = f"p{secrets.token_hex(3)}"
    if path == "api":
        return lambda i: api.get(f"/api/v1/lessons/{lesson_id}", base_url=base, headers={
            "Authorization": f"Bearer {tokens[i % len(tokens)]}"}).status_code
    if path == "html":
        return lambda i: clients[i % len(clients)].get(
            f"/lessons/{lesson_id}", base_url=base).status_code
    return lambda i: api.post(
        f"/api/v1/lessons/{lesson_id}/attempts", base_url=base,
        json={"idempotency_key": f"{prefix}-{i}", "answers": answers[i % len(answers)]},
        headers={"Authorization": f"Bearer {tokens[i % len(tokens)]}"}).status_code


def backend_cpu_seconds(dbname: str) -> float:
    """User + system CPU of every client backend on `dbname` but this one's (from `/proc`;
    0 when the server runs elsewhere)."""
    ticks = os.sysconf("SC_CLK_TCK")
    with connect(dbname) as conn:
        pids = [pid for (pid,) in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend'", (dbname,))]
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def measure(send, counts, n: int, profile_top: int, dbname: str) -> dict:
    """ms and statements per request over `n` requests (after `n // 10` warm-up ones)."""
    for i in range(max(5, n // 10)):
        send(i)
    start_pg = backend_cpu_seconds(dbname)
    counts["statements"] = counts["commits"] = counts["rollbacks"] = counts["pings"] = 0
    statuses: dict[int, int] = {}
    profiler = cProfile.Profile() if profile_top else None
    start_cpu, start = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    for i in range(n):
        counts["last"] = []
        status = send(i)
        statuses[status] = statuses.get(status, 0) + 1
    if profiler:
        profiler.disable()
    wall, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    pg_cpu = backend_cpu_seconds(dbname) - start_pg
    out = {"ms": wall / n * 1000, "cpu_ms": cpu / n * 1000, "pg_cpu_ms": pg_cpu / n * 1000,
           "statements": counts["statements"] / n, "commits": counts["commits"] / n,
           "rollbacks": counts["rollbacks"] / n, "pings": counts["pings"] / n,
           "statuses": statuses,
           "last_sql": list(counts["last"])}
    if profiler:
        buffer = io.StringIO()
        order = os.environ.get("PROFILE_SORT", "cumulative")  # or tottime
        pstats.Stats(profiler, stream=buffer).sort_stats(order).print_stats(profile_top)
        out["profile"] = buffer.getvalue()
    return out


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--users", type=int, default=64)
    parser.add_argument("--path", choices=(*PATHS, "all"), default="all")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="print cProfile's top N functions per path")
    parser.add_argument("--sql", action="store_true", help="print the last request's SQL")
    parser.add_argument("--db", default=DEFAULT_DB)
    args = parser.parse_args(argv)
    with connect(args.db) as conn:
        lesson_id, quiz_id, _title = current_lesson(conn)
        officers = bench_officers(conn, args.users)
        answers = answer_sets(conn, quiz_id)
    user_ids = [uid for uid, _ in officers]
    app, counts = make_app(args.db)
    tokens = issue_tokens([no for _, no in officers], args.db)
    clients = [session_client(app, uid) for uid in user_ids[:16]]
    print(f"in-process, lesson {lesson_id}, {args.n} requests per path, "
          f"load average {os.getloadavg()[0]:.1f}")
    results = {}
    for path in PATHS if args.path == "all" else (args.path,):
        send = requests_for(path, app, lesson_id, tokens, answers, clients)
        r = measure(send, counts, args.n, args.profile, args.db)
        results[path] = r
        print(f"  {path:<8} {r['ms']:6.2f} ms/request (CPU {r['cpu_ms']:.2f} ms + PostgreSQL "
              f"{r['pg_cpu_ms']:.2f} ms), "
              f"{r['statements']:.2f} statements + {r['commits']:.2f} commits + "
              f"{r['rollbacks']:.2f} rollbacks + {r['pings']:.2f} pings per request, "
              f"statuses {r['statuses']}")
        if args.sql:
            print("    " + "\n    ".join(r["last_sql"]))
        if r.get("profile"):
            print(r["profile"])
    return results


if __name__ == "__main__":
    main()
