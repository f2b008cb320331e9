"""Scheduled jobs, read-only, for admins: is the scheduler working, and what did each run do."""

from __future__ import annotations

from marshmallow import validate

from feedback.api import fields as f
from feedback.api.fields import PageIn, Schema
from feedback.api.staff import blp, require_roles
from feedback.jobs import runner


class JobRunOut(Schema):
    id = f.Integer()
    job_id = f.String()
    holder = f.String(metadata={"description": "运行它的进程（主机名:进程号）"})
    started_at = f.DateTime()
    finished_at = f.DateTime(allow_none=True)
    outcome = f.String(
        metadata={"description": "running 运行中 | success 成功 | failed 失败 | skipped 租约被占用而跳过"}
    )
    counts = f.Dict(keys=f.String(), values=f.Integer(), allow_none=True)
    error = f.String(allow_none=True)


class JobStatusOut(Schema):
    id = f.String()
    trigger = f.String(metadata={"description": "触发方式，如 cron hour=3 minute=15（北京时间）"})
    description = f.String()
    lease_seconds = f.Integer()
    last_run = f.Nested(JobRunOut, allow_none=True)
    last_success = f.Nested(JobRunOut, allow_none=True)


class JobRunArgs(PageIn):
    job_id = f.String(validate=validate.Length(max=64, error="任务编号不超过 64 个字符"))


class JobRunPage(Schema):
    items = f.List(f.Nested(JobRunOut))
    total = f.Integer()
    page = f.Integer()
    per_page = f.Integer()


@blp.route("/jobs", methods=["GET"])
@require_roles("admin")
@blp.response(200, JobStatusOut(many=True))
def list_jobs():
    """定时任务一览：每个任务的触发时间、最近一次运行和最近一次成功（可用来判断调度进程是否在工作）。"""
    return [
        {
            "id": row["spec"].id,
            "trigger": runner.describe_trigger(row["spec"]),
            "description": row["spec"].description,
            "lease_seconds": row["spec"].lease_seconds,
            "last_run": row["last_run"],
            "last_success": row["last_success"],
        }
        for row in runner.schedule_status()
    ]


@blp.route("/jobs/runs", methods=["GET"])
@require_roles("admin")
@blp.arguments(JobRunArgs, location="query")
@blp.response(200, JobRunPage)
def list_job_runs(args):
    """运行记录，最新的在前；可按任务编号筛选。"""
    items, total = runner.list_runs(args.get("job_id"), args["page"], args["per_page"])
    return {"items": items, "total": total, "page": args["page"], "per_page": args["per_page"]}
