"""Run wrk with one of the bench Lua scripts and read back the figures its done() prints."""
import resource
import shutil
import subprocess

from _common import BENCH_DIR, ROOT, backend_pids, connect, process_cpu

WRK = shutil.which("wrk") or "/usr/bin/wrk"


def run_wrk(url: str, script: str, args: list[str], connections: int = 32, threads: int = 2,
            duration: str = "20s", timeout: str = "10s", server=None) -> dict:
    """wrk against `url`; returns the `BENCH key=value` figures (numbers as floats).

    With `server` (a serve.Server) it also meters CPU per request: the gunicorn workers, the
    app's PostgreSQL backends and wrk itself. On a shared box that is steadier than req/s,
    and 2,000 ms / (their sum) estimates req/s on two otherwise idle cores.
    """
    cmd = [WRK, f"-t{threads}", f"-c{connections}", f"-d{duration}", f"--timeout={timeout}",
           "-s", str(BENCH_DIR / script), url, "--", *args]
    if server is not None:
        with connect() as conn:
            db_before = {pid: process_cpu([pid]) for pid in backend_pids(conn)}
        app_pids = server.worker_pids()
        app_before = process_cpu(app_pids)
    wrk_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    wrk_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if server is not None:
        app_cpu = process_cpu(app_pids) - app_before
        with connect() as conn:
            db_cpu = sum(process_cpu([pid]) - db_before.get(pid, 0.0)
                         for pid in backend_pids(conn))
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
    n = max(1.0, figures["requests"])
    figures["cpu_wrk_ms"] = 1000 * ((wrk_after.ru_utime + wrk_after.ru_stime)
                                    - (wrk_before.ru_utime + wrk_before.ru_stime)) / n
    if server is not None:
        figures["cpu_app_ms"] = 1000 * app_cpu / n
        figures["cpu_db_ms"] = 1000 * db_cpu / n
        total = figures["cpu_app_ms"] + figures["cpu_db_ms"] + figures["cpu_wrk_ms"]
        figures["est_rps_2cores"] = 2000 / total if total else 0.0
    return figures


def cpu_line(figures: dict) -> str:
    """CPU per request and the two-idle-cores estimate."""
    if "cpu_app_ms" not in figures:
        return f"wrk {figures['cpu_wrk_ms']:.2f} ms CPU/req"
    return (f"CPU/req: app {figures['cpu_app_ms']:.2f} ms + PostgreSQL "
            f"{figures['cpu_db_ms']:.2f} ms + wrk {figures['cpu_wrk_ms']:.2f} ms "
            f"→ ≈ {figures['est_rps_2cores']:.0f} req/s on 2 idle cores")


def latency_line(figures: dict) -> str:
    """p50/p95/p99/max in one line."""
    return (f"p50 {figures['p50_ms']:.1f} ms, p95 {figures['p95_ms']:.1f} ms, "
            f"p99 {figures['p99_ms']:.1f} ms, max {figures['max_ms']:.0f} ms")


def socket_errors(figures: dict) -> int:
    """wrk's connect/read/write/timeout errors."""
    return int(sum(figures.get(k, 0) for k in ("err_connect", "err_read", "err_write",
                                               "err_timeout")))
