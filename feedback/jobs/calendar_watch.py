"""Job ``calendar-watch``: correct provisional deadlines once official holiday data is there; warn the admin.

Idempotent: corrected assignments lose their provisional mark and every notice has a unique key, so
a rerun (or a second scheduler) changes nothing. Flushes only; the runner commits once.
"""

from __future__ import annotations

from feedback.jobs.context import JobContext
from feedback.services.handling import provisional
from feedback.timeutil import local_date


def run(ctx: JobContext) -> dict[str, int]:
    counts = provisional.recompute(ctx.now)
    counts["operator_notices"] = provisional.warn_operator(local_date(ctx.now))
    return counts
