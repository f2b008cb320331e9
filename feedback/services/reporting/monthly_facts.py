"""Monthly facts: the pre-aggregated counts every monthly summary is built from (DESIGN §7).

A month's facts are recomputed from that month's feedback only (``submitted_on`` is indexed) and
its assignments, by deleting the month's rows and inserting fresh ones in the caller's transaction,
so running a refresh twice at the same moment gives identical rows. Summaries never scan feedback.

What is counted, and why:
- feedback submitted in the month (China local date), except ``merged`` duplicates, which would
  count one burden twice; rejected feedback still counts, because the burden was reported;
- ``term`` facts come from jieba keywords of each feedback's content, cut once at intake
  (``reporting.terms``; not of purged content, which is gone); a term counts the feedback
  containing it, and only the top ``TERM_LIMIT`` are kept, so a term below that cut in an earlier
  month counts as 0 in its baseline;
- department facts cover the assignments assigned in the month, except ``returned`` ones (misrouted:
  not the department's work). Ratings are the reporter's rating of the feedback, shared by every
  department that had a part in it; 满意 and 基本满意 count as satisfied.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time

from sqlalchemy import delete, func, select

from feedback.clock import now
from feedback.extensions import db
from feedback.models import (
    Assignment,
    Feedback,
    FeedbackTag,
    MonthlyDepartmentFact,
    MonthlyFact,
    ObservationPoint,
    Tag,
)
from feedback.services.handling.deadlines import work_calendar
from feedback.services.reporting import terms
from feedback.timeutil import CHINA, local_date
from feedback.workflow import RUNNING_ASSIGNMENT

DIMENSIONS = ("total", "tag", "kind", "unit_level", "region", "point", "term")
UNKNOWN = "unknown"
EXCLUDED_STATUSES = ("merged",)
SATISFIED_RATINGS = ("satisfied", "basically_satisfied")
TERM_LIMIT = 200
MONTH_RE = re.compile(r"2\d{3}-(0[1-9]|1[0-2])")


# ------------------------------------------------------------------------------------------ months


def parse_month(text: str) -> date:
    """``"2026-09"`` -> 2026-09-01; ValueError for anything else (years 2000–2999 only)."""
    if not isinstance(text, str) or not MONTH_RE.fullmatch(text):
        raise ValueError(f"month must look like YYYY-MM, got {text!r}")
    return date(int(text[:4]), int(text[5:]), 1)


def label(month: date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def shift(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def current_month(moment: datetime | None = None) -> date:
    """The month of the local (China) date of ``moment`` (default: the app clock)."""
    return local_date(moment or now()).replace(day=1)


def local_bounds(month: date) -> tuple[datetime, datetime]:
    """The UTC instants at which a local month starts and ends."""
    start = datetime.combine(month, time(0), tzinfo=CHINA).astimezone(UTC)
    end = datetime.combine(shift(month, 1), time(0), tzinfo=CHINA).astimezone(UTC)
    return start, end


# ------------------------------------------------------------------------------------------ refresh


def has_facts(month: date) -> bool:
    """A refreshed month always has its ``total`` row, even when nothing was submitted."""
    return (
        db.session.scalar(
            select(MonthlyFact.id).where(MonthlyFact.month == month, MonthlyFact.dimension == "total").limit(1)
        )
        is not None
    )


def refresh_month(month: date) -> dict[str, int]:
    """Replace the month's facts with freshly computed ones (flush only; the caller commits)."""
    month = month.replace(day=1)
    facts = feedback_facts(month)
    departments = department_facts(month, now())
    db.session.execute(delete(MonthlyFact).where(MonthlyFact.month == month))
    db.session.execute(delete(MonthlyDepartmentFact).where(MonthlyDepartmentFact.month == month))
    db.session.add_all(
        MonthlyFact(month=month, dimension=dim, key=key, count=count) for (dim, key), count in sorted(facts.items())
    )
    db.session.add_all(
        MonthlyDepartmentFact(month=month, department_id=dept_id, **values)
        for dept_id, values in sorted(departments.items())
    )
    db.session.flush()
    return {"facts": len(facts), "department_facts": len(departments)}


def ensure_months(months: Iterable[date]) -> int:
    """Compute facts for the months that have none yet; returns how many were computed."""
    done = 0
    for month in months:
        if not has_facts(month):
            refresh_month(month)
            done += 1
    return done


# ------------------------------------------------------------------------------------------ feedback


