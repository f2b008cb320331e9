"""The job runner, its database lease, the operator commands, the scheduler and the admin view.

Jobs used here are defined in this module. In-process tests hand the runner their JobSpec;
real ``flask jobs run-once`` processes find them through ``TEST_JOBS``, read by the test harness
``tests.support.frozen_flask`` (production code has no hook for extra jobs).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from feedback.extensions import db as _db
from feedback.jobs import runner, schedule
from feedback.jobs.context import JobContext
from feedback.jobs.schedule import SCHEDULE, JobSpec
from feedback.models import IdempotencyRecord, JobLease, JobRun

STAFF = "/api/staff/v1"
PROJECT_DIR = Path(__file__).resolve().parent.parent
T0 = datetime(2026, 1, 30, 19, 0, tzinfo=UTC)  # Saturday 31 January 03:00 China time

calls: list[JobContext] = []


def add_record(ctx: JobContext) -> dict[str, int]:
    """A thin job: adds a row (the runner commits it) and counts what it did."""
    calls.append(ctx)
    _db.session.add(IdempotencyRecord(lookup=f"job-{ctx.run_id}", sealed=b"x", expires_at=ctx.now))
    return {"added": 1}


def add_then_fail(ctx: JobContext) -> dict[str, int]:
    calls.append(ctx)
    _db.session.add(IdempotencyRecord(lookup=f"job-{ctx.run_id}", sealed=b"x", expires_at=ctx.now))
    _db.session.flush()
    raise ValueError("上游数据格式不对")


def wait_for_rival(ctx: JobContext) -> dict[str, int]:
    """Hold the lease until the other process has tried and been skipped (never by timing)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        _db.session.rollback()  # a fresh snapshot each poll
        skipped = _db.session.scalar(
            select(func.count()).select_from(JobRun).where(JobRun.job_id == ctx.job_id, JobRun.outcome == "skipped")
        )
        if skipped:
            return {"rivals_skipped": skipped}
        time.sleep(0.05)
    raise TimeoutError("the rival process never tried to run the job")


ADD = JobSpec("test-add", f"{__name__}:add_record", "interval", {"minutes": 5}, "测试：写一行")
FAIL = JobSpec("test-fail", f"{__name__}:add_then_fail", "interval", {"minutes": 5}, "测试：写一行后失败")
RIVAL = JobSpec(
    "test-rival", f"{__name__}:wait_for_rival", "interval", {"minutes": 5}, "测试：等待另一个进程", lease_seconds=120
)
EXTRA_JOBS = (ADD, FAIL, RIVAL)


@pytest.fixture(autouse=True)
def _forget_calls():
    calls.clear()


@pytest.fixture
def clock(app):
    clock = app.extensions["clock"]
    clock.freeze(T0)
    return clock


@pytest.fixture
def extra_jobs(monkeypatch):
    monkeypatch.setattr(schedule, "SCHEDULE", (*schedule.SCHEDULE, *EXTRA_JOBS))


def records(db) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(IdempotencyRecord))


def lease(db, job_id: str) -> JobLease | None:
    db.session.rollback()
    return db.session.get(JobLease, job_id)


def runs(db, job_id: str) -> list[JobRun]:
    db.session.rollback()
    return list(db.session.scalars(select(JobRun).where(JobRun.job_id == job_id).order_by(JobRun.id)))


# ------------------------------------------------------------------------------------------ runner


def test_a_run_is_recorded_with_counts_and_its_work_committed(app, db, clock):
    run = runner.run_job(ADD.id, spec=ADD, params={"month": "2026-01"}, holder="host-a:1")
    assert (run.outcome, run.counts, run.holder) == ("success", {"added": 1}, "host-a:1")
    assert run.started_at == T0 and run.finished_at == T0 and run.error is None
    (ctx,) = calls
    assert (ctx.job_id, ctx.run_id, ctx.now, ctx.params) == (ADD.id, run.id, T0, {"month": "2026-01"})
    assert records(db) == 1  # committed by the runner
    free = lease(db, ADD.id)
    assert free.holder is None and free.expires_at is None and free.acquired_at == T0


