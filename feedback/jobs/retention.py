"""Nightly retention job: purge long-closed feedback and expired short-lived rows.

Commits as it goes (after every batch), unlike most jobs: a first run on years of data must
not become one huge transaction, and each batch deletes image files that cannot be rolled
back anyway. A run that fails half-way leaves finished batches purged; the next run goes on.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app

from feedback.extensions import db
from feedback.jobs.context import JobContext
from feedback.jobs.runner import last_run
from feedback.jobs.schedule import SCHEDULE
from feedback.services.admin import retention

# Rows closed this close to the previous run's cutoff are looked at again (clock differences).
_OVERLAP = timedelta(days=1)


def _previous_cutoff(ctx: JobContext) -> datetime | None:
    """Everything closed before the last successful run's cutoff is already purged.

    That run recorded its retention period among its counts; without one (first run, or
    ``--param full=1``) the whole table is scanned once.
    """
    if ctx.params.get("full") not in (None, "", "0"):
        return None
    previous = last_run(ctx.job_id, outcomes=("success",), before_id=ctx.run_id)
    days = (previous.counts or {}).get("retention_days") if previous else None
    if days is None:
        return None
    return previous.started_at - timedelta(days=int(days)) - _OVERLAP


def run(ctx: JobContext) -> dict[str, int]:
    config = current_app.config
    days = config["RETENTION_DAYS"]
    if days < 1:
        raise ValueError("RETENTION_DAYS 必须是正整数")
    commit = db.session.commit
    counts = {"retention_days": days}
    counts |= retention.purge_closed_feedback(ctx.now, days=days, since=_previous_cutoff(ctx), on_batch=commit)
    counts["orphan_uploads_deleted"] = retention.purge_orphan_uploads(
        ctx.now, on_batch=commit
    ) + retention.purge_orphan_report_attachments(ctx.now, on_batch=commit)
    counts["idempotency_deleted"] = retention.purge_idempotency_records(ctx.now)
    counts["sessions_deleted"] = retention.purge_staff_sessions(ctx.now, keep_days=config["RETENTION_SESSION_DAYS"])
    run_days = config["RETENTION_JOB_RUN_DAYS"]
    counts["job_runs_deleted"] = retention.purge_job_runs(ctx.now, [spec.id for spec in SCHEDULE], keep_days=run_days)
    return counts
