"""Quiz attempts under load: attempts/s and latency at 32 connections, checked against the database.

    .venv/bin/python bench/attempts.py [--users 1024] [--duration 20s] [--connections 32]

Starts gunicorn (bench/serve.py) on the bench database, issues a token for each of `--users`
officers spread over the roster (1,024: a few attempts each in a run, as officers make a few
per lesson; 64 officers passing a hundred times each measured their own completion and
summary rows' update chains and lock waits, docs/PERFORMANCE.md), then runs wrk with
bench/attempt.lua twice: every request a full attempt (POST), and "fetch the lesson, then
submit" (GET and POST alternately). After each run the database must hold exactly one
Attempt row per 2xx answer, plus at most one per connection for requests still in flight
when wrk stopped; none lost (every returned id is stored) and none doubled (one row per key;
the completion's attempt counter moved by the same number). Last, an idempotency storm: 8
concurrent copies of one key must leave one row.
"""
import argparse
import json
import secrets
import tempfile
import threading
import time
from pathlib import Path

import calibrate
from _client import Http, credentials
from _common import DEFAULT_DB, answer_sets, bench_officers, connect, current_lesson, heading
from _wrk import cpu_line, latency_line, run_wrk, socket_errors
from calibrate import ratio_line
from serve import DEFAULT_PORT, serving


def _db_state(conn, prefix: str, lesson_id: int, user_ids: list[int]) -> dict:
    rows = conn.execute("SELECT id, idempotency_key FROM lms_attempt "
                        "WHERE idempotency_key LIKE %s", (prefix + "-%",)).fetchall()
    attempts_counter = conn.execute(
        "SELECT coalesce(sum(attempts), 0) FROM lms_completion WHERE item_type = 'lesson' "
        "AND item_id = %s AND user_id = ANY(%s)", (lesson_id, user_ids)).fetchone()[0]
    return {"ids": {row[0] for row in rows}, "keys": len({row[1] for row in rows}),
            "rows": len(rows), "counter": int(attempts_counter)}


def load_run(server, mode: str, work: Path, lesson_id: int, user_ids: list[int],
             connections: int, duration: str) -> dict:
    """One wrk run of bench/attempt.lua and its reconciliation with the database."""
    prefix = f"b{secrets.token_hex(4)}{mode[0]}"
    ids_file = work / f"ids-{prefix}.txt"
    with connect() as conn:
        before = _db_state(conn, prefix, lesson_id, user_ids)
        figures = run_wrk(server.url, "attempt.lua",
                          [str(work / "tokens.txt"), str(lesson_id), str(work / "answers.txt"),
                           prefix, mode, str(ids_file)],
                          connections=connections, duration=duration, server=server)
        # Let requests in flight when wrk stopped finish on the server: at least as long as
        # the slowest answer took, else on a loaded box they commit after the count below and
        # land in the next run's window (its completion counter moves more than its rows).
        time.sleep(max(1.0, figures.get("max_ms", 0) / 1000 + 1.0))
        after = _db_state(conn, prefix, lesson_id, user_ids)
    returned = [int(line) for line in ids_file.read_text().split()]
    rows = after["rows"] - before["rows"]
    ok = int(figures["ok_post"])
    check = {
        "rows": rows, "ok_post": ok,
        "distinct_returned": len(set(returned)),
        "returned_missing_in_db": len(set(returned) - after["ids"]),
        "rows_not_answered": rows - ok,  # committed, but wrk had stopped listening
        "one_row_per_key": after["keys"] == after["rows"],
        "completion_counter_delta": after["counter"] - before["counter"],
    }
    check["consistent"] = (check["distinct_returned"] == ok
                           and check["returned_missing_in_db"] == 0
                           and 0 <= check["rows_not_answered"] <= connections
                           and check["one_row_per_key"]
                           and check["completion_counter_delta"] == rows)
    figures["attempts_per_s"] = ok / figures["seconds"]
    return {"mode": mode, "figures": figures, "check": check}


