"""Run wrk with one of the bench Lua scripts and read back the figures its done() prints."""
import shutil
import subprocess

from _common import BENCH_DIR, ROOT

WRK = shutil.which("wrk") or "/usr/bin/wrk"


def run_wrk(url: str, script: str, args: list[str], connections: int = 32, threads: int = 2,
            duration: str = "20s", timeout: str = "10s") -> dict:
    """wrk against `url`; returns the `BENCH key=value` figures (numbers as floats)."""
    cmd = [WRK, f"-t{threads}", f"-c{connections}", f"-d{duration}", f"--timeout={timeout}",
           "-s", str(BENCH_DIR / script), url, "--", *args]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    figures: dict = {"notes": ""}
    for line in proc.stdout.splitlines():
        if line.startswith("BENCH "):
            for pair in line.split()[1:]:
                key, _, value = pair.partition("=")
                figures[key] = float(value)
        elif line.startswith("BENCH_NON2XX"):
            figures["notes"] += line.partition(" ")[2]
    if proc.returncode != 0 or "requests" not in figures:
        raise RuntimeError(f"wrk failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return figures


def latency_line(figures: dict) -> str:
    """p50/p95/p99/max in one line."""
    return (f"p50 {figures['p50_ms']:.1f} ms, p95 {figures['p95_ms']:.1f} ms, "
            f"p99 {figures['p99_ms']:.1f} ms, max {figures['max_ms']:.0f} ms")


def socket_errors(figures: dict) -> int:
    """wrk's connect/read/write/timeout errors."""
    return int(sum(figures.get(k, 0) for k in ("err_connect", "err_read", "err_write",
                                               "err_timeout")))
