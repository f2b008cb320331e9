"""``make bench-data``: fill throw-away databases with the benchmark's feedback history.

PostgreSQL (``--database-url``, the database's name must contain "bench"): the database is dropped
and re-created, the schema built with ``flask db upgrade`` and ``flask seed``; then the constraints
and indexes of the big tables are dropped, every table is filled through its own COPY stream, and
keys, indexes and foreign keys are rebuilt from the definitions the migrations made, then
VACUUM ANALYZE. SQLite (``--sqlite``, file name must contain "bench"): same schema, rows by
executemany in one transaction (2×10^5 feedback by default). Rows come from tests/bench/history.py.

Also written: staff users for the harness (bench-triage, bench-handler of the busiest department)
and a ``bench_meta`` table with what the harness needs to know (t0, catch-up moment, campaign month).

Usage: python -m tests.bench.make_data --database-url postgresql://postgres@127.0.0.1:5432/bench_feedback
       python -m tests.bench.make_data --sqlite instance/bench.db --feedback 200000
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIG_TABLES = (
    "feedback",
    "feedback_tags",
    "feedback_search",
    "assignments",
    "events",
    "outbox_messages",
    "supervisions",
    "feedback_terms",
)
STAFF_PASSWORD = "Bench-Staff-2026"


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--database-url", help="PostgreSQL database to (re)create; its name must contain 'bench'")
    p.add_argument("--sqlite", help="SQLite file to (re)create; its name must contain 'bench'")
    p.add_argument("--feedback", type=int, help="feedback rows (default 10^6 PostgreSQL, 2×10^5 SQLite)")
    return p.parse_args()


def log(message: str, start: float) -> None:
    print(f"[{time.monotonic() - start:7.1f}s] {message}", flush=True)


def flask(url: str, *cmd: str) -> subprocess.CompletedProcess:
    """Run ``flask <cmd>`` on the bench database ``url``; stop the bench if it fails."""
    env = os.environ | {"DATABASE_URL": url, "FEEDBACK_ENV": "development"}
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "feedback", *cmd], env=env, cwd=ROOT, capture_output=True, text=True
    )
    if done.returncode:
        sys.exit(f"flask {' '.join(cmd)} failed on the bench database:\n{done.stdout}{done.stderr}")
    return done


def schema(url: str) -> dict:
    flask(url, "db", "upgrade")
    flask(url, "seed")
    return os.environ | {"DATABASE_URL": url, "FEEDBACK_ENV": "development"}


def reference(app):
    from sqlalchemy import select

    from feedback.extensions import db
    from feedback.models import Department, ObservationPoint, Tag
    from feedback.services.admin.search import search_tokens
    from feedback.services.admin.tagger import get_tagger
    from tests.bench.history import Reference

    with app.app_context():
        tags = {t.code: t.id for t in db.session.scalars(select(Tag))}
        departments = [
            (d.id, d.code, d.name, d.level)
            for d in db.session.scalars(
                select(Department).where(Department.is_org_department.is_(False)).order_by(Department.id)
            )
        ]
        points = [
            (p.id, p.region_code) for p in db.session.scalars(select(ObservationPoint).order_by(ObservationPoint.id))
        ]

    def tokens(text: str) -> list[str]:
        with app.app_context():
            return search_tokens(text)

    with app.app_context():
        tagger = get_tagger()
    return Reference(tags, departments, points, tokens, tagger.keyword_counts, tagger.rank_keywords)


def generate(app, total: int, writer, start: float):
    from feedback.services.handling.deadlines import work_calendar
    from tests.bench.history import History, pick_t0, plan

    ref = reference(app)
    with app.app_context():
        cal = work_calendar()
    t0 = pick_t0(cal, datetime.now(UTC))
    history = History(ref, cal, plan(total, t0))
    n = 0
    for table, row in history.rows():
        writer.write(table, row)
        if table == "feedback":
            n += 1
            if n % 100_000 == 0:
                log(f"{n:,} feedback generated", start)
    writer.close()
    history.choose_catch_up()
    return history


def staff_and_meta(app, history) -> dict:
    from sqlalchemy import func, select, text

    from feedback.extensions import db
    from feedback.models import Assignment, Department
    from feedback.services.admin.staff_auth import create_user

    p = history.plan
    with app.app_context():
        busiest = db.session.execute(
            select(Department.code)
            .join(Assignment, Assignment.department_id == Department.id)
            .group_by(Department.code)
            .order_by(func.count().desc())
            .limit(1)
        ).scalar()
        create_user("bench-triage", STAFF_PASSWORD, "triage")
        create_user("bench-handler", STAFF_PASSWORD, "handler", department_code=busiest)
        meta = {
            "t0": p.t0.isoformat(),
            "catch_up": p.catch_up.isoformat(),
            "expected_notices": str(p.expected_notices),
            "campaign_month": p.campaign_month.isoformat(),
            "handler_department": busiest,
            "staff_password": STAFF_PASSWORD,
            "generated_at": datetime.now(UTC).isoformat(),
            **{f"rows_{k}": str(v) for k, v in p.counts.items()},
        }
        db.session.execute(text("CREATE TABLE bench_meta (key VARCHAR(64) PRIMARY KEY, value TEXT NOT NULL)"))
        db.session.execute(
            text("INSERT INTO bench_meta (key, value) VALUES (:k, :v)"), [{"k": k, "v": v} for k, v in meta.items()]
        )
        db.session.commit()
    return meta


# --- PostgreSQL -------------------------------------------------------------------------------


class PgWriter:
    """One connection and one open COPY per table, written in turn as rows arrive."""

    def __init__(self, url: str) -> None:
        import psycopg

        from tests.bench.history import COLUMNS

        self.conns, self.copies, self.cms = {}, {}, {}
        for table, columns in COLUMNS.items():
            name = "feedback_search" if table == "search" else table
            if table == "search":  # the table keeps the lexemes only (services.admin.search._upsert)
                columns = ("feedback_id", "vector")
            conn = psycopg.connect(url)
            conn.execute("SET synchronous_commit = off")
            cm = conn.cursor().copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN")
            self.conns[table], self.cms[table], self.copies[table] = conn, cm, cm.__enter__()

    def write(self, table: str, row: tuple) -> None:
        if table == "search":
            # strip(to_tsvector('simple', tokens)) as tsvector text: each token is one lexeme of
            # letters and digits (services.admin.search), so quoting it is exact.
            feedback_id, tokens = row
            row = (feedback_id, " ".join(f"'{token}'" for token in tokens.split()))
        self.copies[table].write_row(row)

    def close(self) -> None:
        for table, cm in self.cms.items():
            cm.__exit__(None, None, None)
            self.conns[table].commit()
            self.conns[table].close()


def pg_drop_keys(conn) -> list[str]:
    """Drop the big tables' keys, indexes and foreign keys; return the statements that rebuild them."""
    rows = conn.execute(
        """
        SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid), c.contype
        FROM pg_constraint c
        WHERE c.contype IN ('p', 'u', 'f')
          AND (c.conrelid::regclass::text = ANY(%(t)s) OR c.confrelid::regclass::text = ANY(%(t)s))
    """,
        {"t": list(BIG_TABLES)},
    ).fetchall()
    constraint_names = {r[1] for r in rows}
    indexes = conn.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = ANY(%(t)s)",
        {"t": list(BIG_TABLES)},
    ).fetchall()
    indexes = [(n, d) for n, d in indexes if n not in constraint_names]
    foreign = [r for r in rows if r[3] == "f"]
    keys = [r for r in rows if r[3] != "f"]
    for table, name, _, _ in foreign + keys:
        conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        conn.execute(f'DROP INDEX "{name}"')
    keys.sort(key=lambda r: r[3] != "p")
    return (
        [f'ALTER TABLE {t} ADD CONSTRAINT "{n}" {d}' for t, n, d, _ in keys]
        + [d for _, d in indexes]
        + [f'ALTER TABLE {t} ADD CONSTRAINT "{n}" {d}' for t, n, d, _ in foreign]
    )