def test_a_failing_job_is_recorded_rolled_back_and_frees_the_lease(app, db, clock, caplog):
    run = runner.run_job(FAIL.id, spec=FAIL)
    assert run.outcome == "failed" and run.counts is None
    # Type and place only: exception text can carry statement parameters (feedback.failures).
    assert run.error.startswith("ValueError at tests/test_jobs.py:") and "in add_then_fail" in run.error
    assert "上游数据格式不对" not in run.error and "上游数据格式不对" not in caplog.text
    assert records(db) == 0  # the half-done work is gone
    assert lease(db, FAIL.id).holder is None
    assert "job test-fail" in caplog.text and "ValueError at tests/test_jobs.py" in caplog.text
    clock.advance(minutes=5)
    assert runner.run_job(FAIL.id, spec=FAIL).outcome == "failed"  # tried again, not skipped
    assert len(calls) == 2


def test_a_held_lease_makes_the_second_run_skip_and_say_so(app, db, clock):
    assert runner.acquire_lease(ADD.id, "other-host:4242", T0, 900)
    clock.advance(minutes=14)
    run = runner.run_job(ADD.id, spec=ADD)
    assert run.outcome == "skipped" and calls == [] and records(db) == 0
    assert "other-host:4242" in run.error and "租约被占用" in run.error
    assert lease(db, ADD.id).holder == "other-host:4242"  # the holder keeps it


def test_an_expired_lease_of_a_crashed_process_is_taken_over(app, db, clock):
    assert runner.acquire_lease(ADD.id, "crashed:99", T0, ADD.lease_seconds)
    db.session.add(JobRun(job_id=ADD.id, holder="crashed:99", started_at=T0, outcome="running"))
    db.session.commit()
    clock.advance(seconds=ADD.lease_seconds)
    run = runner.run_job(ADD.id, spec=ADD, holder="new:1")
    assert run.outcome == "success" and records(db) == 1
    crashed, taken_over = runs(db, ADD.id)
    assert crashed.outcome == "failed" and "运行未正常结束" in crashed.error
    assert taken_over.id == run.id and lease(db, ADD.id).holder is None


