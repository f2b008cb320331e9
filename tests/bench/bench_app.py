"""In-process measurements on a database filled by ``make bench-data``: lists, monthly summary,
deadline watch, and the EXPLAIN plans of the inbox queries.

Lists are requested through the Flask test client with a real staff login (bench-triage,
bench-handler), so routing, validation, serialisation and every query run as in production, minus
the HTTP server; each case is run once unmeasured, then ``reps`` times, and the median wall time is
reported (the database's CPU time is not in this process, so wall time is the honest latency).
The monthly summary and the deadline watch are called as the job and the API call them, inside a
transaction that is rolled back afterwards, so the database is the same for the next run.
"""

from __future__ import annotations

import os
import re
import statistics
import time
from collections.abc import Callable
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from tests.bench.corpus import COMMON_QUERY, FREQUENT_QUERY, RARE_QUERY

INBOX_CASES: list[tuple[str, dict[str, Any]]] = [
    ("no filter", {}),
    ("status=submitted", {"status": "submitted"}),
    ("status=closed", {"status": "closed"}),
    ("status=closed, page 1000", {"status": "closed", "page": 1000}),
    ("kind=suggestion", {"kind": "suggestion"}),
    ("point=GC02", {"point": "GC02"}),
    ("region=490102", {"region": "490102"}),
    ("overdue=true", {"overdue": "true"}),
    ("tag=peihui", {"tag": "peihui"}),
    (f"q={RARE_QUERY} (rare)", {"q": RARE_QUERY}),
    (f"q={COMMON_QUERY}", {"q": COMMON_QUERY}),
    (f"q={FREQUENT_QUERY}", {"q": FREQUENT_QUERY}),
    ("status+tag+region", {"status": "assigned", "tag": "tianbao", "region": "490102"}),
]

ASSIGNMENT_CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("triage, all", "triage", {}),
    ("triage, state=overdue", "triage", {"state": "overdue"}),
    ("triage, status=pending", "triage", {"status": "pending"}),
    ("triage, state=due_soon", "triage", {"state": "due_soon"}),
    ("handler, all", "handler", {}),
    ("handler, state=overdue", "handler", {"state": "overdue"}),
    ("handler, status=pending", "handler", {"status": "pending"}),
]


def make_app(database_url: str):
    """The app on the bench database; on PostgreSQL its sessions run without parallel query workers.

    CPU time is read from this process and its backends; a parallel worker's time could not be
    counted (it exits first), so a parallel plan would look cheaper than the work it costs. Serial
    plans do the same work in the one backend. The EXPLAIN plans printed are those of the server's
    default settings (see ``explain``).
    """
    from sqlalchemy import event

    os.environ.update({"DATABASE_URL": database_url, "FEEDBACK_ENV": "development"})
    from feedback import create_app

    app = create_app()
    engine = _engine(app)
    if engine.dialect.name == "postgresql":

        @event.listens_for(engine, "connect")
        def serial(dbapi_connection, record):
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SET max_parallel_workers_per_gather = 0")
            dbapi_connection.commit()

    return app


def meta(app) -> dict[str, str]:
    from sqlalchemy import text

    from feedback.extensions import db

    with app.app_context():
        return dict(db.session.execute(text("SELECT key, value FROM bench_meta")).all())


class CpuClock:
    """CPU seconds of this process plus the PostgreSQL backends serving this database.

    The backends are found in pg_stat_activity (only the benchmark uses a bench database) and
    read from /proc, so the figure holds both halves of a request's work on this machine; parallel
    query workers exit before they can be read, so a parallel plan is under-counted here (its wall
    time is not). On SQLite all the work is in this process.
    """

    def __init__(self, app) -> None:
        self.pids: list[int] = []
        engine = _engine(app)
        if engine.dialect.name == "postgresql":
            from sqlalchemy import text

            with engine.connect() as conn:
                self.pids = list(
                    conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")).scalars()
                )

    def seconds(self) -> float:
        total = time.process_time()
        for pid in self.pids:
            try:  # nanoseconds on CPU; /proc/<pid>/stat counts in 10 ms ticks, too coarse per request
                with open(f"/proc/{pid}/schedstat") as f:
                    total += int(f.read().split()[0]) / 1e9
            except OSError:
                continue
        return total


