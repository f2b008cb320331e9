"""Deadlines of assignments on the working-day calendar, with the configured durations.

An assignment keeps its start (``assigned_at``) and, for each of its three due times, the number
of working days it runs; the due times are always computed from those, so a provisional deadline
can be recomputed exactly when the official holiday schedule arrives (``services.handling.provisional``).

config/holidays.yaml is reloaded when it changes, like config/notifications.yaml. A file that does
not load never breaks a request: the last good schedule stays in force (statutory rules alone if
there never was one) and the problem is kept for ``flask calendar status`` and ``jobs check``.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app

from feedback.calendar import CalendarOutOfRange, WorkCalendar, deadline_days, load_supplement
from feedback.models import Assignment
from feedback.timeutil import local_date

log = logging.getLogger(__name__)
ONE_TICK = timedelta(microseconds=1)


def day_of(due: datetime) -> date:
    """The China-time day a due moment falls on: due times are the end (next 00:00) of that day."""
    return local_date(due - ONE_TICK)


COUNT_FIELDS = {"acknowledge_due_at": "acknowledge_days", "return_due_at": "return_days", "due_at": "due_days"}


@dataclass
class _Loaded:
    signature: tuple[float, int] | None
    calendar: WorkCalendar
    problem: str | None = None


_lock = threading.Lock()
_cache: dict[str, _Loaded] = {}


def _signature(path: str) -> tuple[float, int] | None:
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    return stat.st_mtime, stat.st_size


def _load(path: str) -> _Loaded:
    signature = _signature(path)
    with _lock:
        loaded = _cache.get(path)
        if loaded is not None and loaded.signature == signature:
            return loaded
        try:
            fresh = _Loaded(signature, WorkCalendar(load_supplement(path)))
        except (ValueError, OSError) as exc:
            kept = loaded.calendar if loaded is not None else WorkCalendar()
            fresh = _Loaded(signature, kept, problem=str(exc))
            log.warning("holiday file %s rejected; the last good schedule stays in force: %s", path, exc)
        _cache[path] = fresh
        return fresh


def work_calendar() -> WorkCalendar:
    return _load(current_app.config["HOLIDAYS_PATH"]).calendar


def holiday_file_problem() -> str | None:
    """Why config/holidays.yaml was rejected, or None when it loaded (or is absent)."""
    return _load(current_app.config["HOLIDAYS_PATH"]).problem


def days(key: str) -> int:
    return deadline_days(current_app.config["DEADLINES"], key)


def respond_days(path: str) -> int:
    return days(f"respond_{path}")


def add_days(start: datetime, n: int) -> datetime:
    return work_calendar().add_working_days(start, n)


def due_soon_until(moment: datetime) -> datetime:
    """The last due moment still "due soon" at ``moment``: the start of the (N+1)-th working day after today.

    The one bound of "due soon" (N = DEADLINES.due_soon): the assignment list filter and the deadline
    watch use it, and it agrees with ``state`` (``WorkCalendar.deadline_state``: at most N working days
    left), also for a due time on a rest day (a holiday schedule published after the deadline was set).
    """
    return add_days(moment, days("due_soon") + 1) - timedelta(days=1)


def state(now: datetime, due: datetime) -> str:
    try:
        return work_calendar().deadline_state(now, due, soon=days("due_soon"))
    except CalendarOutOfRange:
        return "overdue" if now >= due else "on_time"


def days_left(now: datetime, due: datetime) -> int | None:
    try:
        return work_calendar().working_days_left(now, due)
    except CalendarOutOfRange:
        return None


def start_deadlines(assignment: Assignment, path: str) -> None:
    """The configured lengths, counted from the assignment's start."""
    assignment.acknowledge_days = days("acknowledge")
    assignment.return_days = days("return_window")
    assignment.due_days = respond_days(path)
    apply(assignment)


def counts(assignment: Assignment) -> dict[str, int]:
    """Working days each due time runs from the start; rows made before they were stored are derived."""
    calendar = work_calendar()
    out = {}
    for due_field, count_field in COUNT_FIELDS.items():
        value = getattr(assignment, count_field)
        if value is None:  # such rows were always computed on official data, so this is exact
            value = calendar.working_days_between(assignment.assigned_at, getattr(assignment, due_field) - ONE_TICK)
        out[count_field] = value
    return out


def lengthen(assignment: Assignment, n: int, which: tuple[str, ...] = ("due_days",)) -> None:
    """Add n working days to some of the assignment's deadlines (an extension, or a pause)."""
    current = counts(assignment)
    for count_field, value in current.items():
        setattr(assignment, count_field, value + (n if count_field in which else 0))
    apply(assignment)


def apply(assignment: Assignment) -> bool:
    """Compute the three due times from the start and counts; True if any of them moved."""
    calendar = work_calendar()
    current = counts(assignment)
    moved, provisional = False, False
    for due_field, count_field in COUNT_FIELDS.items():
        deadline = calendar.deadline(assignment.assigned_at, current[count_field])
        moved |= getattr(assignment, due_field) != deadline.at
        setattr(assignment, due_field, deadline.at)
        setattr(assignment, count_field, current[count_field])
        provisional |= deadline.provisional
    assignment.due_provisional = provisional
    return moved


def paused_working_days(paused_from: datetime, paused_until: datetime) -> int:
    """Working days the clock stood still while the reporter was asked (the day asked never counts)."""
    return work_calendar().working_days_between(paused_from, paused_until)
