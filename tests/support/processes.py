"""Real job processes: ``flask jobs run-once`` started several times at once against the test database.

Leases and claims are only proven by processes that really race, so the outbox and deadline-watch
tests start them rather than calling the job bodies in a loop.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[2]


def run_processes(app: Any, frozen: datetime, jobs: list[str], extra: dict | None = None) -> list:
    """Start ``flask --app feedback jobs run-once JOB`` for each job at once (clock frozen) and wait."""
    config = {
        "FEEDBACK_ENV": "testing",
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "NOTIFICATIONS_PATH": app.config.get("NOTIFICATIONS_PATH"),
        **(extra or {}),
    }
    env = {
        **os.environ,
        "FEEDBACK_ENV": "testing",
        "FROZEN_NOW": frozen.isoformat(),
        "PYTHONPATH": str(PROJECT),
        "TEST_JOBS": "tests.support.frozen_flask:SPECS",
    }
    command = [
        sys.executable,
        "-m",
        "tests.support.frozen_flask",
        "--app",
        f"feedback:create_app({config!r})",
        "jobs",
        "run-once",
    ]
    started = [
        subprocess.Popen(
            [*command, job], cwd=PROJECT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for job in jobs
    ]
    finished = []
    for process in started:
        out, err = process.communicate(timeout=180)
        finished.append(subprocess.CompletedProcess(process.args, process.returncode, out, err))
    return finished