def median_ms(fn: Callable[[], Any], reps: int, clock: CpuClock | None = None) -> tuple[float, Any, float | None]:
    """Median wall milliseconds of ``reps`` calls after one unmeasured call, the last result, and
    the median CPU milliseconds per ``clock`` (None without one)."""
    result = fn()  # unmeasured: warms caches, jieba, the connection pool
    times, cpu = [], []
    for _ in range(reps):
        start, c0 = time.perf_counter(), clock.seconds() if clock else 0.0
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
        if clock:
            cpu.append((clock.seconds() - c0) * 1000)
    return statistics.median(times), result, (statistics.median(cpu) if clock else None)


def _engine(app):
    from feedback.extensions import db

    with app.app_context():
        return db.engine


@contextmanager
def statements(engine):
    """Collect (statement, parameters) of everything ``engine`` executes meanwhile."""
    from sqlalchemy import event

    seen: list[tuple[str, Any]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _login(client, username: str, password: str) -> dict[str, str]:
    reply = client.post("/api/staff/v1/auth/login", json={"username": username, "password": password})
    if reply.status_code != 200:
        raise SystemExit(f"staff login {username} failed: {reply.status_code} {reply.get_json()}")
    return {"Authorization": f"Bearer {reply.get_json()['token']}"}


def _get(client, path: str, headers: dict, params: dict) -> dict:
    reply = client.get(path, headers=headers, query_string=params)
    if reply.status_code != 200:
        raise SystemExit(f"GET {path} {params} answered {reply.status_code}: {reply.get_json()}")
    return reply.get_json()


def lists(
    app, info: dict[str, str], reps: int, *, assignments: bool = True
) -> tuple[list[dict], list[dict], list[str]]:
    """Inbox and assignment-list medians (the latter left out with ``assignments=False``), and the
    EXPLAIN plans of the inbox's own queries."""
    client = app.test_client()
    password = info["staff_password"]
    heads = {"triage": _login(client, "bench-triage", password), "handler": _login(client, "bench-handler", password)}
    inbox = []
    plans: list[str] = []
    clock = CpuClock(app)
    for name, params in INBOX_CASES:
        ms, body, cpu = median_ms(
            lambda p=params: _get(client, "/api/staff/v1/feedback", heads["triage"], p), reps, clock
        )
        total = f"{body['total']:,}" + ("" if body.get("total_exact", True) else " (not exact)")
        inbox.append({"name": name, "ms": ms, "cpu_ms": cpu, "total": total})
        with statements(_engine(app)) as seen:
            _get(client, "/api/staff/v1/feedback", heads["triage"], params)
        plans += explain(app, name, seen)
    listed: list[dict] = []
    for name, role, params in ASSIGNMENT_CASES if assignments else []:
        ms, body, cpu = median_ms(
            lambda h=heads[role], p=params: _get(client, "/api/staff/v1/assignments", h, p), reps, clock
        )
        listed.append({"name": name, "ms": ms, "cpu_ms": cpu, "total": body["total"]})
    return inbox, listed, plans


# The column list of select(Feedback) (ten or more of its columns), shortened in the printed SQL (the
# plans are of the full text); a page's summary columns are printed as they are.
_COLUMNS = re.compile(r"SELECT (feedback\.\w+(?: AS \w+)?, ){9,}feedback\.\w+(?: AS \w+)? FROM")


def explain(app, name: str, seen: list[tuple[str, Any]]) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL, EXPLAIN QUERY PLAN on SQLite, of the count and
    page queries on feedback that one inbox request ran."""
    from feedback.extensions import db

    out = []
    with app.app_context():
        dialect = db.engine.dialect.name
        prefix = "EXPLAIN (ANALYZE, BUFFERS) " if dialect == "postgresql" else "EXPLAIN QUERY PLAN "
        with db.engine.connect() as conn:
            if dialect == "postgresql":  # the plans production gets: parallel workers as configured
                conn.exec_driver_sql("SET LOCAL max_parallel_workers_per_gather TO DEFAULT")
            for statement, parameters in seen:
                flat = " ".join(statement.split())
                if "FROM feedback" not in flat or not ("count(" in flat or "LIMIT" in flat):
                    continue
                # (an EXPLAIN is the count's planner estimate, paging.estimated_rows: no plan of its own)
                if flat.startswith(("SELECT staff", "EXPLAIN")) or "feedback_tags.feedback_id IN" in flat:
                    continue
                rows = conn.exec_driver_sql(prefix + statement, parameters).all()
                kind = "count" if "count(" in flat else "page"
                lines = [r[0] if dialect == "postgresql" else f"{'  ' * int(r[1] > 0)}{r[-1]}" for r in rows]
                shown = _COLUMNS.sub("SELECT feedback.* FROM", flat)
                out.append(
                    f"--- inbox {name}: {kind} query\n{shown}\n  params: {parameters}\n"
                    + "\n".join(f"  {line}" for line in lines)
                )
            conn.rollback()
    return out


def monthly(app, info: dict[str, str]) -> dict[str, Any]:
    """generate() for the campaign month, earlier months' facts present (built once if missing)."""
    from sqlalchemy import func, select

    from feedback.extensions import db
    from feedback.models import Feedback
    from feedback.services.reporting import monthly_facts, summaries, summaries_views

    month = date.fromisoformat(info["campaign_month"])
    result: dict[str, Any] = {"month": month.isoformat()}
    with app.app_context():
        result["items"] = db.session.scalar(
            select(func.count())
            .select_from(Feedback)
            .where(Feedback.submitted_on >= month, Feedback.submitted_on < monthly_facts.shift(month, 1))
        )
        missing = summaries.missing_months(month)
        if missing:  # as the publish job or `flask summaries facts` does; generate() only names them
            print(f"building the facts of {len(missing)} earlier months once (kept for later runs) …", flush=True)
            start = time.perf_counter()
            summaries.prepare(month)
            db.session.commit()
            result["earlier_built_s"] = (time.perf_counter() - start, len(missing))
        if summaries_views.find(month) is not None:
            raise SystemExit(f"a summary of {month} is stored; the benchmark needs the month unpublished")
        clock = CpuClock(app)
        start, cpu = time.perf_counter(), clock.seconds()
        summaries.generate(month)
        result["s"], result["cpu_s"] = time.perf_counter() - start, clock.seconds() - cpu
        db.session.rollback()
    return result


def deadline_watch(app, info: dict[str, str], reps: int) -> dict[str, Any]:
    """scan(t0) — everything already done — and scan(catch_up), each rolled back after."""
    from feedback.extensions import db
    from feedback.services.notices import deadline_watch as watch

    t0, catch_up = datetime.fromisoformat(info["t0"]), datetime.fromisoformat(info["catch_up"])
    out: dict[str, Any] = {}
    engine = _engine(app)
    with app.app_context():

        def idle():
            with statements(engine) as seen:
                counts = watch.scan(t0)
            db.session.rollback()
            return counts, len(seen)

        out["idle_ms"], (out["idle_counts"], out["idle_statements"]), out["idle_cpu_ms"] = median_ms(
            idle, reps, CpuClock(app)
        )
        clock = CpuClock(app)
        with statements(engine) as seen:
            start, cpu = time.perf_counter(), clock.seconds()
            counts = watch.scan(catch_up)
            out["catch_up_s"], out["catch_up_cpu_s"] = time.perf_counter() - start, clock.seconds() - cpu
        db.session.rollback()
        out["catch_up_counts"] = counts
        out["catch_up_notices"] = (
            counts.get("due_soon", 0)
            + counts.get("unacknowledged", 0)
            + 2 * counts.get("overdue", 0)
            + counts.get("tongbao", 0)
        )
        out["catch_up_statements"] = len(seen)
    return out
