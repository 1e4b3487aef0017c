"""Instructions per request of a path that needs no database work, counted by valgrind:
the same figure on a busy box as on an idle one, so before/after compares exactly.

    .venv/bin/python bench/instructions.py [--tree DIR] [--n 1000] /healthz /api/v1/lessons/52 hello

Each path runs twice under `valgrind --tool=callgrind` (the app built on the bench database
with production settings, the WSGI app called directly with a prebuilt environ, 50 warm-up
requests): with `--n` requests and with none; the difference divided by `--n` is the cost
of one request, start-up excluded. `hello` is bare Flask (bench/_hello.py). Needs valgrind;
a run takes one to three minutes per path. Nothing is asserted; figures are printed.
"""
import argparse
import os
import re
import subprocess
import sys

from _common import BENCH_DIR, ROOT, app_env


def _serve_requests(path: str, n: int) -> None:
    """The child: build the app, send 50 + n requests to `path` in-process."""
    sys.path[:0] = [os.getcwd(), str(BENCH_DIR)]
    os.environ.update(app_env(), SECRET_KEY="k" * 64)  # a fixed key: the same work each run
    from werkzeug.test import EnvironBuilder
    if path == "hello":
        from _hello import app
        path = "/"
    else:
        from lms import create_app
        app = create_app({"LMS_LOG_LEVEL": "WARNING"})
    import logging
    logging.disable(logging.WARNING)
    environ = EnvironBuilder(path=path, base_url="http://127.0.0.1:8897",
                             headers={"User-Agent": "wrk"}).get_environ()
    environ["RAW_URI"] = path  # as gunicorn passes it

    def start_response(*_args):
        return None

    for _ in range(50 + n):
        body = app(dict(environ), start_response)
        for _chunk in body:
            pass
        body.close()


def count(tree: str, path: str, n: int) -> int:
    """Instructions of one child run."""
    out = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
         __file__, "--child", path, str(n)], cwd=tree, capture_output=True, text=True,
        env={**os.environ, "PYTHONHASHSEED": "0"}, timeout=1800)
    found = re.search(r"Collected\s*:\s*(\d+)", out.stderr)
    if found is None:
        raise RuntimeError(out.stderr[-2000:])
    return int(found.group(1))


def main(argv=None) -> None:
    if argv is None and len(sys.argv) > 1 and sys.argv[1] == "--child":
        _serve_requests(sys.argv[2], int(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--tree", default=str(ROOT), help="the checkout to measure")
    parser.add_argument("--n", type=int, default=1000)
    args = parser.parse_args(argv)
    for path in args.paths:
        per_request = (count(args.tree, path, args.n) - count(args.tree, path, 0)) / args.n
        print(f"{args.tree}  {path:<24} {per_request:12,.0f} instructions/request", flush=True)


if __name__ == "__main__":
    main()
