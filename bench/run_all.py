"""Every benchmark in order, then one summary against DESIGN §6 and the NOTES.md ceilings.

    .venv/bin/python bench/run_all.py [--reuse] [--officers 30000] [--duration 20s] [--json OUT]

calibration (hello JSON) → setup_db → attempts → lesson_read → reports → calibration again.
The box is shared, so each load step first waits (at most two minutes) for the CPUs to be
mostly idle and prints how idle they were; the calibration runs bracket the figures.
Figures are printed, never asserted (docs/PERFORMANCE.md).
"""
import argparse
import json
import platform
import sys
import time

import attempts
import calibrate
import lesson_read
import reports
import setup_db
from _common import heading, wait_for_quiet


def quiet(results: dict, step: str) -> None:
    """Wait for a quiet box before a load step and remember how quiet it was."""
    idle = wait_for_quiet(min_idle=0.8, max_wait=120)
    results.setdefault("idle_before", {})[step] = round(idle, 2)
    print(f"  (CPU idle before {step}: {idle:.0%})")


def summary(r: dict) -> None:
    """The figures that DESIGN §6 sets targets for, next to their targets and ceilings."""
    heading("summary (targets: DESIGN §6; ceilings: NOTES.md, measured on a quiet box)")
    hello = [c["rps"] for c in r["calibration"]]
    print(f"  this run's hello-JSON ceiling: {', '.join(f'{x:.0f}' for x in hello)} req/s "
          "(NOTES ~5,000)")
    rows = []
    a, read = r["attempts"], r["lesson_read"]
    for key, label in (("submit", "attempt POST"), ("fetch_submit", "full attempt GET+POST")):
        f = a[key]["figures"]
        rows.append((label, f"{f['attempts_per_s']:.0f} attempts/s, p95 {f['p95_ms']:.0f} ms",
                     "≥ 400/s, p95 < 100 ms",
                     f"≈ {f['est_rps_2cores'] / (1 if key == 'submit' else 2):.0f}/s"))
    for key, label in (("api", "GET /api/v1/lessons/<id>"), ("html", "lesson page HTML")):
        f = read[key]
        rows.append((label, f"{f['rps']:.0f} req/s, p99 {f['p99_ms']:.0f} ms", "≥ 1,500 req/s",
                     f"≈ {f['est_rps_2cores']:.0f}/s"))
    for label, target, res in r["reports"]["cases"]:
        if target:
            rows.append((label.strip(), f"{res['domain_ms']:.0f} ms", f"< {target:.0f} ms", ""))
    print(f"  {'what':<52} {'measured':<34} {'target':<22} {'idle-box est.':<14}")
    for label, measured, target, estimate in rows:
        print(f"  {label[:52]:<52} {measured:<34} {target:<22} {estimate:<14}")
    c = r["attempts"]
    ok = all(c[k]["check"]["consistent"] for k in ("submit", "fetch_submit"))
    storms = sum(s["ok"] for s in c["storm"])
    print(f"  attempts none lost or doubled: {'yes' if ok else 'NO'}; idempotency storms with "
          f"one row: {storms}/{len(c['storm'])}")


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reuse", action="store_true", help="keep an existing lms_bench")
    parser.add_argument("--officers", type=int, default=30000)
    parser.add_argument("--users", type=int, default=64)
    parser.add_argument("--duration", default="20s")
    parser.add_argument("--json", help="also write every figure to this file")
    args = parser.parse_args(argv)
    started = time.time()
    print(f"Zhuhun LMS benchmarks — {platform.node()}, Python {platform.python_version()}, "
          f"{time.strftime('%Y-%m-%d %H:%M')}")
    results: dict = {"calibration": []}
    quiet(results, "calibration")
    results["calibration"].append(calibrate.main([]))
    results["setup_db"] = setup_db.main(
        [f"--officers={args.officers}", f"--users={args.users}"]
        + (["--reuse"] if args.reuse else []))
    quiet(results, "attempts")
    results["attempts"] = attempts.main([f"--users={args.users}", f"--duration={args.duration}"])
    quiet(results, "lesson_read")
    results["lesson_read"] = lesson_read.main([f"--users={args.users}",
                                               f"--duration={args.duration}"])
    quiet(results, "reports")
    results["reports"] = reports.main([])
    results["calibration"].append(calibrate.main([]))
    summary(results)
    print(f"\n  total {time.time() - started:.0f} s")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=1, default=str, ensure_ascii=False)
    return results


if __name__ == "__main__":
    sys.exit(main() and 0)
