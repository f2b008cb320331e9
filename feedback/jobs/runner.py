"""Run one job once: take its database lease, record the run, call the body, commit once.

The lease, not the scheduler, is what keeps a job from running twice at once: two scheduler
processes (say an old one that was never stopped and a new one), or a scheduler and an
operator's ``flask jobs run-once``, race for one conditional UPDATE and only one wins. The
loser records a ``skipped`` run, so operators see that it tried. A lease carries an expiry
(``JobSpec.lease_seconds``) so that a crashed holder does not block the job forever.

Every attempt leaves one ``JobRun`` row: ``running`` while the body works, then ``success``
with the body's counts, ``failed`` with the exception, or ``skipped``.
"""

from __future__ import annotations

import importlib
import logging
import os
import socket
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from feedback.clock import now as clock_now
from feedback.extensions import db
from feedback.failures import describe, log_failure
from feedback.jobs import schedule
from feedback.jobs.context import JobContext
from feedback.jobs.schedule import SCHEDULE, JobSpec
from feedback.models import JobLease, JobRun
from feedback.services.paging import paginate

log = logging.getLogger("feedback.jobs")

JobFunction = Callable[[JobContext], dict[str, int] | None]
_ERROR_MAX_CHARS = 2000


class UnknownJob(LookupError):
    """No job with this id in the schedule."""


def holder_name() -> str:
    """Who holds a lease: enough for an operator to find the process (host and pid)."""
    return f"{socket.gethostname()}:{os.getpid()}"[:128]


def find_spec(job_id: str) -> JobSpec | None:
    """The job of that id in the schedule (read at call time: a test harness may add its own jobs)."""
    return next((s for s in schedule.SCHEDULE if s.id == job_id), None)


def _import(target: str) -> Any:
    module_name, _, attr = target.partition(":")
    return getattr(importlib.import_module(module_name), attr)


# -- the lease ---------------------------------------------------------------------------------


def _ensure_lease_row(job_id: str) -> None:
    """A job's lease row exists from its first run on; two first runs may both try to add it."""
    if db.session.get(JobLease, job_id) is not None:
        return
    try:
        db.session.add(JobLease(job_id=job_id))
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # the other process inserted it: fine, it exists now


def acquire_lease(job_id: str, holder: str, now: datetime, seconds: int) -> bool:
    """Take the lease if it is free or expired, in one atomic UPDATE; commits."""
    _ensure_lease_row(job_id)
    table = JobLease.__table__
    result = db.session.execute(
        sa.update(table)
        .where(table.c.job_id == job_id, sa.or_(table.c.expires_at.is_(None), table.c.expires_at <= now))
        .values(holder=holder, acquired_at=now, expires_at=now + timedelta(seconds=seconds))
    )
    db.session.commit()
    return result.rowcount == 1


def release_lease(job_id: str, holder: str) -> None:
    """Give the lease back, but only if it is still ours (a taker-over keeps theirs); commits."""
    table = JobLease.__table__
    db.session.execute(
        sa.update(table).where(table.c.job_id == job_id, table.c.holder == holder).values(holder=None, expires_at=None)
    )
    db.session.commit()


def _close_abandoned_runs(job_id: str, now: datetime) -> None:
    """With the lease in hand no one else runs this job, so any ``running`` row is a dead one."""
    db.session.execute(
        sa.update(JobRun)
        .where(JobRun.job_id == job_id, JobRun.outcome == "running")
        .values(outcome="failed", finished_at=now, error="运行未正常结束（进程中断或租约过期），已由下一次运行接管")
    )


# -- running -----------------------------------------------------------------------------------


def run_job(
    job_id: str, *, params: dict[str, Any] | None = None, holder: str | None = None, spec: JobSpec | None = None
) -> JobRun:
    """Run ``job_id`` now under its lease and return the recorded run (never raises for the body).

    ``spec`` lets a caller (tests) run a job that is not in the schedule. Needs an app context.
    """
    spec = spec or find_spec(job_id)
    if spec is None:
        raise UnknownJob(job_id)
    holder = holder or holder_name()
    started = clock_now()
    if not acquire_lease(spec.id, holder, started, spec.lease_seconds):
        return _record_skipped(spec.id, holder, started)

    try:
        _close_abandoned_runs(spec.id, started)
        run = JobRun(job_id=spec.id, holder=holder, started_at=started, outcome="running")
        db.session.add(run)
        db.session.commit()
        run_id = run.id
        return _execute(spec, run_id, started, dict(params or {}))
    finally:
        db.session.rollback()
        release_lease(spec.id, holder)


