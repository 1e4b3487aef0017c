"""How fast this machine is right now: the ceilings DESIGN §6's targets are ratios of.

    .venv/bin/python bench/calibrate.py [--duration 10s] [--no-insert]

All under gunicorn 2 sync workers and the same wrk settings and Lua overhead
(bench/read.lua) as the load benchmarks: bare Flask "hello" JSON (NOTES.md ~5,000 req/s on
a quiet box), bare Flask doing one INSERT + COMMIT to the bench database per request
(NOTES.md ~1,100 req/s with expire_on_commit off), and bare Flask serving a signed-in HTML
page (cookie session, CSRF token, one SELECT by primary key, a Jinja page of the lesson
page's size: `_hello.py`). The box is shared, so every load figure is
printed beside the ceilings measured in the same run, as a ratio (`ratio_line`).
"""
import argparse
import os
import signal
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from _common import BENCH_DIR, DEFAULT_DB, VENV_BIN, connect, database_url, heading
from _wrk import cpu_line, latency_line, run_wrk
from serve import Server

PORT = 8812


def ceiling_table() -> None:
    """The INSERT ceiling's table in the bench database (emptied: it only grows)."""
    with connect() as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS bench_ceiling "
                     "(id serial PRIMARY KEY, at timestamp)")
        conn.execute("TRUNCATE bench_ceiling")
        conn.execute("INSERT INTO bench_ceiling (id, at) VALUES (0, now())")  # the page's row


def measure(path: str, connections: int, duration: str, env: dict) -> dict:
    """wrk against one route of the ceiling app under gunicorn."""
    proc = subprocess.Popen([str(VENV_BIN / "gunicorn"), "-w", "2", "-k", "sync", "-b",
                             f"127.0.0.1:{PORT}", "--log-level", "warning", "_hello:app"],
                            cwd=BENCH_DIR, start_new_session=True, env=env)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{PORT}/", timeout=1).read()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise SystemExit("the ceiling app did not start") from None
                time.sleep(0.2)
        header, value = "X-Bench", "none"
        if path == "/page":  # a signed-in session's cookie, as the lesson page's run sends
            with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/sign-in", timeout=5) as r:
                header, value = "Cookie", r.headers["Set-Cookie"].split(";", 1)[0]
        with tempfile.TemporaryDirectory() as tmp:
            values = Path(tmp) / "values.txt"
            values.write_text(f"{value}\n")
            return run_wrk(f"http://127.0.0.1:{PORT}", "read.lua",
                           [path, header, str(values)],
                           connections=connections, duration=duration,
                           server=Server(f"http://127.0.0.1:{PORT}", proc))
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", default="10s")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--no-insert", action="store_true",
                        help="the hello ceiling only (no bench database needed)")
    args = parser.parse_args(argv)
    heading(f"calibration: bare Flask ceilings, gunicorn 2 sync workers, wrk "
            f"{args.connections} connections, {args.duration}")
    env = dict(os.environ)
    out: dict = {}
    routes = [("hello", "/", "hello JSON (NOTES ~5,000)")]
    if not args.no_insert:
        ceiling_table()
        env["BENCH_DATABASE_URL"] = database_url(DEFAULT_DB)
        routes.append(("insert", "/insert", "one INSERT + COMMIT (NOTES ~1,100)"))
        routes.append(("page", "/page", "signed-in page: cookie session, CSRF token, one "
                                        "SELECT, a 12 KB Jinja page"))
    for key, path, label in routes:
        figures = measure(path, args.connections, args.duration, env)
        figures["load"] = os.getloadavg()[0]
        print(f"  {label}: {figures['rps']:.0f} req/s, {latency_line(figures)}; "
              f"non-2xx {int(figures['non2xx'])}; load average {figures['load']:.1f}")
        print(f"    {cpu_line(figures)}")
        out[key] = figures
    return out


def ratio_line(rps: float, ceilings: dict | None, key: str) -> str:
    """`rps` as a share of the ceiling `key` ("hello" or "insert") measured in this run."""
    if not ceilings or key not in ceilings or not ceilings[key].get("rps"):
        return ""
    ceiling = ceilings[key]["rps"]
    return f" = {rps / ceiling:.0%} of the {key} ceiling ({ceiling:.0f} req/s)"


if __name__ == "__main__":
    main()
