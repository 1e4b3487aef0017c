"""Supervision reports at bureau scale: server-side time, median of 7 runs after 1 warm-up.

    .venv/bin/python bench/reports.py [--runs 7] [--explain]

In-process (app context on the bench database, no network). Each case is timed twice: the
domain call alone (what DESIGN §6's targets are about: the SQL and the Python around it, in
a fresh transaction), and the whole request through the Flask test client (signed in as the
demo admin 000001; the report API with a bearer token), which adds scope checks, the page's
other queries, template rendering or the XLSX file, and the export's audit row.

When a case misses its target, or with --explain, the slowest SQL statement of one run is
shown with EXPLAIN (ANALYZE, BUFFERS).
"""
import argparse
import os
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from _common import DEFAULT_DB, ROOT, database_url, heading

RUNS, WARMUP = 7, 1


@dataclass
class Case:
    """One report: its domain call, the request that shows it, and its target."""

    label: str
    domain: Callable[[], object]
    path: str | None
    target_ms: float | None = None
    token: bool = False
    results: dict = field(default_factory=dict)


class SqlLog:
    """Statements executed while active, each with its time (for query counts and EXPLAIN)."""

    def __init__(self, engine):
        from sqlalchemy import event
        self.active, self.statements = False, []
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, parameters, context, many):
        context._bench_start = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, many):
        if self.active:
            self.statements.append((time.perf_counter() - context._bench_start, statement,
                                    parameters))

    def __enter__(self):
        self.active, self.statements = True, []
        return self

    def __exit__(self, *exc):
        self.active = False


def make_app():
    """The app on the bench database, as production configures it (CSRF off for the form)."""
    os.environ.update({"DATABASE_URL": database_url(DEFAULT_DB), "LMS_ENV": "production",
                       "SECRET_KEY": secrets.token_hex(32),
                       "RATELIMIT_STORAGE_URI": "memory://",
                       "LMS_SINGLE_PROCESS": "1"})  # one process here: memory:// counters
    sys.path.insert(0, str(ROOT))
    from lms import create_app
    return create_app({"WTF_CSRF_ENABLED": False})


def measure(function: Callable[[], object], runs: int) -> list[float]:
    """Seconds per call: one warm-up, then `runs` timed calls."""
    for _ in range(WARMUP):
        function()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return samples


