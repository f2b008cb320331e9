"""Benchmark of feedback submission: the real service against a bare Flask-SQLAlchemy insert.

What is measured
  1. The real service (``gunicorn wsgi:app``) on a fresh database built with ``flask db upgrade``
     and ``flask seed``: wrk POSTs ``/api/mp/v1/feedback`` with a bearer token, a fresh
     Idempotency-Key and a Chinese complaint rotating over tests/bench/wrk_submit.lua. Each request
     is validated, rate-limited (limits raised so they never block), tagged with jieba, routed,
     and written (feedback, tags, event, idempotency record) in one transaction.
  2. tests/bench/bare_app.py under the same gunicorn settings and the same database: one INSERT
     and a commit per request, nothing else.

How to read it
  req/s is wrk's throughput; p50/p99 are wrk's latency percentiles (--latency). The ratio is
  bare req/s / service req/s: how many times more work per request the service does than the
  cheapest possible Flask-SQLAlchemy write on this machine and database. wrk runs on the same
  machine and takes CPU from the servers, so compare the two rows with each other, not with
  another machine. Non-2xx responses are reported; if they are the majority the run is void
  and the script exits 1.

Usage
  .venv/bin/python tests/bench/bench_submit.py                       # SQLite file in a temp dir
  .venv/bin/python tests/bench/bench_submit.py --database-url postgresql://postgres@127.0.0.1:5432/bench
The PostgreSQL database named in the URL is dropped and re-created (its name must contain
"bench"), and dropped again at the end — unless --existing is given: then the database (PostgreSQL
or a sqlite:/// file made by ``make bench-data``) is used as it is and the rows the run added are
deleted at the end. Also reported: the workers' CPU time per request (/proc, over the measured
run), their RSS after boot and after the run, and the seconds from starting gunicorn to its first
answered request (the median of --cold-starts starts). tests/bench/run_bench.py (``make bench``) judges these
against issue 12's targets.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BENCH = Path(__file__).resolve().parent
LUA = BENCH / "wrk_submit.lua"
PY = sys.executable


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--database-url", help="PostgreSQL URL of a throw-away database (default: a SQLite temp file)")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--threads", type=int, default=4, help="gunicorn gthread threads per worker")
    p.add_argument("--wrk-threads", type=int, default=2)
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--duration", type=int, default=20, help="seconds of measured load per server")
    p.add_argument("--warmup", type=int, default=3, help="seconds of unmeasured load before each run")
    p.add_argument(
        "--rounds", type=int, default=2, help="measure the service and the bare insert in turn, this many times each"
    )
    p.add_argument(
        "--cold-starts", type=int, default=3, help="start the service this many times; cold start is their median"
    )
    p.add_argument(
        "--existing",
        action="store_true",
        help="use the database as it is (e.g. one filled by make bench-data); remove the added rows after",
    )
    return p.parse_args()


def sh(cmd: list[str], env: dict, **kw) -> subprocess.CompletedProcess:
    result = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, **kw)
    if result.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{result.stdout}{result.stderr}")
    return result


# --- database -----------------------------------------------------------------------------


def postgres_database(url: str, stack: ExitStack) -> None:
    """Drop and create the database named in ``url``; drop it again on exit."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from config.settings import normalise_database_url

    target = make_url(normalise_database_url(url))
    name = target.database or ""
    if "bench" not in name:
        sys.exit(f"refusing to drop and re-create database {name!r}: its name must contain 'bench'")
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")

    def recreate(create: bool) -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            if create:
                conn.execute(text(f'CREATE DATABASE "{name}"'))

    recreate(True)
    stack.callback(admin.dispose)
    stack.callback(recreate, False)


# --- servers ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gunicorn(
    app: str, args, env: dict, log: Path, stack: ExitStack, extra: list[str] = (), server: dict | None = None
) -> str:
    """Start gunicorn in its own session (Ctrl-C reaches us, and we stop it); return its base URL.

    ``server``, when given, receives the master's ``pid`` and the monotonic ``started`` time.
    """
    port = free_port()
    cmd = [
        PY,
        "-m",
        "gunicorn",
        *extra,
        "--workers",
        str(args.workers),
        "--threads",
        str(args.threads),
        "-k",
        "gthread",
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "--no-control-socket",
        app,
    ]
    logfile = log.open("w")
    started = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=logfile, stderr=subprocess.STDOUT, start_new_session=True)
    if server is not None:
        server.update(pid=proc.pid, started=started)

    def stop() -> None:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        logfile.close()

    stack.callback(stop)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"{app} exited at start-up:\n{log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.2)
    sys.exit(f"{app} did not listen within 30 s:\n{log.read_text()}")


