"""The fixed cost under every request ("the floor"): req/s and app CPU per request of paths
that do no work — `/healthz`, and a 401 from the lesson API without a token — next to bare
Flask's hello, under gunicorn (2 sync workers, production settings) and wrk.

    .venv/bin/python bench/floor.py [--rounds 3] [--duration 5s] [--tree DIR ...]

Each `--tree` is a checkout of this repository (default: this one); trees are served in
turn, round after round, so a before/after comparison sees the same box state. CPU per
request is read from the gunicorn workers' /proc figures: on a shared box it is steadier
than req/s. Nothing is asserted; figures are printed.
"""
import argparse
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

from _common import ROOT, VENV_BIN, app_env, children_of, process_cpu

WRK = "/usr/bin/wrk"
PATHS = (("healthz", "/healthz"), ("api 401", "/api/v1/lessons/52"),
         ("css", "/static/lms/app.css"))


def _gunicorn() -> str:
    for candidate in (VENV_BIN / "gunicorn", os.path.join(os.path.dirname(sys.executable),
                                                           "gunicorn")):
        if os.path.exists(candidate):
            return str(candidate)
    return "gunicorn"


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def serve(tree: str, port: int, app: str):
    """gunicorn serving `app` from `tree`; returns the process (its own session)."""
    cmd = [_gunicorn(), "-w", "2", "-k", "sync", "-b", f"127.0.0.1:{port}",
           "--log-level", "warning", app]
    proc = subprocess.Popen(cmd, cwd=tree, env=app_env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 30
    while not _answers(f"http://127.0.0.1:{port}/healthz"):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"gunicorn for {tree} did not start")
        time.sleep(0.2)
    return proc


def stop(proc) -> None:
    """SIGTERM the arbiter, and wait."""
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def wrk(url: str, duration: str, workers: list[int]) -> tuple[float, float]:
    """(req/s, app CPU ms per request) of one wrk run at 2 threads × 32 connections."""
    before = process_cpu(workers)
    out = subprocess.run([WRK, "-t2", "-c32", f"-d{duration}", url], capture_output=True,
                         text=True, timeout=120).stdout
    cpu = process_cpu(workers) - before
    total = int(re.search(r"(\d+) requests in", out).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return rps, 1000 * cpu / max(1, total)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", action="append", help="a checkout to serve (repeatable)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", default="5s")
    parser.add_argument("--port", type=int, default=8897)
    parser.add_argument("--hello", action="store_true", help="also bare Flask's hello")
    args = parser.parse_args(argv)
    trees = args.tree or [str(ROOT)]
    results: dict = {}
    for rnd in range(args.rounds):
        targets = [(tree, "wsgi:app", PATHS) for tree in trees]
        if args.hello:
            targets.append((str(ROOT / "bench"), "_hello:app", (("hello", "/"),)))
        for tree, app, paths in targets:
            proc = serve(tree, args.port, app)
            try:
                workers = children_of(proc.pid)
                for _label, path in paths:  # warm-up
                    wrk(f"http://127.0.0.1:{args.port}{path}", "1s", workers)
                for label, path in paths:
                    rps, cpu = wrk(f"http://127.0.0.1:{args.port}{path}", args.duration, workers)
                    results.setdefault((tree, label), []).append((rps, cpu))
                    print(f"round {rnd + 1} {tree:<24} {label:<8} {rps:8.0f} req/s  "
                          f"app CPU {cpu:.3f} ms/req  (load {os.getloadavg()[0]:.2f})",
                          flush=True)
            finally:
                stop(proc)
    print("\nmedian over rounds:")
    for (tree, label), runs in results.items():
        rps = sorted(r for r, _ in runs)[len(runs) // 2]
        cpu = sorted(c for _, c in runs)[len(runs) // 2]
        print(f"  {tree:<24} {label:<8} {rps:8.0f} req/s  app CPU {cpu:.3f} ms/req")


if __name__ == "__main__":
    main()