def load_postgres(url: str, total: int) -> tuple[dict, object]:
    import psycopg
    from sqlalchemy.engine import make_url

    from config.settings import normalise_database_url

    start = time.monotonic()
    target = make_url(normalise_database_url(url))
    name = target.database or ""
    if "bench" not in name:
        sys.exit(f"refusing to fill database {name!r}: its name must contain 'bench'")
    plain = target.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(
        target.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False), autocommit=True
    ) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    env = schema(url)
    log("schema built (flask db upgrade, flask seed)", start)
    with psycopg.connect(plain, autocommit=True) as conn:
        rebuild = pg_drop_keys(conn)
    app = make_app(env)
    history = generate(app, total, PgWriter(plain), start)
    log("rows loaded by COPY; rebuilding keys and indexes", start)
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '512MB'")
        conn.execute("SET max_parallel_maintenance_workers = 2")
        for statement in rebuild:
            conn.execute(statement)
        for table in BIG_TABLES:
            # Only tables keyed by their own serial id (not feedback_search, feedback_terms).
            if _has_serial_id(conn, table):
                conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT coalesce(max(id), 1) FROM {table}))"
                )
        log(f"{len(rebuild)} keys and indexes rebuilt; VACUUM ANALYZE", start)
        conn.execute("VACUUM ANALYZE")
    meta = staff_and_meta(app, history)
    log("done", start)
    return meta, history