def worker_pids(master: int) -> list[int]:
    """The gunicorn workers: processes whose parent is the master."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == master:
                pids.append(int(entry.name))
    return sorted(pids)


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of the processes so far (/proc/<pid>/stat utime + stime)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def login(base: str) -> str:
    req = urllib.request.Request(
        f"{base}/api/mp/v1/session",
        data=json.dumps({"code": "dev-bench"}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.load(resp)["token"]


# --- wrk ----------------------------------------------------------------------------------

UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def to_ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * UNITS_MS[unit]


def wrk(url: str, args, env: dict, seconds: int) -> dict:
    cmd = [
        "wrk",
        "--latency",
        "--timeout",
        "10s",
        "-t",
        str(args.wrk_threads),
        "-c",
        str(args.connections),
        "-d",
        f"{seconds}s",
        "-s",
        str(LUA),
        url,
    ]
    env = env | {"BENCH_RUN": secrets.token_hex(6)}  # Idempotency-Keys never repeat across wrk runs
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout

    def find(pattern: str, default: str | None = None) -> str:
        m = re.search(pattern, out, re.M)
        if m is None and default is None:
            sys.exit(f"could not read {pattern!r} from wrk output:\n{out}")
        return m.group(1) if m else default

    errors = re.search(r"Socket errors: (.*)$", out, re.M)
    return {
        "rps": float(find(r"^Requests/sec:\s+([\d.]+)")),
        "p50": to_ms(find(r"^\s+50%\s+(\S+)")),
        "p99": to_ms(find(r"^\s+99%\s+(\S+)")),
        "requests": int(find(r"^\s+(\d+) requests in")),
        "non2xx": int(find(r"Non-2xx or 3xx responses: (\d+)", "0")),
        "statuses": dict(re.findall(r"^status (\d+) (\d+)$", out, re.M)),
        "socket_errors": errors.group(1) if errors else "",
    }


def combined(runs: list[dict]) -> dict:
    """One server's rounds as one run: requests and CPU added up, latencies and req/s their median;
    ``rounds`` keeps each round's CPU ms per request, to show the spread."""
    if len(runs) == 1:
        return runs[0] | {"rounds": [runs[0].get("cpu_ms")]}
    total = sum(r["requests"] for r in runs)
    statuses: dict[str, int] = {}
    for r in runs:
        for code, count in r["statuses"].items():
            statuses[code] = statuses.get(code, 0) + int(count)
    out = {
        "rps": statistics.median(r["rps"] for r in runs),
        "p50": statistics.median(r["p50"] for r in runs),
        "p99": statistics.median(r["p99"] for r in runs),
        "requests": total,
        "non2xx": sum(r["non2xx"] for r in runs),
        "statuses": statuses,
        "socket_errors": "; ".join(r["socket_errors"] for r in runs if r["socket_errors"]),
        "rounds": [r.get("cpu_ms") for r in runs],
    }
    if all("cpu_ms" in r for r in runs) and total:
        out["cpu_ms"] = sum(r["cpu_ms"] * r["requests"] for r in runs) / total
    return out


def measure(name: str, url: str, args, env: dict, master: int | None = None) -> dict:
    """wrk's figures, plus the workers' CPU time per request over the measured run when ``master``
    (the gunicorn master's pid) is given."""
    if args.warmup:
        wrk(url, args, env, args.warmup)  # loads jieba, fills connection pools in every worker
    print(f"measuring {name} for {args.duration}s …", flush=True)
    pids = worker_pids(master) if master else []
    before = cpu_seconds(pids) if pids else 0.0
    result = wrk(url, args, env, args.duration)
    if pids and result["requests"]:
        result["cpu_ms"] = (cpu_seconds(pids) - before) * 1000 / result["requests"]
        result["workers"] = pids
    return result


# --- main ---------------------------------------------------------------------------------


def _base_env(db_url: str, tmp: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("WECHAT_APPID", "WECHAT_SECRET", "RATELIMIT_STORAGE_URI")}
    return env | {
        "DATABASE_URL": db_url,
        "FEEDBACK_ENV": "development",
        "SECRET_KEY": secrets.token_hex(32),
        "UPLOAD_DIR": str(tmp / "uploads"),
        # The limiter still runs on every request, but never blocks.
        **{
            f"RATE_LIMIT_{name}": "1000000 per minute"
            for name in ("SUBMIT", "SUBMIT_ATTEMPTS", "LOGIN", "LOGIN_PER_CLIENT")
        },
    }


