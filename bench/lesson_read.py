"""Reading this week's lesson under load: the JSON API (bearer tokens) and the officer's HTML page.

    .venv/bin/python bench/lesson_read.py [--users 64] [--sessions 16] [--duration 20s]

Starts gunicorn (bench/serve.py), then wrk with bench/read.lua at 32 connections:
GET /api/v1/lessons/<id> with the bench users' tokens, and GET /lessons/<id> (the page an
officer opens in the messaging app) with session cookies from signing in through the real
form (CSRF token included). Showing the HTML page also opens, or reuses, the officer's
attempt and commits, exactly as in production.
"""
import argparse
import tempfile
from pathlib import Path

import calibrate
from _client import Http, credentials
from _common import DEFAULT_DB, bench_officers, connect, current_lesson, heading
from _wrk import cpu_line, latency_line, run_wrk, socket_errors
from calibrate import ratio_line
from serve import DEFAULT_PORT, serving


def main(argv=None, ceilings: dict | None = None) -> dict:
    """`ceilings`: calibrate.main()'s figures from this run (else measured here first)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=64, help="bearer tokens to rotate")
    parser.add_argument("--sessions", type=int, default=16, help="signed-in officers to rotate")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", default="20s")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    args = parser.parse_args(argv)
    if ceilings is None:
        ceilings = calibrate.main([])  # hello, and the signed-in page (the bench database)
    heading(f"lesson reads: gunicorn 2 sync workers, wrk {args.connections} connections, "
            f"{args.duration}")
    with connect() as conn:
        lesson_id, _quiz_id, title = current_lesson(conn)
        users = bench_officers(conn, args.users)
    numbers = [no for _, no in users]
    out: dict = {"lesson_id": lesson_id, "ceilings": ceilings}
    with tempfile.TemporaryDirectory(prefix="lms-bench-") as tmp, \
            serving(args.port, DEFAULT_DB, log_path=str(Path(tmp) / "gunicorn.log")) as server:
        work, base = Path(tmp), server.url
        tokens, seconds = credentials("token", base, numbers, DEFAULT_DB)
        print(f"  lesson {lesson_id} «{title}»; {len(tokens)} tokens "
              + ("from the cache" if seconds is None else f"in {seconds:.1f} s"))
        (work / "bearer.txt").write_text("".join(f"Bearer {t}\n" for t in tokens))

        runs = (("api", f"/api/v1/lessons/{lesson_id}", "Authorization", "bearer.txt",
                 "GET /api/v1/lessons/<id> (token)"),
                ("html", f"/lessons/{lesson_id}", "Cookie", "cookies.txt",
                 "GET /lessons/<id> HTML (session)"))
        for key, path, header, values, label in runs:
            if key == "html":
                out["sign_in_s"] = sign_in_for_page(base, work, lesson_id,
                                                    numbers[:args.sessions], out)
            figures = run_wrk(base, "read.lua", [path, header, str(work / values)],
                              connections=args.connections, duration=args.duration,
                              server=server)
            ceiling = ratio_line(figures['rps'], ceilings, 'hello')
            if key == "html":
                ceiling += ratio_line(figures['rps'], ceilings, 'page').replace(" =", ";", 1)
            print(f"  {label}: {figures['rps']:.0f} req/s{ceiling}, {latency_line(figures)}; "
                  f"{figures['bytes_per_req']:.0f} B/response; non-2xx "
                  f"{int(figures['non2xx'])}, socket errors {socket_errors(figures)}")
            print(f"    {cpu_line(figures)}")
            if figures["notes"]:
                print(f"    non-2xx: {figures['notes']}")
            out[key] = figures
    return out


def sign_in_for_page(base: str, work: Path, lesson_id: int, numbers: list[str],
                     out: dict) -> float | None:
    """Session cookies for the page's run, signed in just before it: a browser takes the
    cookie each 30-second refresh of the session's last-seen time sends, wrk keeps sending
    the first, so a run starting later than that would refresh (sign and re-send) the
    session on every request instead of twice a minute per officer."""
    cookies, seconds = credentials("cookie", base, numbers, DEFAULT_DB)
    print(f"  {len(cookies)} officers signed in through the form "
          + ("(cookies from the cache)" if seconds is None else f"in {seconds:.1f} s"))
    (work / "cookies.txt").write_text("".join(f"{c}\n" for c in cookies))
    client = Http(base)
    status, _, page = client.request("GET", f"/lessons/{lesson_id}",
                                     headers={"Cookie": cookies[0]})
    client.close()
    if status != 200 or b"<form" not in page:
        raise SystemExit(f"GET /lessons/{lesson_id} with a session answered {status}")
    out["html_bytes"] = len(page)
    return seconds


if __name__ == "__main__":
    main()
