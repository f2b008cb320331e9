"""Deadlines of assignments on the working-day calendar, with the configured durations."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from flask import current_app

from feedback.calendar import CalendarDataMissing, WorkCalendar, deadline_days, load_supplement
from feedback.errors import AppError

_lock = threading.Lock()
_cache: dict[str, WorkCalendar] = {}
ONE_TICK = timedelta(microseconds=1)


class DeadlineUnavailable(AppError):
    status, code = 503, "calendar_data_missing"


def work_calendar() -> WorkCalendar:
    path = current_app.config["HOLIDAYS_PATH"]
    with _lock:
        if path not in _cache:
            _cache[path] = WorkCalendar(load_supplement(path))
        return _cache[path]


def days(key: str) -> int:
    return deadline_days(current_app.config.get("DEADLINES") or {}, key)


def respond_days(path: str) -> int:
    return days(f"respond_{path}")


def add_days(start: datetime, n: int) -> datetime:
    try:
        return work_calendar().add_working_days(start, n)
    except CalendarDataMissing as exc:
        raise DeadlineUnavailable(str(exc)) from None


def extend(due: datetime, n: int) -> datetime:
    """N more working days after the day a deadline falls on."""
    return add_days(due - ONE_TICK, n)


def state(now: datetime, due: datetime) -> str:
    try:
        return work_calendar().deadline_state(now, due, soon=days("due_soon"))
    except CalendarDataMissing:
        return "overdue" if now >= due else "on_time"


def shift_for_pause(due: datetime, paused_from: datetime, paused_until: datetime) -> datetime:
    try:
        return work_calendar().shift_for_pause(due, paused_from, paused_until)
    except CalendarDataMissing as exc:
        raise DeadlineUnavailable(str(exc)) from None
