"""make bench-data keeps working as the schema changes: a small SQLite history, checked by SQL.

A new NOT NULL column, a renamed table or a changed search index would break the generator (it
writes rows in the tables' own column order) long before anyone runs the benchmark again.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def bench_db(tmp_path_factory) -> sqlite3.Connection:
    path = tmp_path_factory.mktemp("bench") / "bench_small.db"
    done = subprocess.run(
        [sys.executable, "-m", "tests.bench.make_data", "--sqlite", str(path), "--feedback", "3000"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    conn = sqlite3.connect(path)
    yield conn
    conn.close()


def _one(conn: sqlite3.Connection, sql: str, *args) -> int:
    return conn.execute(sql, args).fetchone()[0]


def test_refuses_a_database_not_named_bench(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "tests.bench.make_data", "--sqlite", str(tmp_path / "feedback.db"), "--feedback", "10"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0 and "bench" in done.stderr
    assert not (tmp_path / "feedback.db").exists()


def test_history_has_the_planned_shape(bench_db):
    feedback = _one(bench_db, "SELECT count(*) FROM feedback")
    assert feedback == 3000
    assert 2.2 <= _one(bench_db, "SELECT count(*) FROM feedback_tags") / feedback <= 2.7
    assert 1.0 <= _one(bench_db, "SELECT count(*) FROM assignments") / feedback <= 1.2
    assert 3.0 <= _one(bench_db, "SELECT count(*) FROM events") / feedback <= 3.7
    # Every feedback is searchable, and the texts are varied.
    assert _one(bench_db, "SELECT count(*) FROM feedback_fts") == feedback
    assert _one(bench_db, "SELECT count(DISTINCT content) FROM feedback") > 0.95 * feedback
    months = _one(bench_db, "SELECT count(DISTINCT substr(submitted_on, 1, 7)) FROM feedback")
    assert months >= 24
    meta = dict(bench_db.execute("SELECT key, value FROM bench_meta"))
    assert {"t0", "catch_up", "campaign_month", "handler_department"} <= set(meta)
    campaign = _one(
        bench_db, "SELECT count(*) FROM feedback WHERE substr(submitted_on, 1, 7) = ?", meta["campaign_month"][:7]
    )
    assert campaign == round(3000 * 0.09684)


def test_the_deadline_watch_has_nothing_left_to_do_at_t0(bench_db):
    t0 = datetime.fromisoformat(dict(bench_db.execute("SELECT key, value FROM bench_meta"))["t0"])
    t0_text = t0.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    running = (
        "SELECT a.id FROM assignments a JOIN feedback f ON f.id = a.feedback_id "
        "WHERE a.status IN ('pending', 'acknowledged', 'sent_back') AND f.status != 'needs_info'"
    )
    overdue = f"{running} AND a.due_at <= ?"
    assert _one(bench_db, f"SELECT count(*) FROM ({overdue})", t0_text) > 0
    assert _one(bench_db, f"SELECT count(*) FROM ({overdue} AND a.overdue_at IS NULL)", t0_text) == 0
    unlisted = (
        f"SELECT count(*) FROM ({overdue}) AS o WHERE NOT EXISTS (SELECT 1 FROM supervisions s "
        "WHERE s.assignment_id = o.id AND s.level = 'duban' AND s.resolved_at IS NULL)"
    )
    assert _one(bench_db, unlisted, t0_text) == 0
    unnoticed = (
        f"SELECT count(*) FROM ({overdue}) AS o WHERE NOT EXISTS (SELECT 1 FROM outbox_messages m "
        "WHERE m.dedupe_key = 'assignment:' || o.id || ':overdue')"
    )
    assert _one(bench_db, unnoticed, t0_text) == 0