def build_cases(app, db):
    """The report cases on the bench data, as the supervision pages call them."""
    from sqlalchemy import select

    from lms.domain import clock
    from lms.domain.reports import exports, inspection, periods, plans, rollup
    from lms.models import MicroLesson, Unit

    tz, now = app.config["LMS_TIMEZONE"], clock.utcnow()
    quarter = periods.quarter_of(periods.local_today(now, tz), tz)
    root = db.scalar(select(Unit).where(Unit.parent_id.is_(None)).order_by(Unit.id))
    # At province scale (`lms demo --officers 300000`) the root is the province: the bureau
    # cases run on its first bureau, and the province gets its own quarter case.
    bureau = root if root.kind != "province" else db.scalar(
        select(Unit).where(Unit.parent_id == root.id, Unit.kind == "bureau")
        .order_by(Unit.id).limit(1))
    county = db.scalar(select(Unit).where(Unit.parent_id == bureau.id, Unit.kind == "county")
                       .order_by(Unit.code).limit(1))
    branch = db.scalar(select(Unit).where(Unit.kind == "branch",
                                          Unit.path.startswith(county.path))
                       .order_by(Unit.code).limit(1))
    lesson_id = db.scalar(select(MicroLesson.id).where(MicroLesson.status == "published",
                                                       MicroLesson.due_at < now)
                          .order_by(MicroLesson.due_at.desc()).limit(1))
    lesson = rollup.find_lesson(db, lesson_id)
    by_quarter = rollup.Selection(period=quarter)
    by_lesson = rollup.Selection(lesson=lesson)

    def done(value):
        db.rollback()  # each run in its own transaction, as a request would be
        plans.custom_plans(db)  # the next one planned as the report views plan theirs
        return value

    def dashboard_domain(unit):
        def run():
            report = rollup.completion_by_child(db, unit, by_quarter, now)
            weeks = [w for w in periods.weeks_in(quarter, tz) if w.start <= now]
            rollup.weekly(report, weeks)
            rollup.officers_of(db, unit, by_quarter, now)
            return done(report)
        return run

    def tongbao_xlsx():
        table = inspection.inspection(db, bureau, quarter, now)
        return done(exports.to_xlsx(*exports.inspection_tables(table, "通报")))

    built = inspection.inspection(db, bureau, quarter, now)
    done(built)

    q = quarter.key
    info = {"quarter": q, "bureau": f"{bureau.code} {bureau.name}",
            "county": f"{county.code} {county.name}",
            "branch": f"{branch.code} {branch.name}",
            "lesson": f"{lesson.id} (issue {lesson.issue_no}, due {lesson.due_at:%Y-%m-%d})"}
    at_bureau = "" if bureau is root else f"&unit={bureau.code}"
    cases = [
        Case(f"bureau completion by child unit, {q}",
             lambda: done(rollup.completion_by_child(db, bureau, by_quarter, now)),
             f"/supervise/?period={q}{at_bureau}", 100),
        Case("  … the whole bureau dashboard (+ trend, own officers)",
             dashboard_domain(bureau), None),
        Case(f"county drill-down ({county.code}), {q}", dashboard_domain(county),
             f"/supervise/?unit={county.code}&period={q}"),
        Case(f"party branch drill-down ({branch.code}): officers, {q}",
             dashboard_domain(branch), f"/supervise/?unit={branch.code}&period={q}"),
        Case("county not-yet-done, one lesson (first 100 + count)",
             lambda: done(rollup.pending(db, county, by_lesson, now, tz, limit=100)),
             f"/supervise/pending?unit={county.code}&lesson={lesson.id}", 20),
        Case(f"通报 table, whole bureau, {q}",
             lambda: done(inspection.inspection(db, bureau, quarter, now)),
             f"/supervise/tongbao?period={q}{at_bureau}", 1000),
        Case(f"通报 XLSX export, whole bureau, {q}", tongbao_xlsx,
             f"/supervise/export/tongbao.xlsx?period={q}{at_bureau}", 1000),
        Case(f"  … of which writing the XLSX file ({len(built.rows)} rows)",
             lambda: exports.to_xlsx(*exports.inspection_tables(built, "通报")), None),
        Case(f"report API /api/v1/reports/completion, bureau, {q}",
             lambda: done(rollup.completion_by_child(db, bureau, by_quarter, now)),
             f"/api/v1/reports/completion?period={q}{at_bureau}", 100, token=True),
    ]
    if bureau is not root:
        cases.insert(0, Case(f"province completion by child unit (bureaus), {q}",
                             lambda: done(rollup.completion_by_child(db, root, by_quarter, now)),
                             f"/supervise/?period={q}", 100))
        cases.insert(1, Case(f"report API /api/v1/reports/completion, province, {q}",
                             lambda: done(rollup.completion_by_child(db, root, by_quarter,
                                                                     now)),
                             f"/api/v1/reports/completion?period={q}", 100, token=True))
    return cases, info


