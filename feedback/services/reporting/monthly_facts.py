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
from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import ColumnElement, Date, and_, case, cast, delete, func, not_, or_, select

from feedback.clock import now
from feedback.extensions import db, dialect_name
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


def feedback_facts(month: date) -> dict[tuple[str, str], int]:
    """Counts keyed by (dimension, key); nulls go to ``unknown`` after grouping, in Python.

    One pass over the month's feedback grouped by every column a breakdown reads (a few thousand
    groups), folded here into the total and each dimension; then the tags and the terms."""
    facts: dict[tuple[str, str], int] = {("total", "all"): 0}
    points = {i: code for i, code in db.session.execute(select(ObservationPoint.id, ObservationPoint.code))}
    columns = (Feedback.kind, Feedback.unit_level, Feedback.region_code, Feedback.point_id)
    groups = select(*columns, func.count(), func.min(Feedback.id), func.max(Feedback.id))
    first = last = 0
    for kind, level, code, point_id, count, low, high in db.session.execute(
        groups.where(*_in_month(month)).group_by(*columns)
    ):
        first, last = min(first or low, low), max(last, high)
        region = code[:6] if code and len(code) >= 6 else UNKNOWN
        keys = [("total", "all"), ("kind", kind), ("unit_level", level or UNKNOWN), ("region", region)]
        if point_id is not None:
            keys.append(("point", points[point_id]))
        for key in keys:
            facts[key] = facts.get(key, 0) + count
    # The month's feedback ids lie between its first and last one (read above with the groups): a
    # range of the feedback_tags index instead of a scan of every tag row ever given (2.4 million
    # at 10^6 feedback); the join still decides which rows count.
    tags = (
        select(Tag.code, func.count(FeedbackTag.id))
        .join(FeedbackTag, FeedbackTag.tag_id == Tag.id)
        .join(Feedback, Feedback.id == FeedbackTag.feedback_id)
        .where(*_in_month(month), FeedbackTag.feedback_id.between(first, last))
        .group_by(Tag.code)
    )
    for code, count in db.session.execute(tags):
        facts["tag", code] = count
    for term, count in term_counts(month).items():
        facts["term", term] = count
    return facts


def term_counts(month: date) -> dict[str, int]:
    """How many of the month's feedback have each term among their keywords; the top TERM_LIMIT.

    The keywords were cut once per feedback at intake (``reporting.terms``); this only counts them."""
    return terms.month_counts(month, shift(month, 1), EXCLUDED_STATUSES, TERM_LIMIT)


# ------------------------------------------------------------------------------------------ departments


FACT_COUNTS = (
    "assigned",
    "acknowledged_on_time",
    "responded",
    "responded_on_time",
    "overdue",
    "response_working_days",
    "rated",
    "satisfied",
)


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.sum(case((condition, 1), else_=0))


def _local_day(column: Any) -> ColumnElement[Any]:
    """The China date of a stored (naive UTC) moment, in SQL."""
    if dialect_name() == "postgresql":
        return cast(func.timezone(CHINA.key, func.timezone("UTC", column)), Date)
    return func.date(column, "+8 hours")  # China has kept UTC+8 all year since 1991


def department_facts(month: date, moment: datetime) -> dict[int, dict]:
    """Per department: the assignments it was given in the month and how it handled them by ``moment``.

    Counted by the database in one GROUP BY; the working days to respond depend only on the two
    China dates, so they are summed here over (department, assigned day, responded day) groups
    instead of once per assignment. ``assigned_at`` has no index, but ``acknowledge_due_at`` has one
    and never precedes it (pauses only move it later), so it bounds the scan to assignments made
    since the month began.
    """
    start, end = local_bounds(month)
    scope = (
        Assignment.acknowledge_due_at >= start,
        Assignment.assigned_at >= start,
        Assignment.assigned_at < end,
        Assignment.status != "returned",
    )
    responded_late = and_(Assignment.responded_at.is_not(None), Assignment.responded_at > Assignment.due_at)
    running_late = and_(
        Assignment.status.in_(RUNNING_ASSIGNMENT), Feedback.paused_at.is_(None), Assignment.due_at <= moment
    )
    counts = (
        select(
            Assignment.department_id,
            func.count(),
            _flag(
                and_(
                    Assignment.acknowledged_at.is_not(None), Assignment.acknowledged_at <= Assignment.acknowledge_due_at
                )
            ),
            _flag(Assignment.responded_at.is_not(None)),
            _flag(and_(Assignment.responded_at.is_not(None), not_(responded_late))),
            _flag(or_(Assignment.overdue_at.is_not(None), running_late, responded_late)),
            _flag(Feedback.rating.is_not(None)),
            _flag(Feedback.rating.in_(SATISFIED_RATINGS)),
        )
        .join(Feedback, Feedback.id == Assignment.feedback_id)
        .where(*scope)
        .group_by(Assignment.department_id)
    )
    out: dict[int, dict] = {}
    for dept_id, assigned, ack, responded, on_time, overdue, rated, satisfied in db.session.execute(counts):
        out[dept_id] = {
            "assigned": assigned,
            "acknowledged_on_time": int(ack or 0),
            "responded": int(responded or 0),
            "responded_on_time": int(on_time or 0),
            "overdue": int(overdue or 0),
            "response_working_days": 0,
            "rated": int(rated or 0),
            "satisfied": int(satisfied or 0),
        }
    assigned_day, responded_day = _local_day(Assignment.assigned_at), _local_day(Assignment.responded_at)
    spans = (
        select(Assignment.department_id, assigned_day, responded_day, func.count())
        .where(*scope, Assignment.responded_at.is_not(None))
        .group_by(Assignment.department_id, assigned_day, responded_day)
    )
    calendar = work_calendar()
    for dept_id, first, last, count in db.session.execute(spans):
        days = calendar.working_days_between(_noon(first), _noon(last))
        out[dept_id]["response_working_days"] += days * count
    for facts in out.values():
        facts["satisfaction_score"] = facts["satisfied"] / facts["rated"] if facts["rated"] else 0.0
    return out


def _noon(day: date | str) -> datetime:
    """A moment on a China date (SQLite returns the date as text)."""
    value = date.fromisoformat(day) if isinstance(day, str) else day
    return datetime.combine(value, time(12), tzinfo=CHINA)
