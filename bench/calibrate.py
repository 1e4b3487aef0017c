"""How fast this machine is right now: Flask "hello" JSON under gunicorn 2 sync workers.

    .venv/bin/python bench/calibrate.py [--duration 10s]

NOTES.md measured ~5,000 req/s (p99 ~10 ms) on a quiet machine. The box is shared, so every
bench run measures this first and docs/PERFORMANCE.md reads the other figures against it.
Same wrk settings and Lua overhead (bench/read.lua) as the lesson benchmarks.
"""
import argparse
import os
import signal
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from _common import BENCH_DIR, VENV_BIN, heading
from _wrk import cpu_line, latency_line, run_wrk
from serve import Server

PORT = 8812


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", default="10s")
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args(argv)
    heading(f"calibration: Flask hello JSON, gunicorn 2 sync workers, wrk {args.connections} "
            f"connections, {args.duration}")
    proc = subprocess.Popen([str(VENV_BIN / "gunicorn"), "-w", "2", "-k", "sync", "-b",
                             f"127.0.0.1:{PORT}", "--log-level", "warning", "_hello:app"],
                            cwd=BENCH_DIR, start_new_session=True)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{PORT}/", timeout=1).read()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise SystemExit("the hello app did not start") from None
                time.sleep(0.2)
        with tempfile.TemporaryDirectory() as tmp:
            values = Path(tmp) / "values.txt"
            values.write_text("none\n")
            figures = run_wrk(f"http://127.0.0.1:{PORT}", "read.lua",
                              ["/", "X-Bench", str(values)],
                              connections=args.connections, duration=args.duration,
                              server=Server(f"http://127.0.0.1:{PORT}", proc))
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    load = os.getloadavg()[0]
    print(f"  {figures['rps']:.0f} req/s (NOTES ceiling ~5,000), {latency_line(figures)}; "
          f"load average {load:.1f}")
    print(f"    {cpu_line(figures)}")
    figures["load"] = load
    return figures


if __name__ == "__main__":
    main()
