"""``flask jobs``: the scheduler process and the operator's view of it.

``flask jobs run`` is the one long-running scheduler process (exactly one per deployment);
``list`` and ``check`` read the run records it leaves; ``run-once`` runs a job now through
the same lease, so it never overlaps the scheduler's own run of that job.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import click
from flask import current_app
from flask.cli import with_appcontext

from feedback.clock import now
from feedback.jobs import runner
from feedback.jobs.schedule import SCHEDULE
from feedback.labels import JOB_OUTCOME_LABELS
from feedback.models import JobRun
from feedback.services.handling import provisional
from feedback.timeutil import CHINA, local_date

OUTCOMES = JOB_OUTCOME_LABELS


def _when(moment: datetime | None) -> str:
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S") if moment else "—"


def _counts(counts: dict | None) -> str:
    return "，".join(f"{k}={v}" for k, v in (counts or {}).items()) or "无计数"


def _describe(run: JobRun | None) -> str:
    if run is None:
        return "从未运行"
    text = f"{_when(run.started_at)} {OUTCOMES.get(run.outcome, run.outcome)}"
    if run.outcome == "success":
        text += f"（{_counts(run.counts)}）"
    elif run.error:
        text += f"：{run.error.splitlines()[0][:200]}"
    return text


@click.group("jobs")
def jobs_group() -> None:
    """定时任务：运行调度进程、查看各任务最近一次运行、立即运行某个任务。"""


@jobs_group.command("run")
@with_appcontext
def run_command() -> None:
    """启动调度进程（前台运行，Ctrl-C 或 SIGTERM 在当前任务结束后退出）。整个部署只运行一个。"""
    from feedback.jobs.scheduler import build_scheduler, run_forever

    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("feedback").setLevel(logging.INFO)
    # APScheduler's own per-run lines repeat ours (one line per run, see feedback.jobs).
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    scheduler = build_scheduler(current_app._get_current_object())
    logging.getLogger("apscheduler.scheduler").setLevel(logging.INFO)  # start and shutdown
    click.echo(f"调度进程已启动（{runner.holder_name()}），共 {len(scheduler.get_jobs())} 个任务；时区 Asia/Shanghai")
    run_forever(scheduler)


@jobs_group.command("list")
@with_appcontext
def list_command() -> None:
    """列出全部任务：编号、触发时间、说明、最近一次运行及结果、最近一次成功。"""
    for row in runner.schedule_status():
        spec = row["spec"]
        click.echo(f"{spec.id}\t{runner.describe_trigger(spec)}\t{spec.description}")
        click.echo(f"  最近运行：{_describe(row['last_run'])}")
        if row["last_run"] is not None and row["last_run"].outcome != "success":
            click.echo(f"  最近成功：{_describe(row['last_success'])}")


def _calendar_problems() -> list[str]:
    state = provisional.status(local_date(now()))
    problems = []
    if state.file_problem:
        problems.append(f"holidays.yaml 有误，未生效：{state.file_problem}")
    if state.coverage_ending:
        problems.append(
            f"正式节假日安排只覆盖到 {state.official_until}（还有 {state.days_left} 天），"
            f"自 {state.provisional_from} 起新期限为暂定：请在国务院办公厅公布次年安排后"
            f"升级 chinesecalendar 或填写 config/holidays.yaml，详见 flask calendar status"
        )
    return problems


@jobs_group.command("check")
@click.option(
    "--within-minutes",
    type=click.IntRange(min=1),
    default=5,
    show_default=True,
    help="最近多少分钟内应有任务运行记录（发送通知任务每分钟运行一次）",
)
@with_appcontext
def check_command(within_minutes: int) -> None:
    """供监控使用：调度进程是否在运行、24 小时内有无失败的任务、节假日数据是否即将用完或有误；有问题时退出码为 1。"""
    moment = now()
    problems = []
    latest = max((r["last_run"].started_at for r in runner.schedule_status() if r["last_run"]), default=None)
    if latest is None or latest < moment - timedelta(minutes=within_minutes):
        problems.append(f"调度进程可能未运行：最近一次任务运行在 {_when(latest)}，超过 {within_minutes} 分钟")
    for run in runner.failed_since(moment - timedelta(hours=24)):
        first_line = (run.error or "").splitlines()[0][:200] if run.error else "未记录原因"
        problems.append(f"任务 {run.job_id} 于 {_when(run.started_at)} 运行失败（运行记录 #{run.id}）：{first_line}")
    problems += _calendar_problems()
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        raise click.exceptions.Exit(1)
    click.echo(f"调度进程正常：最近一次任务运行在 {_when(latest)}；24 小时内没有失败的任务；节假日数据正常")


def _params(pairs: tuple[str, ...]) -> dict[str, str]:
    params = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"应写成 key=value，收到 {pair!r}", param_hint="--param")
        params[key.strip()] = value.strip()
    return params


@jobs_group.command("run-once")
@click.argument("job_id")
@click.option(
    "--param", "pairs", multiple=True, metavar="KEY=VALUE", help="传给任务的参数，可重复，如 --param month=2026-10"
)
@with_appcontext
def run_once_command(job_id: str, pairs: tuple[str, ...]) -> None:
    """立即运行一次某个任务（与调度进程共用租约，不会同时运行两份）。失败或未能取得租约时退出码为 1。"""
    params = _params(pairs)
    if runner.find_spec(job_id) is None:
        known = "、".join(s.id for s in SCHEDULE)
        raise click.BadParameter(f"没有编号为 {job_id} 的任务；可用的任务：{known}", param_hint="JOB_ID")
    run = runner.run_job(job_id, params=params)
    if run.outcome == "success":
        click.echo(f"任务 {job_id} 运行成功（运行记录 #{run.id}）：{_counts(run.counts)}")
        return
    if run.outcome == "skipped":
        click.echo(f"任务 {job_id} 未运行：{run.error}。请稍后再试。", err=True)
    else:
        click.echo(f"任务 {job_id} 运行失败（运行记录 #{run.id}）：{run.error}", err=True)
    raise click.exceptions.Exit(1)