def storm(base: str, token: str, lesson_id: int, answers: dict, copies: int = 8) -> dict:
    """`copies` simultaneous submissions with one idempotency key: one row, one attempt id."""
    key = f"storm-{secrets.token_hex(6)}"
    barrier = threading.Barrier(copies)
    results: list = [None] * copies
    clients = [Http(base) for _ in range(copies)]
    for client in clients:  # open the connections first so the copies leave together
        client.json("GET", f"/api/v1/lessons/{lesson_id}", token=token)

    def submit(n: int) -> None:
        barrier.wait()
        results[n] = clients[n].json("POST", f"/api/v1/lessons/{lesson_id}/attempts",
                                     {"answers": answers, "idempotency_key": key}, token=token)

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(copies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for client in clients:
        client.close()
    with connect() as conn:
        rows = conn.execute("SELECT count(*) FROM lms_attempt WHERE idempotency_key = %s",
                            (key,)).fetchone()[0]
    statuses = sorted(status for status, _ in results)
    ids = {body.get("attempt_id") for status, body in results if status == 201}
    return {"statuses": statuses, "attempt_ids": len(ids), "rows": rows,
            "ok": rows == 1 and len(ids) == 1 and statuses == [201] * copies}


def main(argv=None, ceilings: dict | None = None) -> dict:
    """`ceilings`: calibrate.main()'s figures from this run (else measured here first)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1024)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", default="20s")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    args = parser.parse_args(argv)
    if ceilings is None:
        ceilings = calibrate.main([])
    heading(f"attempts: gunicorn 2 sync workers, wrk {args.connections} connections, "
            f"{args.duration}")
    with connect() as conn:
        lesson_id, quiz_id, title = current_lesson(conn)
        users = bench_officers(conn, args.users)
        answers = answer_sets(conn, quiz_id)
    print(f"  lesson {lesson_id} «{title}», {len(answers[0])} questions")
    out: dict = {"lesson_id": lesson_id, "ceilings": ceilings}
    with tempfile.TemporaryDirectory(prefix="lms-bench-") as tmp, \
            serving(args.port, DEFAULT_DB, log_path=str(Path(tmp) / "gunicorn.log")) as server:
        work, base = Path(tmp), server.url
        tokens, seconds = credentials("token", base, [no for _, no in users], DEFAULT_DB)
        print(f"  {len(tokens)} tokens " + ("from the cache" if seconds is None else
              f"in {seconds:.1f} s (one argon2id verification each, 4 at a time)"))
        out["token_fetch_s"] = seconds
        (work / "tokens.txt").write_text("\n".join(tokens) + "\n")
        (work / "answers.txt").write_text(
            "\n".join(json.dumps(a, ensure_ascii=False, separators=(",", ":"))
                      for a in answers) + "\n")
        client = Http(base)
        status, _ = client.json("GET", f"/api/v1/lessons/{lesson_id}", token=tokens[0])
        client.close()
        if status != 200:
            raise SystemExit(f"GET /api/v1/lessons/{lesson_id} answered {status}")
        user_ids = [uid for uid, _ in users]
        for mode, label in (("submit", "POST attempt"),
                            ("fetch_submit", "GET lesson + POST attempt")):
            run = load_run(server, mode, work, lesson_id, user_ids, args.connections,
                           args.duration)
            f, c = run["figures"], run["check"]
            print(f"  {label}: {f['attempts_per_s']:.0f} attempts/s "
                  f"{ratio_line(f['attempts_per_s'], ceilings, 'insert')} "
                  f"({f['rps']:.0f} req/s), {latency_line(f)}; "
                  f"non-2xx {int(f['non2xx'])}, socket errors {socket_errors(f)}")
            print(f"    {cpu_line(f)}")
            if f["notes"]:
                print(f"    non-2xx: {f['notes'][:300]}")
            print(f"    DB: {c['rows']} new Attempt rows for {c['ok_post']} 2xx answers "
                  f"(+{c['rows_not_answered']} in flight when wrk stopped), "
                  f"{c['distinct_returned']} distinct ids returned, "
                  f"{c['returned_missing_in_db']} missing, one row per key: "
                  f"{c['one_row_per_key']}, completion counter +{c['completion_counter_delta']}"
                  f" → {'consistent' if c['consistent'] else 'INCONSISTENT'}")
            out[mode] = run
        storms = [storm(base, tokens[n], lesson_id, answers[0]) for n in range(5)]
        good = sum(s["ok"] for s in storms)
        print(f"  idempotency storm: 8 concurrent copies of one key, 5 keys → rows per key "
              f"{[s['rows'] for s in storms]}, statuses {storms[0]['statuses']}, "
              f"{good}/5 with exactly one row and one attempt id")
        out["storm"] = storms
    return out


if __name__ == "__main__":
    main()