def _has_serial_id(conn, table: str) -> bool:
    """Whether ``table`` has an ``id`` column fed by a sequence (feedback_search, feedback_terms have none)."""
    found = conn.execute(
        "SELECT pg_get_serial_sequence(%s, 'id') FROM information_schema.columns "
        "WHERE table_schema = 'public' AND table_name = %s AND column_name = 'id'",
        (table, table),
    ).fetchone()
    return found is not None and found[0] is not None


# --- SQLite -----------------------------------------------------------------------------------


class SqliteWriter:
    def __init__(self, path: str) -> None:
        from tests.bench.history import COLUMNS

        self.conn = sqlite3.connect(path)
        self.conn.execute("PRAGMA synchronous = OFF")
        self.sql = {
            t: f"INSERT INTO {'feedback_fts' if t == 'search' else t} "
            f"({', '.join('rowid' if c == 'feedback_id' and t == 'search' else c for c in cols)}) "
            f"VALUES ({', '.join('?' * len(cols))})"
            for t, cols in COLUMNS.items()
        }
        self.buffers: dict[str, list] = {t: [] for t in COLUMNS}

    @staticmethod
    def _value(v):
        if isinstance(v, datetime):
            return v.strftime("%Y-%m-%d %H:%M:%S.%f")  # SQLAlchemy's own format: comparisons stay textual
        return v.isoformat() if hasattr(v, "isoformat") else v

    def write(self, table: str, row: tuple) -> None:
        buffer = self.buffers[table]
        buffer.append(tuple(map(self._value, row)))
        if len(buffer) >= 20_000:
            self.flush(table)

    def flush(self, table: str) -> None:
        self.conn.executemany(self.sql[table], self.buffers[table])
        self.buffers[table].clear()

    def close(self) -> None:
        for table in self.buffers:
            self.flush(table)
        self.conn.commit()
        self.conn.execute("ANALYZE")
        self.conn.close()


def load_sqlite(path: str, total: int) -> tuple[dict, object]:
    start = time.monotonic()
    if "bench" not in Path(path).name:
        sys.exit(f"refusing to fill {path!r}: its file name must contain 'bench'")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).unlink(missing_ok=True)
    url = f"sqlite:///{Path(path).resolve()}"
    env = schema(url)
    log("schema built (flask db upgrade, flask seed)", start)
    app = make_app(env)
    history = generate(app, total, SqliteWriter(str(Path(path).resolve())), start)
    meta = staff_and_meta(app, history)
    log("done", start)
    return meta, history


def make_app(env: dict):
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "FEEDBACK_ENV")})
    from feedback import create_app

    return create_app()


def main() -> int:
    args = parse_args()
    if bool(args.database_url) == bool(args.sqlite):
        sys.exit("give exactly one of --database-url and --sqlite")
    sys.path.insert(0, str(ROOT))
    began = time.monotonic()
    if args.database_url:
        meta, history = load_postgres(args.database_url, args.feedback or 1_000_000)
    else:
        meta, history = load_sqlite(args.sqlite, args.feedback or 200_000)
    counts = history.plan.counts
    per = counts["feedback"] or 1
    shares = ", ".join(
        f"{counts[t]:,} {t} ({counts[t] / per:.2f} each)"
        for t in ("feedback_tags", "assignments", "events", "outbox_messages", "supervisions")
    )
    print(f"rows: {counts['feedback']:,} feedback, {shares}; {len(history.running):,} running assignments")
    print(
        f"t0 {meta['t0']}; campaign month {meta['campaign_month']} "
        f"({dict(history.plan.months)[history.plan.campaign_month]:,} feedback); catch-up at {meta['catch_up']} "
        f"(~{meta['expected_notices']} notices expected); handler department {meta['handler_department']}"
    )
    print(f"bench-data took {time.monotonic() - began:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