@pytest.mark.subprocess
def test_two_real_processes_started_together_run_the_job_once(app, db):
    env = {
        **os.environ,
        "FEEDBACK_ENV": "testing",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "UPLOAD_DIR": app.config["UPLOAD_DIR"],
        "TEST_JOBS": "tests.test_jobs:EXTRA_JOBS",
    }
    command = [sys.executable, "-m", "tests.support.frozen_flask", "--app", "feedback", "jobs", "run-once", RIVAL.id]
    procs = [
        subprocess.Popen(command, cwd=PROJECT_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    results = [(p.wait(timeout=60), *p.communicate()) for p in procs]
    assert sorted(code for code, _, _ in results) == [0, 1], results
    ((_, ran_out, _),) = [r for r in results if r[0] == 0]
    ((_, _, skipped_err),) = [r for r in results if r[0] == 1]
    assert "运行成功" in ran_out and "rivals_skipped=1" in ran_out
    assert "未运行" in skipped_err and "租约被占用" in skipped_err
    outcomes = sorted(r.outcome for r in runs(db, RIVAL.id))
    assert outcomes == ["skipped", "success"]
    holders = {r.holder.split(":")[1] for r in runs(db, RIVAL.id)}
    assert holders == {str(p.pid) for p in procs}
    assert lease(db, RIVAL.id).holder is None


def test_production_code_runs_only_the_schedule(app, monkeypatch):
    """The old JOBS_EXTRA hook is gone: no variable makes the runner import a job the schedule lacks."""
    monkeypatch.setenv("JOBS_EXTRA", f"{__name__}:EXTRA_JOBS")
    monkeypatch.setenv("TEST_JOBS", f"{__name__}:EXTRA_JOBS")
    assert runner.find_spec(ADD.id) is None
    assert runner.find_spec("retention").func == "feedback.jobs.retention:run"


# --------------------------------------------------------------------------------------- commands


def record(db, job_id: str, started: datetime, outcome: str, counts=None, error=None) -> None:
    db.session.add(
        JobRun(
            job_id=job_id,
            holder="vm:7",
            started_at=started,
            finished_at=started,
            outcome=outcome,
            counts=counts,
            error=error,
        )
    )
    db.session.commit()


def test_jobs_list_shows_every_job_with_its_last_run(runner_cli, db, clock):
    record(db, "monthly-summary", datetime(2026, 1, 31, 22, 0, tzinfo=UTC), "success", {"published": 1})
    record(db, "retention", T0 - timedelta(days=1), "success", {"feedback_purged": 3})
    record(db, "retention", T0, "failed", error="OperationalError: database is locked\nmore")
    out = runner_cli.invoke(args=["jobs", "list"])
    assert out.exit_code == 0, out.output
    for spec in SCHEDULE:
        assert f"{spec.id}\t" in out.output and spec.description in out.output
    assert "monthly-summary\tcron day=1 hour=6 minute=0" in out.output
    assert "最近运行：2026-02-01 06:00:00 成功（published=1）" in out.output
    assert "最近运行：2026-01-31 03:00:00 失败：OperationalError: database is locked\n" in out.output
    assert "最近成功：2026-01-30 03:00:00 成功（feedback_purged=3）" in out.output
    assert "deadline-watch\tcron hour=8-20 minute=5" in out.output and "从未运行" in out.output


def test_jobs_check_tells_monitoring_whether_the_scheduler_works(runner_cli, db, clock):
    idle = runner_cli.invoke(args=["jobs", "check"])
    assert idle.exit_code == 1 and "调度进程可能未运行" in idle.output
    record(db, "outbox-sender", T0 - timedelta(minutes=2), "success", {"sent": 0})
    assert runner_cli.invoke(args=["jobs", "check"]).exit_code == 0
    clock.advance(minutes=4)
    late = runner_cli.invoke(args=["jobs", "check", "--within-minutes", "5"])
    assert late.exit_code == 1 and "2026-01-31 02:58:00" in late.output


def test_run_once_runs_through_the_lease_and_reports_the_outcome(runner_cli, db, clock, extra_jobs):
    done = runner_cli.invoke(args=["jobs", "run-once", ADD.id, "--param", "month=2026-01", "--param", "dry=1"])
    assert done.exit_code == 0, done.output
    assert "任务 test-add 运行成功" in done.output and "added=1" in done.output
    assert calls[0].params == {"month": "2026-01", "dry": "1"}

    failed = runner_cli.invoke(args=["jobs", "run-once", FAIL.id])
    assert failed.exit_code == 1 and "运行失败" in failed.output and "ValueError at tests/test_jobs.py" in failed.output

    runner.acquire_lease(ADD.id, "scheduler-host:12", T0, 900)
    held = runner_cli.invoke(args=["jobs", "run-once", ADD.id])
    assert held.exit_code == 1 and "未运行" in held.output and "scheduler-host:12" in held.output

    unknown = runner_cli.invoke(args=["jobs", "run-once", "no-such-job"])
    assert unknown.exit_code == 2 and "没有编号为 no-such-job 的任务" in unknown.output
    bad = runner_cli.invoke(args=["jobs", "run-once", ADD.id, "--param", "month"])
    assert bad.exit_code == 2 and "key=value" in bad.output


@pytest.fixture
def runner_cli(app):
    return app.test_cli_runner()


# -------------------------------------------------------------------------------------- scheduler


def test_the_scheduler_is_built_from_the_schedule_with_coalescing_and_one_instance(app, clock):
    from feedback.jobs.scheduler import build_scheduler

    scheduler = build_scheduler(app)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert list(jobs) == [spec.id for spec in SCHEDULE]
    assert str(scheduler.timezone) == "Asia/Shanghai"
    for spec in SCHEDULE:
        job = jobs[spec.id]
        assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, 3600)
        assert job.args == (app, spec.id) and job.name == spec.description
    summary = jobs["monthly-summary"].trigger
    # Due at 06:00 China time on the first of the month, across the month end.
    assert summary.get_next_fire_time(None, T0) == datetime(2026, 2, 1, 6, 0, tzinfo=summary.timezone)
    assert jobs["outbox-sender"].trigger.interval == timedelta(minutes=1)


def test_a_cron_job_missed_while_the_scheduler_was_down_runs_at_start(app, db, clock):
    from feedback.jobs.scheduler import build_scheduler

    record(db, "monthly-summary", datetime(2026, 1, 1, 0, 0, tzinfo=UTC), "success")  # Jan 1st 08:00
    record(db, "retention", datetime(2026, 1, 31, 19, 15, tzinfo=UTC), "success")  # Feb 1st 03:15, on time
    clock.freeze(datetime(2026, 2, 1, 1, 0, tzinfo=UTC))  # Feb 1st 09:00: 06:00 passed while down
    jobs = {job.id: job for job in build_scheduler(app).get_jobs()}
    assert jobs["monthly-summary"].next_run_time == datetime(2026, 2, 1, 1, 0, tzinfo=UTC)
    assert getattr(jobs["retention"], "next_run_time", None) is None  # next due Feb 2nd 03:15
    clock.freeze(T0)
    jobs = {job.id: job for job in build_scheduler(app).get_jobs()}
    assert getattr(jobs["monthly-summary"], "next_run_time", None) is None


def test_a_scheduler_trigger_runs_the_job_through_the_runner(app, db, clock, extra_jobs):
    from feedback.jobs.scheduler import build_scheduler

    (job,) = build_scheduler(app, schedule=[ADD]).get_jobs()
    job.func(*job.args, **job.kwargs)  # what APScheduler calls when the job is due
    (run,) = runs(db, ADD.id)
    assert run.outcome == "success" and run.counts == {"added": 1}


@pytest.mark.subprocess
def test_the_scheduler_process_stops_cleanly_on_sigterm(app, db):
    env = {
        **os.environ,
        "FEEDBACK_ENV": "testing",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "UPLOAD_DIR": app.config["UPLOAD_DIR"],
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "feedback", "jobs", "run"],
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = []
        for line in proc.stdout:  # blocks until the process says it is up
            lines.append(line)
            if "Scheduler started" in line:
                break
        assert any("调度进程已启动" in line and f"共 {len(SCHEDULE)} 个任务" in line for line in lines), lines
        proc.send_signal(signal.SIGTERM)
        rest = proc.communicate(timeout=30)[0]
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, rest
    assert "stopping the scheduler" in rest and "scheduler stopped" in rest


@pytest.mark.subprocess
def test_the_web_app_never_starts_a_scheduler(app):
    code = (
        "import sys; from feedback import create_app; app = create_app({'FEEDBACK_ENV': 'testing'}); "
        "app.test_client().get('/api/openapi.json'); import threading; "
        "assert 'apscheduler' not in sys.modules, 'apscheduler imported'; "
        "assert threading.active_count() == 1, threading.enumerate()"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


# ------------------------------------------------------------------------------------------ admin


def test_admins_see_the_schedule_and_the_runs_newest_first(client, db, clock, staff_login):
    record(db, "retention", T0 - timedelta(days=1), "success", {"feedback_purged": 3})
    record(db, "retention", T0, "failed", error="OperationalError: database is locked")
    record(db, "outbox-sender", T0 + timedelta(minutes=1), "skipped", error="租约被占用：vm:8（至 …）正在运行此任务")
    admin = staff_login("admin")
    reply = client.get(f"{STAFF}/jobs", headers=admin)
    assert reply.status_code == 200, reply.get_json()
    jobs = {j["id"]: j for j in reply.get_json()}
    assert list(jobs) == [spec.id for spec in SCHEDULE]
    retention = jobs["retention"]
    assert retention["trigger"] == "cron hour=3 minute=15" and retention["lease_seconds"] == 3600
    assert retention["last_run"]["outcome"] == "failed" and "locked" in retention["last_run"]["error"]
    assert retention["last_success"]["counts"] == {"feedback_purged": 3}
    assert jobs["deadline-watch"]["last_run"] is None

    page = client.get(f"{STAFF}/jobs/runs?per_page=2", headers=admin).get_json()
    assert page["total"] == 3 and [r["job_id"] for r in page["items"]] == ["outbox-sender", "retention"]
    only = client.get(f"{STAFF}/jobs/runs?job_id=retention&page=2&per_page=1", headers=admin).get_json()
    assert only["total"] == 2 and [r["outcome"] for r in only["items"]] == ["success"]
    assert only["items"][0]["started_at"] == "2026-01-29T19:00:00+00:00"
    wrong = client.get(f"{STAFF}/jobs/runs?per_page=500", headers=admin)
    assert wrong.status_code == 422 and "每页" in str(wrong.get_json()["errors"])


@pytest.mark.parametrize("role", ["triage", "viewer"])
def test_only_admins_see_the_jobs(client, staff_login, role):
    headers = staff_login(role)
    for path in ("/jobs", "/jobs/runs"):
        reply = client.get(f"{STAFF}{path}", headers=headers)
        assert reply.status_code == 403 and reply.get_json()["code"] == "forbidden"
    assert client.get(f"{STAFF}/jobs").status_code == 401