def _in_month(month: date):
    return (
        Feedback.submitted_on >= month,
        Feedback.submitted_on < shift(month, 1),
        Feedback.status.not_in(EXCLUDED_STATUSES),
    )


def _grouped(column, month: date) -> list[tuple]:
    return list(db.session.execute(select(column, func.count(Feedback.id)).where(*_in_month(month)).group_by(column)))


def feedback_facts(month: date) -> dict[tuple[str, str], int]:
    """Counts keyed by (dimension, key); nulls go to ``unknown`` after grouping, in Python."""
    facts: dict[tuple[str, str], int] = {}
    facts["total", "all"] = db.session.scalar(select(func.count(Feedback.id)).where(*_in_month(month))) or 0
    for kind, count in _grouped(Feedback.kind, month):
        facts["kind", kind] = count
    for level, count in _grouped(Feedback.unit_level, month):
        facts["unit_level", level or UNKNOWN] = facts.get(("unit_level", level or UNKNOWN), 0) + count
    for code, count in _grouped(Feedback.region_code, month):
        key = code[:6] if code and len(code) >= 6 else UNKNOWN
        facts["region", key] = facts.get(("region", key), 0) + count
    tags = (
        select(Tag.code, func.count(FeedbackTag.id))
        .join(FeedbackTag, FeedbackTag.tag_id == Tag.id)
        .join(Feedback, Feedback.id == FeedbackTag.feedback_id)
        .where(*_in_month(month))
        .group_by(Tag.code)
    )
    for code, count in db.session.execute(tags):
        facts["tag", code] = count
    points = (
        select(ObservationPoint.code, func.count(Feedback.id))
        .join(Feedback, Feedback.point_id == ObservationPoint.id)
        .where(*_in_month(month))
        .group_by(ObservationPoint.code)
    )
    for code, count in db.session.execute(points):
        facts["point", code] = count
    for term, count in term_counts(month).items():
        facts["term", term] = count
    return facts


def term_counts(month: date) -> dict[str, int]:
    """How many of the month's feedback have each term among their keywords; the top TERM_LIMIT.

    The keywords were cut once per feedback at intake (``reporting.terms``); this only counts them."""
    return terms.month_counts(month, shift(month, 1), EXCLUDED_STATUSES, TERM_LIMIT)


# ------------------------------------------------------------------------------------------ departments


def department_facts(month: date, moment: datetime) -> dict[int, dict]:
    """Per department: the assignments it was given in the month and how it handled them by ``moment``.

    ``assigned_at`` has no index, but ``acknowledge_due_at`` has one and never precedes it (pauses
    only move it later), so it bounds the scan to assignments made since the month began.
    """
    start, end = local_bounds(month)
    stmt = (
        select(
            Assignment.department_id,
            Assignment.status,
            Assignment.assigned_at,
            Assignment.acknowledged_at,
            Assignment.acknowledge_due_at,
            Assignment.responded_at,
            Assignment.due_at,
            Assignment.overdue_at,
            Feedback.paused_at,
            Feedback.rating,
        )
        .join(Feedback, Feedback.id == Assignment.feedback_id)
        .where(
            Assignment.acknowledge_due_at >= start,
            Assignment.assigned_at >= start,
            Assignment.assigned_at < end,
            Assignment.status != "returned",
        )
    )
    calendar = work_calendar()
    out: dict[int, dict] = defaultdict(
        lambda: dict.fromkeys(
            (
                "assigned",
                "acknowledged_on_time",
                "responded",
                "responded_on_time",
                "overdue",
                "response_working_days",
                "rated",
                "satisfied",
            ),
            0,
        )
    )
    for row in db.session.execute(stmt):
        facts = out[row.department_id]
        facts["assigned"] += 1
        facts["acknowledged_on_time"] += bool(row.acknowledged_at and row.acknowledged_at <= row.acknowledge_due_at)
        responded_late = bool(row.responded_at and row.responded_at > row.due_at)
        running_late = row.status in RUNNING_ASSIGNMENT and row.paused_at is None and row.due_at <= moment
        facts["overdue"] += bool(row.overdue_at or running_late or responded_late)
        if row.responded_at:
            facts["responded"] += 1
            facts["responded_on_time"] += not responded_late
            facts["response_working_days"] += calendar.working_days_between(row.assigned_at, row.responded_at)
        if row.rating:
            facts["rated"] += 1
            facts["satisfied"] += row.rating in SATISFIED_RATINGS
    for facts in out.values():
        facts["satisfaction_score"] = facts["satisfied"] / facts["rated"] if facts["rated"] else 0.0
    return dict(out)
