"""系统状态 (admin): where the holiday data comes from, the scheduled jobs' last runs and their run history."""

from __future__ import annotations

from datetime import datetime

from flask import g, render_template, request

from feedback.clock import now
from feedback.console import bp, pages
from feedback.errors import Forbidden
from feedback.jobs import runner
from feedback.labels import JOB_OUTCOME_LABELS
from feedback.services.handling import provisional
from feedback.timeutil import CHINA, local_date


def _when(moment: datetime | None) -> str:
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M") if moment else "—"


def _run(run) -> dict | None:
    if run is None:
        return None
    detail = ""
    if run.outcome == "success":
        detail = "，".join(f"{k} {v}" for k, v in (run.counts or {}).items())
    elif run.error:
        detail = run.error.splitlines()[0][:200]
    return {
        "when": _when(run.started_at),
        "outcome": run.outcome,
        "label": JOB_OUTCOME_LABELS.get(run.outcome, run.outcome),
        "detail": detail,
    }


@bp.route("/system")
def system():
    if g.staff.role != "admin":
        raise Forbidden("只有系统管理员可以查看系统状态")
    jobs = [
        {
            "id": row["spec"].id,
            "trigger": runner.describe_trigger(row["spec"]),
            "description": row["spec"].description,
            "last": _run(row["last_run"]),
            "last_success": _run(row["last_success"]),
        }
        for row in runner.schedule_status()
    ]
    # The run history (GET /api/staff/v1/jobs/runs), newest first, optionally of one job.
    job_id = request.args.get("job", "")
    job_id = job_id if job_id in {job["id"] for job in jobs} else ""
    paging = pages.paging()
    runs, runs_total = runner.list_runs(job_id or None, paging.page, paging.per_page)
    return render_template(
        "console/system.html",
        calendar=provisional.status(local_date(now())),
        jobs=jobs,
        warning_days=provisional.COVERAGE_WARNING_DAYS,
        runs=[{"job_id": run.job_id, "holder": run.holder, **(_run(run) or {})} for run in runs],
        runs_total=runs_total,
        paging=paging,
        job_id=job_id,
    )
