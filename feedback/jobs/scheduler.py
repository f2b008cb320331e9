"""The scheduler process: APScheduler 3 in the foreground, fed from the schedule data.

Only ``flask jobs run`` builds one; ``create_app`` never does, so web workers never run jobs.
APScheduler decides *when*; the runner's database lease decides *whether*, so a second
scheduler process (or an operator's ``run-once``) never runs a job at the same time.

Jobs live in APScheduler's memory store: nothing about the schedule is kept between restarts
except our own run records. On start, a cron job whose last run is older than its last due
time (the process was down when it was due) runs once straight away, so a restart around
03:15 or the first of the month does not lose that day's or month's run.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask

from feedback.failures import log_failure
from feedback.jobs.runner import last_run, run_job
from feedback.jobs.schedule import SCHEDULE, JobSpec
from feedback.timeutil import CHINA

log = logging.getLogger("feedback.jobs")


def make_trigger(spec: JobSpec) -> BaseTrigger:
    if spec.trigger == "cron":
        return CronTrigger(timezone=CHINA, **spec.trigger_args)
    if spec.trigger == "interval":
        return IntervalTrigger(timezone=CHINA, **spec.trigger_args)
    raise ValueError(f"job {spec.id}: unknown trigger {spec.trigger!r}")


def fire(app: Flask, job_id: str) -> None:
    """What APScheduler calls: one run through the runner, in a fresh app context."""
    with app.app_context():
        try:
            run_job(job_id)
        except Exception as exc:  # the runner records body failures; this is the database itself failing
            log_failure(log, "job %s could not be run", exc, job_id)


def missed_run(spec: JobSpec, trigger: BaseTrigger, now: datetime) -> bool:
    """True when a cron job fell due after its last recorded attempt (the process was down)."""
    if spec.trigger != "cron":
        return False
    previous = last_run(spec.id, outcomes=("success", "failed"))
    if previous is None:
        return False  # a fresh installation waits for the first due time
    # The first due time strictly after that attempt began (a trigger counts "now" as due).
    due = trigger.get_next_fire_time(None, previous.started_at.astimezone(CHINA) + timedelta(seconds=1))
    return due is not None and due <= now


def build_scheduler(app: Flask, schedule: Iterable[JobSpec] = SCHEDULE) -> BlockingScheduler:
    """A configured, not yet started scheduler with one APScheduler job per JobSpec.

    Reads the run records to catch up missed cron runs, so it needs the app's database.
    """
    grace = app.config["JOBS_MISFIRE_GRACE_SECONDS"]
    scheduler = BlockingScheduler(
        timezone=CHINA, job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": grace}
    )
    with app.app_context():
        from feedback.clock import now

        moment = now().astimezone(CHINA)
        for spec in schedule:
            trigger = make_trigger(spec)
            extra: dict[str, Any] = {}
            if missed_run(spec, trigger, moment):
                log.info("job %s missed its last due time while the scheduler was down; running it now", spec.id)
                extra["next_run_time"] = moment
            scheduler.add_job(
                fire,
                trigger,
                args=(app, spec.id),
                id=spec.id,
                name=spec.description or spec.id,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=grace,
                replace_existing=True,
                **extra,
            )
    return scheduler


def run_forever(scheduler: BlockingScheduler) -> None:
    """Start in the foreground; SIGTERM or SIGINT stop it after the running jobs finish.

    A second signal while waiting exits at once (the lease then expires on its own).
    """
    stopper: list[threading.Thread] = []

    def stop(signum: int, _frame: Any) -> None:
        if stopper:
            log.warning("second signal %s: exiting without waiting for running jobs", signum)
            os._exit(1)
        log.info("signal %s: stopping the scheduler after the running jobs finish", signum)
        # shutdown() waits for the running jobs, so it must not run inside the main loop's frame.
        stopper.append(threading.Thread(target=scheduler.shutdown, name="scheduler-stop"))
        stopper[0].start()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        scheduler.start()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    for thread in stopper:
        thread.join()
    log.info("scheduler stopped")
