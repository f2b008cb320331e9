"""What a job body receives from the runner."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class JobContext:
    job_id: str
    run_id: int
    now: datetime  # the application clock when the run started (tests freeze it)
    params: dict = field(default_factory=dict)  # e.g. {"month": "2026-10"} for an on-demand run
