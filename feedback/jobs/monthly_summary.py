"""Jobs for the monthly tag-trend summary: nightly fact refresh and the 1st-of-month publication.

Thin bodies over ``services.reporting.monthly_facts`` and ``services.reporting.summaries`` (whether a
month is stored is read from ``summaries_views``); they flush and the runner commits once. Both are
idempotent: a refresh replaces a month's facts with identical rows, and a published month is never
rebuilt unless ``force`` is given.
"""

from __future__ import annotations

from datetime import date

from feedback.jobs.context import JobContext
from feedback.services.reporting import summaries, summaries_views
from feedback.services.reporting.monthly_facts import current_month, parse_month, refresh_month, shift

TRUE = ("1", "true", "yes", "on")


def _month(ctx: JobContext) -> date | None:
    value = (ctx.params or {}).get("month")
    return parse_month(str(value)) if value else None


def _force(ctx: JobContext) -> bool:
    value = (ctx.params or {}).get("force", False)
    return value is True or str(value).lower() in TRUE


def refresh_facts(ctx: JobContext) -> dict[str, int]:
    """Recompute the current and the previous month (late changes to last month still land), or params month."""
    this_month = current_month(ctx.now)
    months = [m] if (m := _month(ctx)) else [shift(this_month, -1), this_month]
    counts = {"months": 0, "facts": 0, "department_facts": 0}
    for month in months:
        done = refresh_month(month)
        counts["months"] += 1
        counts["facts"] += done["facts"]
        counts["department_facts"] += done["department_facts"]
    return counts


def publish(ctx: JobContext) -> dict[str, int]:
    """Store last month's summary unless it is already stored (or params month; force=true rebuilds).

    Scheduled on the 1st; on any other day it only catches up a month the 1st's run missed, so a
    published month stays exactly as published.
    """
    month = _month(ctx) or shift(current_month(ctx.now), -1)
    force = _force(ctx)
    if summaries_views.find(month) is not None and not force:
        return {"published": 0, "skipped": 1}
    summaries.prepare(month)  # earlier months without facts are built here, in the job, never in a request
    summaries.generate(month, force=force)
    return {"published": 1, "skipped": 0}
