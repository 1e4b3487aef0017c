"""Run the app under gunicorn for a benchmark, the way README's deployment section does.

    with serving(port=8811) as base_url:
        ...  # drive http://127.0.0.1:8811

`-w 2 -k sync` on 127.0.0.1 (NOTES: 2 sync workers are best on 2 cores), LMS_ENV=production,
a random 64-hex SECRET_KEY, rate-limit storage in Redis. The server is stopped on exit, also
when the block raises. Run this file directly to serve until Ctrl-C.
"""
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager

from _common import DEFAULT_DB, ROOT, VENV_BIN, app_env, children_of

DEFAULT_PORT = 8811


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status < 500
    except urllib.error.HTTPError as error:
        return error.code < 500
    except OSError:
        return False


class Server:
    """A running gunicorn: its URL and its processes."""

    def __init__(self, url: str, proc: subprocess.Popen):
        self.url, self.proc = url, proc

    def worker_pids(self) -> list[int]:
        """The arbiter's worker processes."""
        return children_of(self.proc.pid)


@contextmanager
def serving(port: int = DEFAULT_PORT, dbname: str = DEFAULT_DB, workers: int = 2,
            startup_timeout: float = 30.0, log_path: str | None = None):
    """gunicorn serving the app on 127.0.0.1:`port`; yields a Server (`.url`)."""
    gunicorn = VENV_BIN / "gunicorn"
    cmd = [str(gunicorn) if gunicorn.exists() else "gunicorn", "-w", str(workers),
           "-k", "sync", "-b", f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"]
    log = open(log_path or os.devnull, "w")
    proc = subprocess.Popen(cmd, cwd=ROOT, env=app_env(dbname), stdout=log, stderr=log,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_timeout
        while not _answers(base + "/login"):
            if proc.poll() is not None:
                log.flush()
                tail = open(log_path).read()[-3000:] if log_path else "(no log kept)"
                raise RuntimeError(f"gunicorn exited with {proc.returncode}:\n{tail}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not answer on {base} in {startup_timeout} s")
            time.sleep(0.2)
        yield Server(base, proc)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # graceful: the arbiter stops its workers
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        log.close()


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_PORT
    with serving(port) as server:
        print(f"serving {server.url} (Ctrl-C to stop)")
        try:
            signal.pause()
        except KeyboardInterrupt:
            pass