def explain(db, statements, top: int = 1, lines: int = 40) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of the slowest statements of one run, condensed to the hot
    path: plan nodes taking at least 5 % of the time (costs dropped), and for scans the lines
    that say why (heap blocks, rows filtered, buffers read)."""
    import re
    took = re.compile(r"actual time=[\d.]+\.\.([\d.]+)")
    for seconds, statement, parameters in sorted(statements, key=lambda s: -s[0])[:top]:
        print(f"    slowest statement ({seconds * 1000:.1f} ms), its hot path:")
        plan = db.connection().exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement,
                                               parameters).scalars().all()
        db.rollback()
        total = max((float(m.group(1)) for m in map(took.search, plan) if m), default=0.0)
        shown, in_hot_scan = [], False
        for line in plan:
            match = took.search(line)
            if match:
                hot = float(match.group(1)) >= 0.05 * total
                in_hot_scan = hot and "Scan" in line
                if hot:
                    shown.append(re.sub(r"\(cost=[^)]*\) ", "", line))
            elif line.lstrip().startswith("Execution Time") or (in_hot_scan and re.search(
                    r"Heap Blocks|Rows Removed|Filter:|Index Cond|Buffers", line)):
                shown.append(line)
        for line in shown[:lines]:
            print("      " + line[:160])
        if len(shown) > lines:
            print(f"      … ({len(shown) - lines} more)")


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--explain", action="store_true",
                        help="show the slowest statement's plan for every case")
    args = parser.parse_args(argv)
    heading(f"reports: in-process on {DEFAULT_DB}, median of {args.runs} after {WARMUP} warm-up")
    app = make_app()
    with app.app_context():
        from lms.web import db_session
        db = db_session()
        sql = SqlLog(db.get_bind())
        cases, info = build_cases(app, db)
        print("  " + ", ".join(f"{k} {v}" for k, v in info.items()))
        client = app.test_client()
        client.base_url = "https://localhost"  # production cookies are Secure
        answer = client.post("/login", base_url="https://localhost",
                             data={"police_no": "000001", "password": "zhuhun-demo-2026"})
        if answer.status_code not in (302, 303):
            raise SystemExit(f"admin sign-in failed: HTTP {answer.status_code}")
        answer = client.post("/api/v1/auth/token", base_url="https://localhost",
                             json={"police_no": "000001", "password": "zhuhun-demo-2026"})
        token = answer.get_json()["token"]

        def request(case):
            headers = {"Authorization": f"Bearer {token}"} if case.token else {}
            response = client.get(case.path, headers=headers, base_url="https://localhost")
            if response.status_code != 200:
                raise SystemExit(f"{case.path}: HTTP {response.status_code}")
            return response

        print(f"  {'case':<58} {'domain':>9} {'request':>9} {'queries':>8} {'target':>8}")
        for case in cases:
            domain = measure(case.domain, args.runs)
            with sql:
                case.domain()
            case.results = {"domain_ms": statistics.median(domain) * 1000,
                            "queries": len(sql.statements),
                            "slowest_sql_ms": max((s[0] for s in sql.statements), default=0)
                            * 1000}
            if case.path:
                case.results["request_ms"] = statistics.median(
                    measure(lambda case=case: request(case), args.runs)) * 1000
            r = case.results
            missed = case.target_ms is not None and r["domain_ms"] > case.target_ms
            page = f"{r['request_ms']:7.1f}ms" if "request_ms" in r else f"{'–':>9}"
            target = f"< {case.target_ms:.0f}ms" if case.target_ms else ""
            print(f"  {case.label:<58} {r['domain_ms']:7.1f}ms {page} {r['queries']:8d} "
                  f"{target:>8}{'  MISSED' if missed else ''}", flush=True)
            if missed or args.explain:
                explain(db, sql.statements)
        repeat = plan_cache_check(cases, request)
    return {"info": info, "cases": [(c.label, c.target_ms, c.results) for c in cases],
            "repeat": repeat}


def plan_cache_check(cases, request, times: int = 14) -> dict:
    """The 通报 export again and again on one worker connection, as a supervisor would.

    psycopg prepares a statement server-side after 5 executions and keeps it across
    *committed* transactions (a rollback clears it); after 5 more, PostgreSQL may switch to a
    generic plan. The export commits its audit row, so it is the case that can be hit.
    """
    case = next(c for c in cases if c.path and "export/tongbao" in c.path)
    fresh_app_samples = []
    for _ in range(times):
        start = time.perf_counter()
        request(case)
        fresh_app_samples.append((time.perf_counter() - start) * 1000)
    early = statistics.median(fresh_app_samples[:5])
    late = statistics.median(fresh_app_samples[-3:])
    print(f"  plan-cache check: 通报 XLSX export repeated {times}× on one connection "
          f"(after the runs above): first five median {early:.0f} ms, last three median "
          f"{late:.0f} ms{'  ← generic plan' if late > 1.5 * early else ''}")
    return {"samples_ms": fresh_app_samples, "early_ms": early, "late_ms": late}


if __name__ == "__main__":
    main()