def _first_answer(base: str, server: dict) -> float:
    """Seconds from starting gunicorn to the first answered request (a mini-programme login)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            login(base)
            return time.monotonic() - server["started"]
        except OSError:
            time.sleep(0.02)
    sys.exit("the service answered no request within 60 s")


def _remove_bench_rows(db_url: str, since_id: int, since: float) -> None:
    """Delete what the run added to an existing database (its feedback cascades to the rest)."""
    from datetime import UTC, datetime

    from sqlalchemy import create_engine, text

    from config.settings import normalise_database_url
    from feedback.timeutil import day_start

    engine = create_engine(normalise_database_url(db_url))
    with engine.begin() as conn:
        # Children first, by hand: SQLite enforces no cascades on a connection that did not ask for
        # them, and on PostgreSQL the foreign-key checks are switched off for this transaction —
        # each deleted feedback would otherwise scan 10^6 rows for the unindexed merged_into_id.
        # A submission writes only these tables (and the idempotency record below).
        tables = ["feedback_tags", "feedback_terms", "events", "assignments", "feedback"]
        if engine.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            tables.insert(0, "feedback_search")
        for table in tables:
            column = "id" if table == "feedback" else "feedback_id"
            conn.execute(text(f"DELETE FROM {table} WHERE {column} > :id"), {"id": since_id})
        # A record is stamped with the day it was made (its local midnight), not the moment; the
        # bench data holds none, so every record from that midnight on is the run's.
        conn.execute(
            text("DELETE FROM idempotency_records WHERE created_at >= :t"),
            {"t": day_start(datetime.fromtimestamp(since, UTC)).replace(tzinfo=None)},
        )
        conn.execute(text("DROP TABLE IF EXISTS bench_bare_submission"))
    if engine.dialect.name == "postgresql":
        # Tens of thousands of dead rows per run, below autovacuum's threshold at this size: left
        # there, each later run wrote into ever more bloated indexes and measured slower (10 s).
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f"VACUUM (ANALYZE) {', '.join(tables)}, idempotency_records"))
    engine.dispose()


def _max_feedback_id(db_url: str) -> int:
    from sqlalchemy import create_engine, text

    from config.settings import normalise_database_url

    engine = create_engine(normalise_database_url(db_url))
    with engine.connect() as conn:
        value = conn.execute(text("SELECT coalesce(max(id), 0) FROM feedback")).scalar()
    engine.dispose()
    return int(value)


def run_submit(args, database_url: str | None, existing: bool = False) -> dict:
    """Both servers on one database, measured in turn (``args.rounds`` times each); returns the
    figures of both.

    ``existing``: the database already holds the schema, reference data and (typically) a large
    history; it is not re-created, and the rows the run adds are deleted afterwards.
    """
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-submit-")))
        if database_url and database_url.startswith("sqlite"):
            db_url, db_kind = database_url, "SQLite"
        elif database_url:
            if not existing:
                postgres_database(database_url, stack)
            db_url, db_kind = database_url, "PostgreSQL"
        else:
            db_url, db_kind = f"sqlite:///{tmp / 'bench.db'}", "SQLite"
        env = _base_env(db_url, tmp)
        if not existing:
            print(f"preparing {db_kind} database …", flush=True)
            sh([PY, "-m", "flask", "--app", "feedback", "db", "upgrade"], env)
            sh([PY, "-m", "flask", "--app", "feedback", "seed"], env)
        else:
            since_id, since = _max_feedback_id(db_url), time.time() - 1
            stack.callback(_remove_bench_rows, db_url, since_id, since)
        sh([PY, str(BENCH / "bare_app.py")], env)

        # Cold start is one sample per start and swings by a few tenths of a second on a shared
        # machine: the service is started ``args.cold_starts - 1`` times and stopped, then once more
        # for the load; the figure is the median of all the starts.
        cold_starts = []
        for _ in range(args.cold_starts - 1):
            with ExitStack() as trial_stack:
                trial: dict = {}
                trial_base = gunicorn("wsgi:app", args, env, tmp / "service.log", trial_stack, server=trial)
                cold_starts.append(_first_answer(trial_base, trial))
        with ExitStack() as server_stack:
            server: dict = {}
            base = gunicorn("wsgi:app", args, env, tmp / "service.log", server_stack, server=server)
            cold_starts.append(_first_answer(base, server))
            cold_start = statistics.median(cold_starts)
            time.sleep(2)  # let every worker finish booting
            boot_rss = max(map(rss_mb, worker_pids(server["pid"])))
            bare_server: dict = {}
            bare_base = gunicorn(
                "bare_app:app",
                args,
                env,
                tmp / "bare.log",
                server_stack,
                ["--pythonpath", str(BENCH)],
                server=bare_server,
            )
            service_env = env | {"BENCH_TOKEN": login(base)}
            # Both servers stay up (an idle one costs no CPU) and are measured in turn, round after
            # round: a drift of the machine (a checkpoint, autovacuum) then weighs on both alike.
            runs: dict[str, list[dict]] = {"service": [], "bare": []}
            for n in range(1, args.rounds + 1):
                suffix = f" (round {n} of {args.rounds})" if args.rounds > 1 else ""
                runs["service"].append(
                    measure("service" + suffix, f"{base}/api/mp/v1/feedback", args, service_env, server["pid"])
                )
                runs["bare"].append(
                    measure("bare insert" + suffix, f"{bare_base}/bare/submit", args, env, bare_server["pid"])
                )
            loaded_rss = max(map(rss_mb, worker_pids(server["pid"])))
        service, bare = combined(runs["service"]), combined(runs["bare"])
        logs = {
            name: "".join((tmp / log).read_text().splitlines(True)[-20:])
            for name, log in (("service", "service.log"), ("bare insert", "bare.log"))
        }
    return {
        "db_kind": db_kind,
        "service": service,
        "bare": bare,
        "cold_start_s": cold_start,
        "cold_starts_s": cold_starts,
        "boot_rss_mb": boot_rss,
        "loaded_rss_mb": loaded_rss,
        "logs": logs,
    }


def report_submit(args, r: dict) -> list[str]:
    """Print the table of both runs; return the names of runs that were void (mostly non-2xx)."""
    service, bare = r["service"], r["bare"]
    print(
        f"\nsettings: gunicorn --workers {args.workers} --threads {args.threads} -k gthread; "
        f"wrk -t{args.wrk_threads} -c{args.connections} -d{args.duration}s (+{args.warmup}s warm-up); "
        f"database {r['db_kind']}; {os.cpu_count()} CPUs (wrk on the same machine)\n"
    )
    print(f"{'':14}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'CPU ms/req':>11}{'requests':>10}{'non-2xx':>9}  statuses")
    for name, x in (("service", service), ("bare insert", bare)):
        statuses = " ".join(f"{k}:{v}" for k, v in sorted(x["statuses"].items()))
        print(
            f"{name:14}{x['rps']:9.1f}{x['p50']:9.1f}{x['p99']:9.1f}{x.get('cpu_ms', float('nan')):11.2f}"
            f"{x['requests']:10}{x['non2xx']:9}  {statuses}  {x['socket_errors']}"
        )
    for name, x in (("service", service), ("bare insert", bare)):
        if len(x.get("rounds", [])) > 1:
            print(f"{name} CPU ms/req by round: " + ", ".join(f"{c:.2f}" for c in x["rounds"] if c is not None))
    if service["rps"]:
        print(f"\nratio bare/service req/s: {bare['rps'] / service['rps']:.1f}")
    print(
        f"worker RSS: {r['boot_rss_mb']:.1f} MB after boot, {r['loaded_rss_mb']:.1f} MB after the load "
        f"(largest worker); cold start {r['cold_start_s']:.2f} s (median of "
        + ", ".join(f"{x:.2f}" for x in r["cold_starts_s"])
        + ")"
    )
    void = []
    for name, x in (("service", service), ("bare insert", bare)):
        if x["non2xx"]:
            print(
                f"--- {name}: {x['non2xx']} non-2xx responses; tail of its gunicorn log:\n{r['logs'][name]}",
                file=sys.stderr,
            )
        if x["non2xx"] * 2 > x["requests"]:
            void.append(name)
    if void:
        print(f"most responses were not 2xx for: {', '.join(void)}; the run is void", file=sys.stderr)
    return void


def main() -> int:
    args = parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed; install it with: apt-get install wrk", file=sys.stderr)
        return 2
    sys.path.insert(0, str(ROOT))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))  # run the clean-up on kill too
    result = run_submit(args, args.database_url, existing=args.existing)
    return 1 if report_submit(args, result) else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted; servers stopped, temporary files and database removed", file=sys.stderr)
        sys.exit(130)
