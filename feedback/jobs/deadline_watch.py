"""Job ``deadline-watch``: reminders, 超期督办 and 通报 (see feedback.services.notices.deadline_watch).

Idempotent: every notice and supervision item has a unique key, so running it again, or in two
processes at once, queues nothing twice. Flushes only; the runner commits once.
"""

from __future__ import annotations

from feedback.jobs.context import JobContext
from feedback.services.notices import deadline_watch


def run(ctx: JobContext) -> dict[str, int]:
    return deadline_watch.scan(ctx.now)