def _execute(spec: JobSpec, run_id: int, started: datetime, params: dict[str, Any]) -> JobRun:
    context = JobContext(job_id=spec.id, run_id=run_id, now=started, params=params)
    try:
        function: JobFunction = _import(spec.func)
        counts = _clean_counts(function(context))
        run = db.session.get(JobRun, run_id)
        run.outcome, run.counts, run.finished_at = "success", counts, clock_now()
        db.session.commit()  # the body's changes and the success mark, together
    except Exception as exc:
        db.session.rollback()
        log_failure(log, "job %s (run %s) failed", exc, spec.id, run_id)
        run = db.session.get(JobRun, run_id)
        run.outcome, run.finished_at = "failed", clock_now()
        run.error = describe(exc)[:_ERROR_MAX_CHARS]
        db.session.commit()
        return run
    log.info("job %s (run %s) succeeded: %s", spec.id, run_id, counts)
    return run


def _clean_counts(counts: Any) -> dict[str, int]:
    if counts is None:
        return {}
    if not isinstance(counts, dict):
        raise TypeError(f"a job must return a dict of counts, not {type(counts).__name__}")
    return {str(k): int(v) for k, v in counts.items()}


def _record_skipped(job_id: str, holder: str, started: datetime) -> JobRun:
    lease = db.session.get(JobLease, job_id)
    held = lease is not None and lease.expires_at is not None
    owner = f"{lease.holder}（至 {lease.expires_at:%Y-%m-%d %H:%M:%S} UTC）" if held else "另一进程"
    run = JobRun(
        job_id=job_id,
        holder=holder,
        started_at=started,
        finished_at=started,
        outcome="skipped",
        error=f"租约被占用：{owner}正在运行此任务",
    )
    db.session.add(run)
    db.session.commit()
    log.info("job %s skipped: lease held by %s", job_id, lease.holder if lease else "?")
    return run


# -- reading the record ------------------------------------------------------------------------


def last_run(job_id: str, *, outcomes: Iterable[str] | None = None, before_id: int | None = None) -> JobRun | None:
    """The newest run of a job (optionally only with these outcomes, or older than a run)."""
    stmt = sa.select(JobRun).where(JobRun.job_id == job_id)
    if outcomes is not None:
        stmt = stmt.where(JobRun.outcome.in_(list(outcomes)))
    if before_id is not None:
        stmt = stmt.where(JobRun.id < before_id)
    return db.session.scalars(stmt.order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(1)).first()


def schedule_status(schedule: Iterable[JobSpec] = SCHEDULE) -> list[dict[str, Any]]:
    """Each scheduled job with its last run and last success: what an operator checks first."""
    return [
        {"spec": spec, "last_run": last_run(spec.id), "last_success": last_run(spec.id, outcomes=["success"])}
        for spec in schedule
    ]


def failed_since(moment: datetime) -> list[JobRun]:
    """Runs that failed since ``moment``, oldest first (a job that fails every hour shows each time)."""
    stmt = sa.select(JobRun).where(JobRun.outcome == "failed", JobRun.started_at >= moment).order_by(JobRun.id)
    return list(db.session.scalars(stmt))


def list_runs(job_id: str | None, page: int, per_page: int) -> tuple[list[JobRun], int]:
    """Runs, newest first, one page; the total counts the filtered runs.

    One job's runs come in start order off the (job_id, started_at) index; all runs come in
    id order off the primary key, which is the order they were recorded in.
    """
    stmt = sa.select(JobRun).order_by(JobRun.id.desc())
    if job_id:
        stmt = sa.select(JobRun).where(JobRun.job_id == job_id).order_by(JobRun.started_at.desc(), JobRun.id.desc())
    return paginate(stmt, page, per_page, scalars=True)


def describe_trigger(spec: JobSpec) -> str:
    """A short human reading of the trigger, e.g. ``cron hour=8-20 minute=5``."""
    return " ".join([spec.trigger, *(f"{k}={v}" for k, v in spec.trigger_args.items())])
