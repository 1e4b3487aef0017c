"""Shared pieces of the benchmark scripts: where things are, the bench database, bench users.

Benchmarks print figures; they never assert on time (DESIGN §6, docs/PERFORMANCE.md).
"""
import os
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python") if (VENV_BIN / "python").exists() else sys.executable
FLASK = [PYTHON, "-m", "flask", "--app", "wsgi"]

PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
DEFAULT_DB = os.environ.get("LMS_BENCH_DB", "lms_bench")  # a helper's own copy
# Bench accounts sign in with this; its argon2 hash is set directly in SQL by setup_db.py.
BENCH_PASSWORD = "bench-zhuhun-2026-load"


def database_url(dbname: str = DEFAULT_DB) -> str:
    """The app's DATABASE_URL for the bench database (trust auth on 127.0.0.1)."""
    return f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/{dbname}"


def conninfo(dbname: str = DEFAULT_DB) -> str:
    """A psycopg connection string for `dbname`."""
    return f"host={PG_HOST} port={PG_PORT} user={PG_USER} dbname={dbname}"


def connect(dbname: str = DEFAULT_DB, autocommit: bool = True):
    """A plain psycopg connection (no app) for setup and verification queries."""
    import psycopg
    return psycopg.connect(conninfo(dbname), autocommit=autocommit)


def app_env(dbname: str = DEFAULT_DB, **extra: str) -> dict:
    """The process environment for the app and its CLI against the bench database."""
    import secrets
    env = dict(os.environ)
    env.update({"DATABASE_URL": database_url(dbname), "LMS_ENV": "production",
                "SECRET_KEY": secrets.token_hex(32),
                "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
                "PYTHONUNBUFFERED": "1"})
    env.update(extra)
    return env


def bench_officers(conn, k: int) -> list[tuple[int, str]]:
    """(id, police_no) of `k` ordinary officers spread evenly over the roster.

    Deterministic, so setup_db.py (which gives them a password) and the load generators (which
    sign them in) pick the same accounts. The demo logins (000001–000010) are left alone.
    """
    rows = conn.execute(
        "SELECT id, police_no FROM lms_user WHERE is_officer AND active AND NOT is_admin "
        "AND NOT is_supervisor AND NOT is_trainer AND police_no NOT LIKE '0000__' "
        "ORDER BY id").fetchall()
    if len(rows) < k:
        raise SystemExit(f"only {len(rows)} officers in the bench database; need {k}")
    stride = len(rows) // k
    return [rows[i * stride] for i in range(k)]


@contextmanager
def timed(label: str, results: dict | None = None):
    """Print how long the block took (wall time)."""
    start = time.perf_counter()
    yield
    seconds = time.perf_counter() - start
    if results is not None:
        results[label] = seconds
    print(f"  {label:<44} {seconds:8.2f} s", flush=True)


def run(cmd: list[str], env: dict, quiet: bool = True) -> str:
    """Run a command in the repo root; exit with its output when it fails."""
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stdout.write(proc.stdout)
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}")
    if not quiet:
        sys.stdout.write(proc.stdout)
    return proc.stdout


def median_ms(samples: list[float]) -> float:
    """Median of seconds, in milliseconds."""
    return statistics.median(samples) * 1000


def heading(text: str) -> None:
    """A section heading in the printed output."""
    print(f"\n== {text} ==", flush=True)


def current_lesson(conn) -> tuple[int, int, str]:
    """(id, quiz_id, title) of this week's lesson: the latest published one released by now."""
    row = conn.execute(
        "SELECT id, quiz_id, title FROM lms_micro_lesson WHERE status = 'published' "
        "AND publish_at <= (now() AT TIME ZONE 'UTC') AND quiz_id IS NOT NULL "
        "ORDER BY publish_at DESC, issue_no DESC LIMIT 1").fetchone()
    if row is None:
        raise SystemExit("no released lesson in the bench database (run bench/setup_db.py)")
    return row


def answer_sets(conn, quiz_id: int) -> list[dict]:
    """Full answers to the quiz as an API client sends them: all right, and one wrong answer
    (so the mistakes book is written too)."""
    rows = conn.execute("SELECT id, kind, answer, options FROM lms_question "
                        "WHERE quiz_id = %s AND NOT retired ORDER BY position, id",
                        (quiz_id,)).fetchall()
    right = {}
    for qid, kind, answer, _options in rows:
        right[str(qid)] = answer[0] if kind == "fill_blank" else answer
    wrong = dict(right)
    for qid, kind, answer, options in rows:
        if kind == "single":
            wrong[str(qid)] = next(key for key, _ in options if key != answer)
            break
        if kind == "true_false":
            wrong[str(qid)] = not answer
            break
    return [right, right, right, wrong]


def cpu_idle(seconds: float = 2.0) -> float:
    """Share of CPU time idle over the next `seconds` (from /proc/stat)."""
    def sample():
        with open("/proc/stat") as fh:
            values = [int(v) for v in fh.readline().split()[1:]]
        return values[3] + values[4], sum(values)  # idle + iowait, total
    idle0, total0 = sample()
    time.sleep(seconds)
    idle1, total1 = sample()
    return (idle1 - idle0) / max(1, total1 - total0)


def wait_for_quiet(min_idle: float = 0.85, max_wait: float = 600.0) -> float:
    """Wait (bounded) until other work on this shared box leaves the CPUs mostly idle.

    Returns the idle share seen last; a benchmark that starts on a busy box says so.
    """
    deadline = time.monotonic() + max_wait
    idle = cpu_idle()
    while idle < min_idle and time.monotonic() < deadline:
        print(f"  (machine busy: {idle:.0%} idle; waiting for ≥ {min_idle:.0%})", flush=True)
        time.sleep(10)
        idle = cpu_idle()
    return idle


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu(pids) -> float:
    """CPU seconds (user + system) used so far by the processes, from /proc/<pid>/stat."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLOCK_TICKS


def children_of(pid: int) -> list[int]:
    """Direct child processes of `pid`."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    if int(fh.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.append(int(entry))
            except OSError:
                continue
    return out


def backend_pids(conn, dbname: str = DEFAULT_DB) -> list[int]:
    """PostgreSQL backends serving `dbname`, except this connection's own."""
    rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s "
                        "AND pid <> pg_backend_pid()", (dbname,)).fetchall()
    return [pid for (pid,) in rows]
