"""``make bench``: every figure of issue 12's table, for PostgreSQL and SQLite, against its target.

Needs the databases filled by ``make bench-data`` (tests/bench/make_data.py). For each database:

- inbox page p50 per filter, assignments list p50 per role/filter, the monthly summary of the
  campaign month, the deadline watch with nothing to do and its catch-up (tests/bench/bench_app.py,
  in-process, read-only or rolled back), and the EXPLAIN plans of the inbox queries;
- submission: worker CPU time per request of the service against tests/bench/bare_app.py under the
  same gunicorn settings on the same database in the same run, worker RSS after boot and after the
  load, and cold start: gunicorn start to its first answered request, the median of three starts
  (tests/bench/bench_submit.py with --existing; the rows it adds are deleted afterwards).

Prints one line per figure with PASS/FAIL and exits 1 when any figure misses its target (2 when
a run could not be made). Many targets are expected to fail until issue 12 is done.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

TARGETS = {  # name: (limit, "max" = at most / "min" = at least, unit)
    "submit_ratio": (0.4, "min", "× bare"),
    "inbox_ms": (30.0, "max", "ms"),
    "assignments_ms": (50.0, "max", "ms"),
    "monthly_s": (2.0, "max", "s"),
    "watch_idle_ms": (100.0, "max", "ms"),
    "watch_catch_up_s": (3.0, "max", "s"),
    "rss_mb": (150.0, "max", "MB"),
    "cold_start_s": (2.0, "max", "s"),
}


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--database-url", help="PostgreSQL database filled by make bench-data")
    p.add_argument("--sqlite", help="SQLite file filled by make bench-data")
    p.add_argument("--reps", type=int, default=5, help="measured repetitions per list request")
    p.add_argument("--skip-submit", action="store_true", help="leave out the gunicorn/wrk measurements")
    p.add_argument(
        "--only",
        choices=("inbox",),
        help="measure only this part (inbox: the inbox pages and their EXPLAIN plans; implies --skip-submit)",
    )
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--threads", type=int, default=4)
    p.add_argument("--wrk-threads", type=int, default=2)
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--duration", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--rounds", type=int, default=2, help="service and bare insert measured in turn, this many times")
    p.add_argument("--cold-starts", type=int, default=3, help="service starts; cold start is their median")
    return p.parse_args()


class Report:
    def __init__(self) -> None:
        self.failed: list[str] = []

    def figure(self, label: str, value: float, target: str, detail: str = "") -> None:
        limit, sense, unit = TARGETS[target]
        ok = value >= limit if sense == "min" else value <= limit
        bound = "≥" if sense == "min" else "≤"
        shown = f"{value:,.2f}" if value < 100 else f"{value:,.0f}"
        print(
            f"  {'PASS' if ok else 'FAIL'}  {label:<44}{shown:>10} {unit:<6} (target {bound} {limit:g} {unit})"
            f"{'  ' + detail if detail else ''}",
            flush=True,
        )
        if not ok:
            self.failed.append(label)


def in_process(kind: str, url: str, args, report: Report) -> list[str]:
    from tests.bench import bench_app

    app = bench_app.make_app(url)
    info = bench_app.meta(app)
    rows = {k[5:]: int(v) for k, v in info.items() if k.startswith("rows_")}
    print(
        f"data: {rows.get('feedback', 0):,} feedback, {rows.get('feedback_tags', 0):,} tags, "
        f"{rows.get('assignments', 0):,} assignments, {rows.get('events', 0):,} events; "
        f"t0 {info['t0']}, generated {info['generated_at']}"
    )

    if kind == "PostgreSQL":
        print(
            "\nFigures are CPU time, as in the issue: this process plus its PostgreSQL backends (read from /proc),\n"
            "so that the other work on this shared machine does not count; wall time is shown beside them.\n"
            "PostgreSQL sessions measured here run without parallel workers (their CPU could not be read);\n"
            "the EXPLAIN plans at the end are those of the server's default settings."
        )
    else:
        print("\nFigures are CPU time of this process (SQLite works in it), as in the issue; wall time beside them.")
    print("\ninbox page p50 (GET /api/staff/v1/feedback as triage, 20 per page)")
    inbox, assignments, plans = bench_app.lists(app, info, args.reps, assignments=args.only is None)
    for case in inbox:
        report.figure(
            f"inbox {case['name']}", case["cpu_ms"], "inbox_ms", f"wall {case['ms']:.1f} ms; total {case['total']}"
        )
    if args.only == "inbox":
        return plans
    print("\nassignments list p50 (GET /api/staff/v1/assignments)")
    for case in assignments:
        report.figure(
            f"assignments {case['name']}",
            case["cpu_ms"],
            "assignments_ms",
            f"wall {case['ms']:.1f} ms; total {case['total']:,}",
        )

    print("\nmonthly summary (monthly_summary.generate, rolled back)")
    month = bench_app.monthly(app, info)
    if "earlier_built_s" in month:
        seconds, n = month["earlier_built_s"]
        print(f"  info  facts of {n} earlier months were missing and built once: {seconds:,.1f} s")
    report.figure(
        f"monthly summary {month['month'][:7]} ({month['items']:,} items)",
        month["cpu_s"],
        "monthly_s",
        f"wall {month['s']:.1f} s",
    )

    print("\ndeadline watch (deadline_watch.scan, rolled back)")
    watch = bench_app.deadline_watch(app, info, args.reps)
    report.figure(
        "deadline watch, nothing to do (p50)",
        watch["idle_cpu_ms"],
        "watch_idle_ms",
        f"wall {watch['idle_ms']:.1f} ms; {watch['idle_statements']} statements; {watch['idle_counts']}",
    )
    notices = watch["catch_up_notices"] or 1
    report.figure(
        f"deadline watch catch-up, {watch['catch_up_notices']:,} notices",
        watch["catch_up_cpu_s"],
        "watch_catch_up_s",
        f"wall {watch['catch_up_s']:.1f} s; "
        f"{watch['catch_up_statements'] / notices:.1f} statements per notice; "
        f"{watch['catch_up_counts']}",
    )
    from feedback.extensions import db

    with app.app_context():
        db.engine.dispose()
    return plans


def servers(url: str, args, report: Report) -> None:
    from tests.bench import bench_submit

    print(
        f"\nsubmission, memory, cold start (gunicorn --workers {args.workers} --threads {args.threads} "
        f"-k gthread; wrk -t{args.wrk_threads} -c{args.connections} -d{args.duration}s after {args.warmup}s; "
        f"{args.rounds} rounds each, in turn)",
        flush=True,
    )
    result = bench_submit.run_submit(args, url, existing=True)
    void = bench_submit.report_submit(args, result)
    service, bare = result["service"], result["bare"]
    if void or "cpu_ms" not in service or "cpu_ms" not in bare:
        report.failed.append("submission run void")
        print("  FAIL  submission run void (see above)")
        return
    print()
    report.figure(
        "submission: bare CPU/req ÷ service CPU/req",
        bare["cpu_ms"] / service["cpu_ms"],
        "submit_ratio",
        f"service {service['cpu_ms']:.2f} ms, bare {bare['cpu_ms']:.2f} ms worker CPU per request; "
        f"req/s {service['rps']:.0f} vs {bare['rps']:.0f}",
    )
    report.figure("worker RSS after boot (largest worker)", result["boot_rss_mb"], "rss_mb")
    submissions = service["requests"]
    report.figure(
        f"worker RSS after the load ({submissions:,} submissions + warm-up)", result["loaded_rss_mb"], "rss_mb"
    )
    starts = ", ".join(f"{x:.2f}" for x in result["cold_starts_s"])
    report.figure(
        "cold start: gunicorn start → first answer", result["cold_start_s"], "cold_start_s", f"median of {starts} s"
    )


def upgrade(url: str) -> None:
    """Bring the bench database to the code's migration head first: figures measured on an older
    schema (an index or table shape missing) would judge code against a database it never runs on."""
    from tests.bench.make_data import flask

    done = flask(url, "db", "upgrade")
    ran = [line.split("Running upgrade ", 1)[1] for line in done.stderr.splitlines() if "Running upgrade " in line]
    print("schema: " + ("upgraded " + "; ".join(ran) if ran else "at the migrations' head"), flush=True)


def bench_one(kind: str, url: str, args, report: Report) -> None:
    print(f"\n{'=' * 100}\n{kind}: {url}\n{'=' * 100}", flush=True)
    start = time.monotonic()
    upgrade(url)
    plans = in_process(kind, url, args, report)
    if not args.skip_submit:
        servers(url, args, report)
    print(f"\nEXPLAIN plans of the inbox queries ({kind})")
    for plan in plans:
        print(plan)
    print(f"\n({kind} measured in {time.monotonic() - start:,.0f} s)")


def main() -> int:
    args = parse_args()
    if args.only:
        args.skip_submit = True
    sys.path.insert(0, str(ROOT))
    if not args.skip_submit and shutil.which("wrk") is None:
        print("wrk is not installed; install it with: apt-get install wrk", file=sys.stderr)
        return 2
    targets: list[tuple[str, str]] = []
    if args.database_url:
        from sqlalchemy.engine import make_url

        if "bench" not in (make_url(args.database_url).database or ""):
            sys.exit("the PostgreSQL database's name must contain 'bench'")
        targets.append(("PostgreSQL", args.database_url))
    if args.sqlite:
        if not Path(args.sqlite).exists():
            sys.exit(f"{args.sqlite} does not exist: run make bench-data first")
        targets.append(("SQLite", f"sqlite:///{Path(args.sqlite).resolve()}"))
    if not targets:
        sys.exit("give --database-url and/or --sqlite")
    report = Report()
    results: dict[str, Any] = {}
    for kind, url in targets:
        before = len(report.failed)
        bench_one(kind, url, args, report)
        results[kind] = len(report.failed) - before
    print("\n" + "; ".join(f"{kind}: {n} figure(s) missed" for kind, n in results.items()))
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
